// gf-clawnode replacing itself, without a gateway: the release fetched over HTTP and checked, the
// atomic swap with the previous release recorded, and the service manager's side: the rollback
// script (the one cloud-init installs) and the lab's supervisor running real gf-clawnode processes
// from the swapped releases — a build that cannot run, and one that never joins within its
// probation, are both put back. Joining for real is in test/integration/upgrades/rolling.test.ts.
// Needs the build (dist/) for the releases.
import { spawnSync } from 'node:child_process'
import {
  createReadStream,
  existsSync,
  mkdirSync,
  readFileSync,
  realpathSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { createServer, type Server } from 'node:http'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ROLLBACK_SCRIPT } from '../../../src/lib/bootstrap/clawnode-service.js'
import { ClawnodeSupervisor } from '../../../src/lib/lab/clawnode-supervisor.js'
import { clawnodeVersion, packClawnodeRelease } from '../../../src/lib/lab/releases.js'
import { packageRoot } from '../../../src/lib/paths.js'
import { nodeConfig, type TestNode, tempDir, testNode } from '../../support/clawnode-fixtures.js'

// biome-ignore lint/suspicious/noExplicitAny: node results, checked by the assertions
type Json = any

const current = clawnodeVersion()
const NEXT = '9.9.1'
const BROKEN = '9.9.2'

async function until<T>(what: string, fn: () => T | undefined | false, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const v = fn()
    if (v) return v
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(200)
  }
}

