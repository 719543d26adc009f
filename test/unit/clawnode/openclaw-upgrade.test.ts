// gf-clawnode's OpenClaw upgrade on one host, for real: lab releases (the stand-in packed as OpenClaw
// is) served over HTTP, unpacked into versions/<v> with `current` swapped, the user's gateway a real
// process restarted by the process service manager, its state directory snapshotted and restored.
// Needs the build (dist/) for the stand-in the releases pack.

import {
  createReadStream,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { createServer, type Server } from 'node:http'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createOpenclawInstaller } from '../../../clawnode/openclaw-install.js'
import { recoverInterruptedUpgrades } from '../../../clawnode/openclaw-upgrade.js'
import { takeSnapshot } from '../../../clawnode/state-snapshot.js'
import { packOpenclawRelease } from '../../../src/lib/lab/releases.js'
import { nodeConfig, type TestNode, tempDir, testNode } from '../../support/clawnode-fixtures.js'
import { freePort } from '../../support/gateway-process.js'

// biome-ignore lint/suspicious/noExplicitAny: node results, checked by the assertions
type Json = any

const A = '2026.9.6'
const B = '2026.9.6-1'
const DOCTOR = '2026.9.6-2'
const UNREADY = '2026.9.6-3'
const CRASH = '2026.9.7'
const ODD = 'nightly'

