/**
 * A lab server's user gateway: a real process with the probe endpoints of an OpenClaw gateway
 * (/healthz, /readyz) that gf-clawnode's process service manager starts, stops and restarts. A real
 * `openclaw gateway run` needs about 1 GB per instance, more than a lab fleet of dozens of servers can
 * have on one machine, so each lab VPS runs this instead (the operator's gateway is the real one).
 *
 * It reads the config at OPENCLAW_CONFIG_PATH on start and exits 1 when that is not JSON or sets
 * {"standIn":{"crashOnStart":true}}, so a bad config push shows up as a gateway that does not come
 * back, as it would with the real thing. {"standIn":{"unready":true}} keeps /readyz failing.
 *
 *   node dist/src/lib/lab/stand-in-gateway.main.js --port <port>
 */
import { readFileSync } from 'node:fs'
import { createServer } from 'node:http'

const port = Number(process.argv[process.argv.indexOf('--port') + 1])
if (!Number.isInteger(port) || port <= 0) {
  process.stderr.write('usage: stand-in-gateway --port <port>\n')
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
const startedAt = Date.now()
const server = createServer((req, res) => {
  const body = (code: number, obj: unknown) => {
    res.writeHead(code, { 'content-type': 'application/json' })
    res.end(JSON.stringify(obj))
  }
  if (req.url === '/healthz') return body(200, { ok: true, status: 'live', pid: process.pid, startedAt })
  if (req.url === '/readyz') {
    return unready
      ? body(503, { ready: false, failing: ['stand-in'] })
      : body(200, { ready: true, failing: [], pid: process.pid })
  }
  return body(404, { error: 'not found' })
})
server.listen(port, '127.0.0.1', () =>
  process.stdout.write(`stand-in gateway listening on ${port} pid ${process.pid}\n`),
)
process.on('SIGTERM', () => server.close(() => process.exit(0)))
