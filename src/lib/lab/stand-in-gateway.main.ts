/**
 * A lab server's user gateway: a real process with the probe endpoints of an OpenClaw gateway
 * (/healthz, /startupz, /readyz, with OpenClaw's bodies) that gf-clawnode's process service manager
 * starts, stops and restarts. A real `openclaw gateway run` needs about 1 GB per instance, more than a
 * lab fleet of dozens of servers can have on one machine, so each lab VPS runs this instead (the
 * operator's gateway is the real one).
 *
 *   node stand-in-gateway.main.js --port <port>                  (as the config-push tests run it)
 *   node openclaw.mjs gateway run --port <port>                  (a lab release, like `openclaw`)
 *   node openclaw.mjs doctor --non-interactive
 *   node openclaw.mjs --version                                  "OpenClaw 2026.9.6 (stand-in)"
 *
 * As a release (src/lib/lab/releases.ts packs this file as `openclaw.mjs` beside a package.json named
 * openclaw), it is the version its package.json says: /startupz reports it, as OpenClaw does to a
 * local caller. On start it migrates the state directory (OPENCLAW_STATE_DIR) to its schema, the way
 * an OpenClaw release moves state forward, so a rollback has something real to undo. A release built
 * broken (`openclawStandIn.break` in its package.json) fails the way a bad OpenClaw release does:
 * `doctor` (its doctor exits 1 after the migration), `readiness` (/readyz stays 503 with a failing
 * agent database) or `crash` (exits at start).
 *
 * It reads the config at OPENCLAW_CONFIG_PATH on start and exits 1 when that is not JSON or sets
 * {"standIn":{"crashOnStart":true}}, so a bad config push shows up as a gateway that does not come
 * back, as it would with the real thing. {"standIn":{"unready":true}} keeps /readyz failing.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

interface Build {
  version: string | null
  schema: number
  break: 'doctor' | 'readiness' | 'crash' | null
  startupMs: number
}

/** The package this file ships in, when it is a lab release of "openclaw". */
function build(): Build {
  const pj = join(dirname(fileURLToPath(import.meta.url)), 'package.json')
  try {
    const p = JSON.parse(readFileSync(pj, 'utf8'))
    if (p.name === 'openclaw' && typeof p.version === 'string') {
      const s = p.openclawStandIn ?? {}
      return {
        version: p.version,
        schema: Number(s.schema ?? 1),
        break: s.break ?? null,
        startupMs: Number(s.startupMs ?? 300),
      }
    }
  } catch {
    // Not a release: the plain stand-in of the tests.
  }
  return { version: null, schema: 0, break: null, startupMs: 0 }
}

const me = build()
const args = process.argv.slice(2)
const stateDir = process.env.OPENCLAW_STATE_DIR
const stateFile = stateDir ? join(stateDir, 'stand-in-state.json') : null

function readState(): { schema: number; lastTouchedVersion: string | null } | null {
  if (!stateFile || !existsSync(stateFile)) return null
  return JSON.parse(readFileSync(stateFile, 'utf8'))
}

if (args[0] === '--version') {
  process.stdout.write(`OpenClaw ${me.version ?? 'unknown'} (stand-in)\n`)
  process.exit(0)
}

if (args[0] === 'doctor') {
  // Non-interactive: report, never prompt. A finding at error level exits 1, as doctor --lint does.
  const findings: string[] = []
  const configPath = process.env.OPENCLAW_CONFIG_PATH
  if (configPath) {
    try {
      JSON.parse(readFileSync(configPath, 'utf8'))
    } catch (err) {
      findings.push(`config ${configPath} does not parse: ${(err as Error).message}`)
    }
  }
  const state = readState()
  if (state && state.schema > me.schema)
    findings.push(`state schema ${state.schema} is newer than this release understands (${me.schema})`)
  if (me.break === 'doctor')
    findings.push(`agent database main: the migration to schema ${me.schema} left it unreadable`)
  process.stdout.write(
    `Doctor (stand-in ${me.version ?? 'dev'}): ${findings.length ? findings.join('; ') : 'no findings'}\n`,
  )
  process.exit(findings.length ? 1 : 0)
}

const portAt = args.indexOf('--port')
const port = Number(args[portAt + 1])
if (portAt < 0 || !Number.isInteger(port) || port <= 0) {
  process.stderr.write('usage: stand-in-gateway [gateway run] --port <port>\n')
  process.exit(2)
}
let unready = false
const configPath = process.env.OPENCLAW_CONFIG_PATH
if (configPath) {
  let config: { standIn?: { crashOnStart?: boolean; unready?: boolean } } | null
  try {
    config = JSON.parse(readFileSync(configPath, 'utf8'))
  } catch (err) {
    process.stderr.write(`stand-in: cannot load ${configPath}: ${(err as Error).message}\n`)
    process.exit(1)
  }
  if (config?.standIn?.crashOnStart) {
    process.stderr.write('stand-in: config says crashOnStart\n')
    process.exit(1)
  }
  unready = config?.standIn?.unready === true
}
if (me.break === 'crash') {
  process.stderr.write(`stand-in ${me.version}: this build crashes at start\n`)
  process.exit(1)
}
// A release moves the state forward on start, as OpenClaw's startup migrations do.
if (stateFile && me.version) {
  const state = readState()
  if (!state || state.schema < me.schema) {
    writeFileSync(`${stateFile}.tmp`, JSON.stringify({ schema: me.schema, lastTouchedVersion: me.version }))
    renameSync(`${stateFile}.tmp`, stateFile)
  }
}
const startedAt = Date.now()
const started = () => Date.now() - startedAt >= me.startupMs
const server = createServer((req, res) => {
  const body = (code: number, obj: unknown) => {
    res.writeHead(code, { 'content-type': 'application/json' })
    res.end(JSON.stringify(obj))
  }
  const uptimeMs = Date.now() - startedAt
  const version = me.version ? { version: me.version } : {}
  if (req.url === '/healthz') return body(200, { ok: true, status: 'live', pid: process.pid, startedAt })
  if (req.url === '/startupz') {
    return started()
      ? body(200, { ok: true, status: 'started', ...version, uptimeMs })
      : body(503, { ok: false, status: 'starting', ...version, uptimeMs, pendingReason: 'startup-sidecars' })
  }
  if (req.url === '/readyz') {
    if (!started()) return body(503, { ready: false, failing: ['startup-sidecars'], uptimeMs })
    if (me.break === 'readiness')
      return body(503, {
        ready: false,
        failing: ['agent-database:main'],
        agentDatabases: { main: { admitted: false, reason: `migration to schema ${me.schema} failed` } },
        uptimeMs,
      })
    return unready
      ? body(503, { ready: false, failing: ['stand-in'] })
      : body(200, { ready: true, failing: [], pid: process.pid, uptimeMs })
  }
  return body(404, { error: 'not found' })
})
server.listen(port, '127.0.0.1', () =>
  process.stdout.write(`stand-in gateway ${me.version ?? 'dev'} listening on ${port} pid ${process.pid}\n`),
)
process.on('SIGTERM', () => server.close(() => process.exit(0)))
