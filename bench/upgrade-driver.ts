// The driver of bench/upgrade.js (bundled by it with esbuild; run it through that script).
//
//   run <dir> <upgrades> <instances>
//
// Two measurements of a rolling OpenClaw upgrade, per instance:
// - on the node: gf-clawnode's real openclaw.update on one host that installs releases (the lab's
//   stand-in packed as OpenClaw, served over HTTP): fetch and checksum, stop, snapshot of the user's
//   state, unpack, swap, start, readiness with bodies checked, doctor. <upgrades> upgrades in turn
//   between two versions (each under its own key), the user's gateway a real process.
// - in clawops: the openclaw.upgrade kind through the engine on a real SQLite store, <instances>
//   instances in batches of 50 with a canary, against nodes that answer at once: plan, policy,
//   journal, audit, the per-instance records and the post-batch checks, and nothing else. That is
//   clawops' own cost per instance, to set against the node's.
import { createReadStream, existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import type { NodeContext } from '../clawnode/commands/context.js'
import { buildRegistry } from '../clawnode/commands/index.js'
import { parseConfig } from '../clawnode/config.js'
import { createServiceManager } from '../clawnode/service/manager.js'
import { DEFAULT_CONFIG } from '../src/lib/config/defaults.js'
import { Context } from '../src/lib/context.js'
import type { Instance } from '../src/lib/domain/instance.js'
import { Engine } from '../src/lib/engine/engine.js'
import type { NodeInvoker, NodeTarget } from '../src/lib/gateway/link.js'
import { productionKinds } from '../src/lib/kinds.js'
import { freePort } from '../src/lib/lab/gateway-process.js'
import { ensureLabReleases, labReleaseVersions, packOpenclawRelease } from '../src/lib/lab/releases.js'
import { createLogger } from '../src/lib/log.js'
import { Instances } from '../src/lib/store/instances.js'
import { Pairs } from '../src/lib/store/pairs.js'
import { startUpgrade } from '../src/lib/upgrades/upgrade.js'

const log = (m: string) => process.stderr.write(`[bench] ${m}\n`)
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2
}