describe('clawnode.update and the rollback by the service manager', () => {
  const tmp = tempDir('self-update-')
  const rel = join(tmp.dir, 'releases')
  const self = join(tmp.dir, 'gf-clawnode')
  const state = `${tmp.dir}-state`
  const sums = new Map<string, string>()
  let server: Server
  let url: string
  let node: TestNode
  const restarts: string[] = []

  const resetInstall = () => {
    spawnSync('rm', ['-rf', self, join(state, 'self-update')])
    mkdirSync(join(self, 'versions'), { recursive: true })
    symlinkSync(packageRoot(), join(self, 'versions', current))
    symlinkSync(join(self, 'versions', current), join(self, 'current'))
  }
  const configFor = (probationMs: number) =>
    nodeConfig(tmp.dir, { self: { dir: self, probationMs }, releases: { url } })

  beforeAll(async () => {
    mkdirSync(join(rel, 'gf-clawnode'), { recursive: true })
    sums.set(
      NEXT,
      (await packClawnodeRelease(join(rel, 'gf-clawnode', `gf-clawnode-${NEXT}.tgz`), NEXT)).sha256,
    )
    sums.set(
      BROKEN,
      (await packClawnodeRelease(join(rel, 'gf-clawnode', `gf-clawnode-${BROKEN}.tgz`), BROKEN, true)).sha256,
    )
    server = createServer((req, res) => {
      const file = join(rel, (req.url ?? '').replace(/^\/+/, ''))
      if (!existsSync(file)) return res.writeHead(404).end()
      res.writeHead(200)
      createReadStream(file).pipe(res)
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`
    resetInstall()
    node = testNode(configFor(60_000))
    node.ctx.version = current
    node.ctx.requestRestart = (why) => restarts.push(why)
  }, 60_000)

  afterAll(() => {
    server?.close()
    tmp.cleanup()
  })

  it('refuses a download whose checksum does not match, changing nothing', async () => {
    const out = await node.invoke('clawnode.update', { version: NEXT, sha256: 'a'.repeat(64), key: 'k-bad' })
    expect(out).toMatchObject({ ok: false, error: { code: 'INVALID_PARAMS' } })
    expect(realpathSync(join(self, 'current'))).toBe(realpathSync(packageRoot()))
    expect(existsSync(join(state, 'self-update', 'pending'))).toBe(false)
  })

  it('fetches, checks, swaps atomically and asks for a restart; the same key answers the same', async () => {
    const r = await node.call<Json>('clawnode.update', {
      version: NEXT,
      sha256: sums.get(NEXT),
      key: 'k-next',
    })
    expect(r).toMatchObject({ outcome: 'restarting', from: current, to: NEXT })
    expect(realpathSync(join(self, 'current'))).toBe(join(self, 'versions', NEXT))
    expect(readFileSync(join(state, 'self-update', 'previous'), 'utf8').trim()).toBe(
      realpathSync(packageRoot()),
    )
    expect(JSON.parse(readFileSync(join(state, 'self-update', 'pending'), 'utf8'))).toMatchObject({
      key: 'k-next',
      to: NEXT,
    })
    // The new release names its version.
    const v = spawnSync(process.execPath, [join(self, 'current', 'bin', 'gf-clawnode.js'), '--version'], {
      encoding: 'utf8',
    })
    expect(v.stdout).toMatch(new RegExp(`^gf-clawnode/${NEXT.replaceAll('.', '\\.')} `))
    await until('the restart request', () => restarts.length === 1)
    expect(
      (await node.call<Json>('clawnode.update', { version: NEXT, sha256: sums.get(NEXT), key: 'k-next' }))
        .outcome,
    ).toBe('restarting')
  })

  it('the rollback script puts the previous release back; the old release answers the key with that', async () => {
    const r = spawnSync('/bin/sh', ['-c', ROLLBACK_SCRIPT], {
      env: { ...process.env, GF_CLAWNODE_ROOT: self, GF_CLAWNODE_STATE: state },
      encoding: 'utf8',
    })
    expect(r.status, r.stderr).toBe(0)
    expect(realpathSync(join(self, 'current'))).toBe(realpathSync(packageRoot()))
    expect(existsSync(join(state, 'self-update', 'pending'))).toBe(false)
    const out = await node.call<Json>('clawnode.update', {
      version: NEXT,
      sha256: sums.get(NEXT),
      key: 'k-next',
    })
    expect(out).toMatchObject({
      outcome: 'rolled-back',
      reason: 'did-not-come-back',
      from: current,
      to: NEXT,
    })
    // Run again with nothing pending, it does nothing.
    const again = spawnSync('/bin/sh', ['-c', ROLLBACK_SCRIPT], {
      env: { ...process.env, GF_CLAWNODE_ROOT: self, GF_CLAWNODE_STATE: state },
      encoding: 'utf8',
    })
    expect(again.status).toBe(0)
    expect(realpathSync(join(self, 'current'))).toBe(realpathSync(packageRoot()))
  })

  for (const [name, version, probationMs] of [
    // A short probation for the broken build too: it exits before probation matters, and the
    // previous release is then watched for that long to show nothing is on probation any more.
    ['a build that cannot run', BROKEN, 1_500],
    ['a build that never joins the gateway within its probation', NEXT, 1_500],
  ] as const) {
    it(`the supervisor restarts ${name}, then runs the rollback script and starts the previous release`, async () => {
      resetInstall()
      const n = testNode(configFor(probationMs))
      n.ctx.version = current
      n.ctx.requestRestart = () => {}
      const r = await n.call<Json>('clawnode.update', {
        version,
        sha256: sums.get(version),
        key: `k-${version}`,
      })
      expect(r.outcome).toBe('restarting')
      const cfg = join(tmp.dir, `node-${version}.json`)
      writeFileSync(cfg, JSON.stringify({ ...n.ctx.config, log: { level: 'info', target: 'stderr' } }))
      const supervisor = new ClawnodeSupervisor(pino({ enabled: false }), { burst: 3, intervalSeconds: 300 })
      try {
        supervisor.start('vps', {
          argv: [process.execPath, join(self, 'current', 'bin', 'gf-clawnode.js'), 'run', '--config', cfg],
          logFile: join(tmp.dir, `node-${version}.log`),
          env: process.env,
          rollbackEnv: { GF_CLAWNODE_ROOT: self, GF_CLAWNODE_STATE: state },
        })
        await until('the rollback', () => existsSync(join(state, 'self-update', 'rolled-back')), 60_000)
        expect(realpathSync(join(self, 'current'))).toBe(realpathSync(packageRoot()))
        // The previous release runs again (and keeps running: it has no gateway to join, but nothing
        // is on probation any more).
        await sleep(probationMs + 1_500)
        expect(supervisor.pid('vps')).toBeDefined()
        const log = readFileSync(join(tmp.dir, `node-${version}.log`), 'utf8')
        expect(log).toContain(version === BROKEN ? 'this build is broken' : 'did not join the gateway')
      } finally {
        await supervisor.close()
      }
    }, 90_000)
  }
})
