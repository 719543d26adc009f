// Rolling upgrades end to end: the built CLI, the run's real OpenClaw gateway, and 20 real
// gf-clawnodes (10 pairs) installed the way the lab's boot driver installs them: each runs from its
// own `current` release under the supervisor that stands in for systemd (restart, rollback script),
// and its user's OpenClaw is a stand-in release unpacked from the lab's release location, run by the
// node's process service manager. One file, in order: a broken OpenClaw caught at the canary and put
// back with the user's state intact → a good one rolled out in batches, SIGKILLed mid-rollout and
// resumed → gf-clawnode replacing itself on one pair and rejoining without a new pairing.
import {
  createReadStream,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  writeFileSync,
} from 'node:fs'
import { createServer, type Server } from 'node:http'
import { join } from 'node:path'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import type { Instance } from '../../../src/lib/domain/instance.js'
import { GatewayClient } from '../../../src/lib/gateway/client.js'
import { CLAWNODE_COMMANDS } from '../../../src/lib/gateway/node-commands.js'
import { listNodes } from '../../../src/lib/gateway/nodes.js'
import { issueNodeBootstrapToken } from '../../../src/lib/gateway/pairing.js'
import { installClawnode, installPinnedOpenclaw } from '../../../src/lib/lab/clawnode-boot-driver.js'
import { ClawnodeSupervisor } from '../../../src/lib/lab/clawnode-supervisor.js'
import { ensureLabReleases, labReleaseVersions } from '../../../src/lib/lab/releases.js'
import { Instances } from '../../../src/lib/store/instances.js'
import { Pairs } from '../../../src/lib/store/pairs.js'
import { tempDir } from '../../support/clawnode-fixtures.js'
import { waitFor } from '../../support/clawnode-process.js'
import { clawopsAsync, clawopsChild } from '../../support/cli.js'
import { testContext } from '../../support/context.js'
import { childEnv, freePort } from '../../support/gateway-process.js'

const gw = inject('gateway')
const N = 20
const V = labReleaseVersions()

// biome-ignore lint/suspicious/noExplicitAny: JSON from the CLI, checked by the assertions
type Json = any