describe('openclaw.update / openclaw.rollback on a host that installs releases', () => {
  const tmp = tempDir('oc-upgrade-')
  const rel = join(tmp.dir, 'releases')
  const install = join(tmp.dir, 'install')
  const user = join(tmp.dir, 'user')
  const sums = new Map<string, string>()
  let server: Server
  let node: TestNode
  let port: number
  let url: string

  const call = (command: string, params: Record<string, unknown>) => node.call<Json>(command, params)
  const upgrade = (version: string, key: string, sha256 = sums.get(version)!) =>
    call('openclaw.update', { version, sha256, key })
  const startupz = async () => (await fetch(`http://127.0.0.1:${port}/startupz`)).json() as Promise<Json>
  const stateFile = () => JSON.parse(readFileSync(join(user, 'stand-in-state.json'), 'utf8'))
  const pid = async () => ((await call('openclaw.health', {})) as Json).service.pid as number

  beforeAll(async () => {
    mkdirSync(join(rel, 'openclaw'), { recursive: true })
    const builds: [string, Parameters<typeof packOpenclawRelease>[2]][] = [
      [A, { schema: 1, startupMs: 200 }],
      [B, { schema: 2, startupMs: 200 }],
      [DOCTOR, { schema: 3, break: 'doctor' }],
      [UNREADY, { schema: 3, break: 'readiness' }],
      [CRASH, { schema: 3, break: 'crash' }],
      [ODD, { schema: 1 }],
    ]
    for (const [v, flags] of builds) {
      const r = await packOpenclawRelease(join(rel, 'openclaw', `openclaw-${v}.tgz`), v, flags)
      sums.set(v, r.sha256)
    }
    server = createServer((req, res) => {
      const file = join(rel, (req.url ?? '').replace(/^\/+/, ''))
      if (!existsSync(file)) return res.writeHead(404).end()
      res.writeHead(200)
      createReadStream(file).pipe(res)
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`

    // The host as provisioned: A unpacked, `current` pointing at it, the user's state beside it.
    const { extract } = await import('tar')
    mkdirSync(join(install, 'versions', A), { recursive: true })
    await extract({
      file: join(rel, 'openclaw', `openclaw-${A}.tgz`),
      cwd: join(install, 'versions', A),
      strip: 1,
    })
    writeFileSync(join(install, 'versions', A, '.clawnode-release'), `${sums.get(A)}\n`)
    symlinkSync(join(install, 'versions', A), join(install, 'current'))
    mkdirSync(join(user, 'sessions'), { recursive: true })
    writeFileSync(join(user, 'openclaw.json'), '{"gateway":{"mode":"local"}}\n')
    writeFileSync(join(user, 'sessions', 'main.jsonl'), '{"role":"user","text":"hello"}\n')

    port = await freePort()
    node = testNode(
      nodeConfig(tmp.dir, {
        service: {
          kind: 'process',
          argv: [process.execPath, 'current/openclaw.mjs', 'gateway', 'run', '--port', String(port)],
          cwd: install,
          env: { OPENCLAW_CONFIG_PATH: join(user, 'openclaw.json'), OPENCLAW_STATE_DIR: user },
          stopTimeoutMs: 2_000,
        },
        userGateway: {
          url: `http://127.0.0.1:${port}`,
          configPath: join(user, 'openclaw.json'),
          healthTimeoutMs: 1_000,
        },
        openclaw: {
          install: { kind: 'releases', dir: install },
          readyTimeoutMs: 4_000,
          doctorTimeoutMs: 20_000,
        },
        releases: { url },
      }),
    )
    await node.call('openclaw.start', { waitTimeoutMs: 10_000 })
  }, 60_000)

  afterAll(async () => {
    await node?.ctx.services.close()
    server?.close()
    tmp.cleanup()
  })

  it('reports the running version from the gateway’s startup probe', async () => {
    // openclaw.start waits for liveness; readiness follows once the stand-in's startup is over.
    let v = await call('openclaw.version', {})
    for (let i = 0; i < 50 && !v.openclaw.ready; i++) {
      await new Promise((r) => setTimeout(r, 200))
      v = await call('openclaw.version', {})
    }
    expect(v.openclaw).toMatchObject({
      version: A,
      source: 'startupz',
      installed: A,
      live: true,
      ready: true,
    })
    expect(stateFile().schema).toBe(1)
  })

  it('upgrades: new files, a restarted process reporting the target, doctor passed; a repeat of the key changes nothing', async () => {
    const before = await pid()
    const r = await upgrade(B, 'k-up-b')
    expect(r).toMatchObject({ outcome: 'upgraded', from: A, to: B, version: B, healthy: true })
    expect(r.doctor.exitCode).toBe(0)
    expect(await pid()).not.toBe(before)
    expect((await startupz()).version).toBe(B)
    expect(stateFile()).toMatchObject({ schema: 2, lastTouchedVersion: B })
    const snaps = readdirSync(join(`${tmp.dir}-state`, 'snapshots'))
    const again = await upgrade(B, 'k-up-b')
    expect(again).toEqual(r)
    expect(readdirSync(join(`${tmp.dir}-state`, 'snapshots'))).toEqual(snaps)
  })

  it('a build whose doctor fails is rolled back: previous version, the state exactly as before', async () => {
    const state = readFileSync(join(user, 'stand-in-state.json'), 'utf8')
    const r = await upgrade(DOCTOR, 'k-up-doctor')
    expect(r).toMatchObject({
      outcome: 'rolled-back',
      reason: 'doctor',
      from: B,
      to: DOCTOR,
      version: B,
      healthy: true,
    })
    expect(r.state.intact).toBe(true)
    expect(r.doctor.exitCode).toBe(1)
    expect(readFileSync(join(user, 'stand-in-state.json'), 'utf8')).toBe(state)
    expect(readFileSync(join(user, 'sessions', 'main.jsonl'), 'utf8')).toContain('hello')
    // What the failed version left is kept aside, not deleted.
    expect(existsSync(r.state.keptAside)).toBe(true)
    expect((await startupz()).version).toBe(B)
  })

  it('a build that never gets ready, or crashes at start, is rolled back too', async () => {
    const unready = await upgrade(UNREADY, 'k-up-unready')
    expect(unready).toMatchObject({ outcome: 'rolled-back', reason: 'not-ready', version: B, healthy: true })
    expect(unready.detail).toContain('agent-database:main')
    expect(unready.state.intact).toBe(true)
    const crash = await upgrade(CRASH, 'k-up-crash')
    expect(crash).toMatchObject({ outcome: 'rolled-back', version: B, healthy: true })
    expect(['crashed', 'not-started']).toContain(crash.reason)
    expect(stateFile().schema).toBe(2)
  })

  it('a wrong checksum is refused before anything is touched', async () => {
    const before = await pid()
    const r = await upgrade(DOCTOR, 'k-bad-sum', 'f'.repeat(64))
    expect(r).toMatchObject({ outcome: 'failed', reason: 'checksum', version: B })
    expect(await pid()).toBe(before)
  })

  it('an older version is skipped, not installed', async () => {
    const r = await upgrade(A, 'k-down')
    expect(r).toMatchObject({ outcome: 'skipped', reason: 'newer', version: B })
  })

  it('reverts a completed upgrade only while the gateway runs what it installed, keeping the state since aside', async () => {
    writeFileSync(
      join(user, 'sessions', 'main.jsonl'),
      '{"role":"user","text":"hello"}\n{"role":"user","text":"later"}\n',
    )
    const r = await call('openclaw.rollback', { upgradeKey: 'k-up-b', key: 'k-revert-b' })
    expect(r).toMatchObject({ outcome: 'reverted', from: B, to: A, version: A, healthy: true })
    expect(r.state.intact).toBe(true)
    expect(stateFile().schema).toBe(1)
    expect(readFileSync(join(user, 'sessions', 'main.jsonl'), 'utf8')).not.toContain('later')
    expect(existsSync(r.state.keptAside)).toBe(true)
    // Again: it runs A now, not what that upgrade installed: left alone.
    const again = await call('openclaw.rollback', { upgradeKey: 'k-up-b', key: 'k-revert-b2' })
    expect(again.outcome).toBe('superseded')
  })

  it('blocks an instance whose running version does not parse, touching nothing', async () => {
    // A host running a build that calls itself "nightly".
    const up = await upgrade(B, 'k-up-b-again')
    expect(up.outcome).toBe('upgraded')
    const { extract } = await import('tar')
    mkdirSync(join(install, 'versions', ODD), { recursive: true })
    await extract({
      file: join(rel, 'openclaw', `openclaw-${ODD}.tgz`),
      cwd: join(install, 'versions', ODD),
      strip: 1,
    })
    createOpenclawInstaller(node.ctx.config).activate(ODD)
    await node.call('openclaw.restart', { waitTimeoutMs: 10_000 })
    expect((await startupz()).version).toBe(ODD)
    const before = await pid()
    const r = await upgrade(B, 'k-odd')
    expect(r).toMatchObject({ outcome: 'blocked', reason: 'unknown-version', from: ODD })
    expect(await pid()).toBe(before)
    createOpenclawInstaller(node.ctx.config).activate(B)
    await node.call('openclaw.restart', { waitTimeoutMs: 10_000 })
  })

  it('an upgrade a dead process left in the middle is rolled back when the node starts', async () => {
    // What a gf-clawnode killed right after the swap leaves: the record, the snapshot, B's files swapped out.
    const installer = createOpenclawInstaller(node.ctx.config)
    await node.ctx.services.stop({ timeoutMs: 5_000 })
    const snap = await takeSnapshot(user, join(`${tmp.dir}-state`, 'snapshots'), 'crash-test')
    const previous = installer.activate(A)
    const dir = join(`${tmp.dir}-state`, 'openclaw-upgrades')
    const { createHash } = await import('node:crypto')
    const name = `${createHash('sha256').update('k-died').digest('hex').slice(0, 32)}.json`
    writeFileSync(
      join(dir, name),
      JSON.stringify({
        key: 'k-died',
        kind: 'upgrade',
        from: B,
        to: A,
        phase: 'activated',
        snapshot: snap,
        previous,
        failure: null,
        startedAt: new Date().toISOString(),
        updatedAt: new Date().toISOString(),
        result: null,
      }),
    )
    writeFileSync(join(user, 'stand-in-state.json'), '{"schema":9}')
    const [r] = await recoverInterruptedUpgrades(node.ctx)
    expect(r).toMatchObject({
      key: 'k-died',
      outcome: 'rolled-back',
      reason: 'interrupted',
      version: B,
      healthy: true,
    })
    expect(r!.state!.intact).toBe(true)
    expect(stateFile().schema).toBe(2)
    // The key now answers with that outcome.
    expect((await upgrade(A, 'k-died')).outcome).toBe('rolled-back')
  })
})