async function nodeSide(dir: string, upgrades: number, releasesDir: string) {
  // One host upgraded <upgrades> times in a row: the pinned version, then corrections -1, -2, …
  // (a node refuses to go back to an older version). The same stand-in build in every one.
  const pinnedVersion = labReleaseVersions().openclaw.pinned
  mkdirSync(join(releasesDir, 'openclaw'), { recursive: true })
  const builds: { version: string; path: string; sha256: string }[] = []
  for (let i = 0; i <= upgrades; i++) {
    const version = i === 0 ? pinnedVersion : `${pinnedVersion}-${i}`
    const path = `openclaw/openclaw-${version}.tgz`
    const r = await packOpenclawRelease(join(releasesDir, path), version, { schema: 1 })
    builds.push({ version, path, sha256: r.sha256 })
  }
  const server = createServer((req, res) => {
    const file = join(releasesDir, (req.url ?? '').replace(/^\/+/, ''))
    if (!existsSync(file)) return res.writeHead(404).end()
    res.writeHead(200)
    createReadStream(file).pipe(res)
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const pinned = builds[0]!
  const install = join(dir, 'install')
  const user = join(dir, 'user')
  const { extract } = await import('tar')
  mkdirSync(join(install, 'versions', pinned.version), { recursive: true })
  await extract({
    file: join(releasesDir, pinned.path),
    cwd: join(install, 'versions', pinned.version),
    strip: 1,
  })
  writeFileSync(join(install, 'versions', pinned.version, '.clawnode-release'), `${pinned.sha256}\n`)
  symlinkSync(join(install, 'versions', pinned.version), join(install, 'current'))
  mkdirSync(join(user, 'sessions'), { recursive: true })
  writeFileSync(join(user, 'openclaw.json'), '{"gateway":{"mode":"local"}}\n')
  // A user's state of a realistic small size: sessions and memory, ~2 MB.
  for (let i = 0; i < 20; i++)
    writeFileSync(
      join(user, 'sessions', `s${i}.jsonl`),
      `${'{"role":"user","text":"hello"}\n'.repeat(3_000)}`,
    )
  const port = await freePort()
  const config = parseConfig({
    instanceId: 'bench-host',
    gateway: { url: 'ws://127.0.0.1:9', token: 'bench-first-contact-token' },
    stateDir: join(dir, 'state'),
    log: { target: 'off' },
    service: {
      kind: 'process',
      argv: [process.execPath, 'current/openclaw.mjs', 'gateway', 'run', '--port', String(port)],
      cwd: install,
      env: { OPENCLAW_CONFIG_PATH: join(user, 'openclaw.json'), OPENCLAW_STATE_DIR: user },
      stopTimeoutMs: 2_000,
      autostart: true,
    },
    userGateway: { url: `http://127.0.0.1:${port}`, configPath: join(user, 'openclaw.json') },
    openclaw: {
      install: { kind: 'releases', dir: install },
      readyTimeoutMs: 30_000,
      doctorTimeoutMs: 60_000,
    },
    releases: { url },
  })
  const ctx: NodeContext = {
    config,
    instanceId: config.instanceId,
    deviceId: 'b'.repeat(64),
    version: '0.0.0-bench',
    startedAt: Date.now(),
    services: createServiceManager(config),
    logger: createLogger({ home: config.stateDir, target: 'off' }),
  }
  const registry = buildRegistry(config)
  const call = async (command: string, params: unknown) => {
    const out = await registry.invoke(command, JSON.stringify(params), { node: ctx, timeoutMs: 600_000 })
    if (!out.ok) throw new Error(`${command}: ${out.error.code} ${out.error.message}`)
    return JSON.parse(out.payloadJSON) as { outcome: string; ms: number; detail: string }
  }
  await call('openclaw.start', {})
  const walls: number[] = []
  const reported: number[] = []
  for (let i = 0; i < upgrades; i++) {
    const to = builds[i + 1]!
    const t0 = performance.now()
    const r = await call('openclaw.update', { version: to.version, sha256: to.sha256, key: `bench-${i}` })
    walls.push(performance.now() - t0)
    if (r.outcome !== 'upgraded') throw new Error(`upgrade ${i} to ${to.version}: ${r.outcome} ${r.detail}`)
    reported.push(r.ms)
    log(`node upgrade ${i + 1}/${upgrades}: ${Math.round(walls.at(-1)!)} ms`)
  }
  await call('openclaw.stop', {})
  server.close()
  return {
    upgrades,
    medianMs: Math.round(median(walls)),
    maxMs: Math.round(Math.max(...walls)),
    stateBytes: 20 * 93_000,
  }
}

/** Nodes that answer an upgrade at once, in the shapes of clawnode/openclaw-upgrade.ts. */
class InstantNodes implements NodeInvoker {
  async invoke<T>(_t: NodeTarget, command: string, params: Record<string, unknown>): Promise<T> {
    if (command === 'openclaw.update')
      return {
        outcome: 'upgraded',
        reason: null,
        detail: 'instant',
        from: '2026.9.6',
        to: params.version,
        version: params.version,
        healthy: true,
        state: null,
        ms: 0,
      } as T
    if (command === 'openclaw.version')
      return {
        openclaw: { version: '2026.9.6-1' },
        clawnode: { version: '0.1.0', pending: null, last: null, rolledBack: null },
      } as T
    if (command === 'openclaw.health') return { healthy: true, live: true, ready: true } as T
    throw new Error(`unexpected ${command}`)
  }
}

async function clawopsSide(dir: string, instances: number, releasesDir: string) {
  await ensureLabReleases(releasesDir)
  const server = createServer((req, res) => {
    const file = join(releasesDir, (req.url ?? '').replace(/^\/+/, ''))
    if (!existsSync(file)) return res.writeHead(404).end()
    res.writeHead(200)
    createReadStream(file).pipe(res)
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  const home = join(dir, 'home')
  mkdirSync(home, { recursive: true })
  const config = {
    ...structuredClone(DEFAULT_CONFIG),
    upgrades: { releasesUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, pauseSeconds: 0 },
  }
  const ctx = new Context({
    home,
    env: {},
    config,
    services: { nodes: new InstantNodes(), sleep: async () => {} },
  })
  const now = ctx.now()
  const store = ctx.store()
  store.tx(() => {
    for (let k = 0; k < instances / 2; k++) {
      const pairId = `p-${k}`
      const userId = `u-${k}`
      store.repo(Pairs).insert({ id: pairId, userId, labels: {}, createdAt: now, updatedAt: now })
      for (const role of ['primary', 'standby'] as const) {
        const id = `i-${role[0]}${k}`
        const inst: Instance = {
          id,
          pairId,
          userId,
          provider: role === 'primary' ? 'hetzner' : 'vultr',
          region: role === 'primary' ? 'nbg1' : 'fra',
          tier: 'standard',
          role,
          state: 'ACTIVE',
          providerId: null,
          ip: null,
          tailscaleName: null,
          nodeId: `node-${id}`,
          labels: {},
          healthScore: 100,
          lastHeartbeatAt: now,
          createdAt: now,
          updatedAt: now,
        }
        store.repo(Instances).insert(inst)
      }
    }
  })
  const t0 = performance.now()
  const r = await startUpgrade(
    ctx,
    new Engine(productionKinds()),
    'openclaw',
    { version: labReleaseVersions().openclaw.next, canary: 5, batchSize: 50, pauseMs: 0 },
    { yes: true },
  )
  const wall = performance.now() - t0
  if (r.status === 'dry-run' || r.rollout.counts.upgraded !== instances)
    throw new Error(`the upgrade did not complete: ${JSON.stringify(r).slice(0, 500)}`)
  await ctx.dispose()
  server.close()
  return { instances, wallMs: Math.round(wall), perInstanceMs: Number((wall / instances).toFixed(2)) }
}

const [mode, dir, upgrades, instances] = process.argv.slice(2)
if (mode !== 'run' || !dir) throw new Error('usage: run <dir> <upgrades> <instances>')
const releasesDir = join(dir, 'releases')
const node = await nodeSide(join(dir, 'node'), Number(upgrades ?? 6), join(dir, 'node-releases'))
const clawops = await clawopsSide(join(dir, 'clawops'), Number(instances ?? 1000), releasesDir)
process.stdout.write(
  `${JSON.stringify({ node, clawops, overheadPct: Number(((clawops.perInstanceMs / node.medianMs) * 100).toFixed(2)) })}\n`,
)