describe(`rolling upgrades across ${N} real gf-clawnodes`, () => {
  const tmp = tempDir('upgrades-it-')
  const home = join(tmp.dir, 'home')
  const releasesDir = join(tmp.dir, 'releases')
  const env = { CLAWOPS_HOME: home, OPENCLAW_GATEWAY_TOKEN: gw.token }
  const supervisor = new ClawnodeSupervisor(pino({ enabled: false }))
  let server: Server
  let op: GatewayClient
  const fleet: Instance[] = []
  const ids = Array.from({ length: N }, (_, i) => `up-${i}`)
  const dirOf = (id: string) => join(tmp.dir, 'nodes', id)
  const memory = (id: string) => join(dirOf(id), 'user', 'memory.md')
  // Never spawnSync: the test's own gateway connection must keep answering the gateway's pings.
  const cli = (args: string[]) => clawopsAsync(args, env)
  const nodeIds = new Map<string, string>()

  beforeAll(async () => {
    mkdirSync(home, { recursive: true })
    await ensureLabReleases(releasesDir)
    server = createServer((req, res) => {
      const rel = (req.url ?? '').replace(/^\/+/, '')
      const file = /^(index\.json|(openclaw|gf-clawnode)\/[A-Za-z0-9._+-]+\.tgz)$/.test(rel)
        ? join(releasesDir, rel)
        : null
      if (!file || !existsSync(file)) return res.writeHead(404).end()
      res.writeHead(200)
      createReadStream(file).pipe(res)
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
    const releasesUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}`
    writeFileSync(
      join(home, 'config.json'),
      JSON.stringify({ gateway: { url: gw.url }, upgrades: { releasesUrl, pauseSeconds: 0 } }),
    )
    op = await GatewayClient.connect({
      url: gw.url,
      auth: { kind: 'backend', token: gw.token },
      requestTimeoutMs: 60_000,
    })

    for (const id of ids) {
      const dir = dirOf(id)
      const openclawDir = join(dir, 'openclaw')
      const clawnodeDir = join(dir, 'clawnode')
      const stateDir = join(dir, 'state')
      mkdirSync(join(dir, 'user'), { recursive: true })
      await installPinnedOpenclaw(releasesDir, openclawDir)
      installClawnode(clawnodeDir)
      const port = await freePort()
      const userConfig = join(dir, 'user', 'openclaw.json')
      writeFileSync(userConfig, `${JSON.stringify({ gateway: { mode: 'local', port } }, null, 2)}\n`)
      // The user's own state: what an upgrade must never lose.
      writeFileSync(memory(id), `# ${id}'s memory\nthe user's notes, kept across upgrades\n`)
      const config = {
        instanceId: id,
        gateway: { url: gw.url, bootstrapToken: (await issueNodeBootstrapToken(op, gw.url)).bootstrapToken },
        stateDir,
        log: { level: 'info', target: 'stderr' },
        service: {
          kind: 'process',
          argv: [process.execPath, 'current/openclaw.mjs', 'gateway', 'run', '--port', String(port)],
          cwd: openclawDir,
          env: { OPENCLAW_CONFIG_PATH: userConfig, OPENCLAW_STATE_DIR: join(dir, 'user') },
          stopTimeoutMs: 2_000,
          autostart: true,
        },
        userGateway: { url: `http://127.0.0.1:${port}`, configPath: userConfig },
        openclaw: {
          install: { kind: 'releases', dir: openclawDir },
          readyTimeoutMs: 30_000,
          doctorTimeoutMs: 60_000,
          keepSnapshots: 2,
        },
        releases: { url: releasesUrl },
        self: { dir: clawnodeDir, probationMs: 20_000 },
      }
      const configPath = join(dir, 'config.json')
      writeFileSync(configPath, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 })
      supervisor.start(id, {
        argv: [
          process.execPath,
          join(clawnodeDir, 'current', 'bin', 'gf-clawnode.js'),
          'run',
          '--config',
          configPath,
        ],
        logFile: join(dir, 'clawnode.log'),
        env: childEnv(),
        rollbackEnv: { GF_CLAWNODE_ROOT: clawnodeDir, GF_CLAWNODE_STATE: stateDir },
      })
    }
    const nodes = await waitFor(
      'every node connected with its commands approved',
      async () => {
        const ready = (await listNodes(op)).filter(
          (n) =>
            (n.instanceId?.startsWith('up-') ?? false) &&
            n.connected &&
            n.approvalState === 'approved' &&
            n.commands.length === CLAWNODE_COMMANDS.length,
        )
        return ready.length === N ? ready : undefined
      },
      150_000,
      1_000,
    )
    for (const n of nodes) nodeIds.set(n.instanceId!, n.nodeId)

    const ctx = testContext({ home })
    const now = ctx.now()
    const store = ctx.store()
    store.tx(() => {
      for (let k = 0; k < N / 2; k++) {
        const pairId = `p-${String(k).padStart(2, '0')}`
        const userId = `u-${String(k).padStart(2, '0')}`
        store.repo(Pairs).insert({ id: pairId, userId, labels: {}, createdAt: now, updatedAt: now })
        for (const [role, id] of [
          ['primary', `up-${2 * k}`],
          ['standby', `up-${2 * k + 1}`],
        ] as const) {
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
            nodeId: nodeIds.get(id)!,
            labels: {},
            healthScore: 100,
            lastHeartbeatAt: now,
            createdAt: now,
            updatedAt: now,
          }
          store.repo(Instances).insert(inst)
          fleet.push(inst)
        }
      }
    })
    ctx.close()
  }, 300_000)

  afterAll(async () => {
    await supervisor.close()
    // The users' stand-in gateways are children of their nodes; a SIGTERM'd node stops its own, but
    // one outlived by a node that replaced itself can be left: nothing of this test outlives it.
    killProcessesIn(tmp.dir)
    server?.closeAllConnections()
    server?.close()
    await op?.close()
    if (process.env.CLAWOPS_TEST_KEEP_TMP) process.stderr.write(`[it] kept ${tmp.dir}\n`)
    else tmp.cleanup()
  })

  it('openclaw versions asks every node: all on the pinned version', async () => {
    const r = await cli(['openclaw', 'versions', '--json'])
    expect(r.code, r.stdout + r.stderr).toBe(0)
    const v = JSON.parse(r.stdout).data
    expect(v.openclaw.groups).toEqual([expect.objectContaining({ version: V.openclaw.pinned, instances: N })])
    expect(v.stale).toEqual([])
  })

  it('a broken release is caught at the canary, put back by its nodes with the state intact, and the rollout halts', async () => {
    const r = await cli([
      'openclaw',
      'upgrade',
      '--to',
      V.openclaw.broken,
      '--canary',
      '2',
      '--batch-size',
      '6',
      '--json',
    ])
    const out = JSON.parse(r.stdout)
    expect(r.code, r.stdout).not.toBe(0)
    expect(out.error?.details?.rollout, r.stdout + r.stderr).toBeDefined()
    const view = out.error.details.rollout
    expect(view.status).toBe('halted')
    const canary = view.instances.filter((i: Json) => i.batch === 1)
    expect(canary).toHaveLength(2)
    for (const i of canary) {
      expect(i.role).toBe('standby')
      expect(i).toMatchObject({
        outcome: 'failed',
        rolledBack: true,
        stateIntact: true,
        version: V.openclaw.pinned,
      })
    }
    // Nothing after the canary was touched.
    expect(view.instances.filter((i: Json) => i.batch > 1).every((i: Json) => i.state === 'pending')).toBe(
      true,
    )
    for (const id of ids) expect(readFileSync(memory(id), 'utf8')).toContain("the user's notes")
    const v = JSON.parse((await cli(['openclaw', 'versions', '--json'])).stdout).data
    expect(v.openclaw.groups).toEqual([expect.objectContaining({ version: V.openclaw.pinned, instances: N })])
  }, 180_000)

  let good: string

  it('a good release rolls in batches (standbys first, never both members of a pair in one), survives a SIGKILL and resumes', async () => {
    const child = clawopsChild(
      [
        'openclaw',
        'upgrade',
        '--to',
        V.openclaw.next,
        '--canary',
        '2',
        '--batch-size',
        '6',
        '--json',
        '--stream',
      ],
      env,
    )
    let out = ''
    let killed = false
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no batch 2 progress; got:\n${out.slice(-2000)}`)),
        120_000,
      )
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString()
        for (const l of out.split('\n').slice(0, -1)) {
          const e = JSON.parse(l)
          if (!killed && e.event === 'instance' && e.batch === 2) {
            killed = true
            child.kill('SIGKILL')
            clearTimeout(timer)
            resolve()
          }
        }
      })
      child.once('exit', () => {
        clearTimeout(timer)
        resolve()
      })
    })
    expect(killed, out.slice(-2000)).toBe(true)
    if (child.exitCode === null && child.signalCode === null) await new Promise((r) => child.once('exit', r))
    const started = out
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l))
      .find((e) => e.rolloutId)
    good = started.rolloutId
    const resumed = await cli(['openclaw', 'upgrade', 'resume', good, '--json'])
    expect(resumed.code, resumed.stdout + resumed.stderr).toBe(0)
    const view = JSON.parse(resumed.stdout).data.rollout
    expect(view.status).toBe('complete')
    expect(view.counts.upgraded).toBe(N)
    // Batches: the canary, then batches of at most 6; standbys before primaries; a pair split.
    const byBatch = Map.groupBy(view.instances as Json[], (i) => i.batch)
    expect(byBatch.get(1)).toHaveLength(2)
    for (const [, members] of byBatch) {
      expect(members.length).toBeLessThanOrEqual(6)
      expect(new Set(members.map((m) => m.pairId)).size).toBe(members.length)
    }
    const lastStandby = Math.max(
      ...view.instances.filter((i: Json) => i.role === 'standby').map((i: Json) => i.batch),
    )
    const firstPrimary = Math.min(
      ...view.instances.filter((i: Json) => i.role === 'primary').map((i: Json) => i.batch),
    )
    expect(lastStandby).toBeLessThanOrEqual(firstPrimary)
    // Each node keeps one record per upgrade key. The resume asked again under the same key, so every
    // node has one record for this rollout (two for the canary's, which also met the broken one).
    for (const id of ids) {
      const records = readdirSync(join(dirOf(id), 'state', 'openclaw-upgrades')).filter((f) =>
        f.endsWith('.json'),
      )
      expect(records, id).toHaveLength(id === 'up-1' || id === 'up-3' ? 2 : 1)
    }
    const v = JSON.parse((await cli(['openclaw', 'versions', '--json'])).stdout).data
    expect(v.openclaw.groups).toEqual([expect.objectContaining({ version: V.openclaw.next, instances: N })])
    for (const id of ids) expect(readFileSync(memory(id), 'utf8')).toContain("the user's notes")
    const fleetStatus = JSON.parse((await cli(['fleet', 'status', '--json'])).stdout).data
    expect(fleetStatus.versions.openclaw).toEqual([{ version: V.openclaw.next, instances: N }])
  }, 240_000)

  it('gf-clawnode replaces itself on one pair and rejoins on the same device, without a new pairing', async () => {
    const before = (await listNodes(op)).filter((n) => n.instanceId?.startsWith('up-')).length
    const r = await cli(['clawnode', 'upgrade', '--to', V.clawnode.next, '-l', 'pair=p-00', '--json'])
    expect(r.code, r.stdout + r.stderr).toBe(0)
    const view = JSON.parse(r.stdout).data.rollout
    expect(view.counts.upgraded).toBe(2)
    const nodes = (await listNodes(op)).filter((n) => n.instanceId?.startsWith('up-'))
    expect(nodes).toHaveLength(before)
    for (const id of ['up-0', 'up-1']) {
      const n = nodes.find((x) => x.instanceId === id)!
      expect(n.nodeId).toBe(nodeIds.get(id))
      expect(n.connected).toBe(true)
    }
    const v = JSON.parse((await cli(['openclaw', 'versions', '-l', 'pair=p-00', '--json'])).stdout).data
    expect(v.clawnode.groups).toEqual([expect.objectContaining({ version: V.clawnode.next, instances: 2 })])
  }, 180_000)
})

/** Kills every process whose working directory is below `dir` (Linux: /proc/<pid>/cwd). */
function killProcessesIn(dir: string): void {
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      if (readlinkSync(`/proc/${pid}/cwd`).startsWith(dir)) process.kill(Number(pid), 'SIGKILL')
    } catch {
      // gone already, or not ours to read
    }
  }
}
