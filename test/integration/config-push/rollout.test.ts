// `clawops config push` end to end: the built CLI, the run's real OpenClaw gateway, a real gf-clawnode
// swarm of 120 nodes (one process, each node its own identity and its own openclaw.json), and one
// real gf-clawnode whose user gateway (a stand-in) runs under the process service manager. One file,
// run in order: push → history → rollback → a halt on the budget → SIGKILL mid-rollout and resume →
// the restart path.
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import type { RolloutView } from '../../../src/lib/config-push/view.js'
import type { Instance } from '../../../src/lib/domain/instance.js'
import { GatewayClient } from '../../../src/lib/gateway/client.js'
import { CLAWNODE_COMMANDS } from '../../../src/lib/gateway/node-commands.js'
import { listNodes } from '../../../src/lib/gateway/nodes.js'
import { issueNodeBootstrapToken } from '../../../src/lib/gateway/pairing.js'
import { openclawBin } from '../../../src/lib/paths.js'
import { AuditTrail } from '../../../src/lib/store/audit-trail.js'
import { Instances } from '../../../src/lib/store/instances.js'
import { Pairs } from '../../../src/lib/store/pairs.js'
import { STAND_IN_GATEWAY, tempDir } from '../../support/clawnode-fixtures.js'
import { type ClawnodeProcess, spawnClawnode, waitFor } from '../../support/clawnode-process.js'
import { clawops, clawopsChild } from '../../support/cli.js'
import { testContext } from '../../support/context.js'
import { childEnv, freePort } from '../../support/gateway-process.js'

const gw = inject('gateway')
const N = 120
const PAIRS = N / 2
// Pair k is (cp-2k primary, cp-2k+1 standby). Standbys go first, so pair 0..4's standbys are the canary.
const MALFORMED = ['cp-9', 'cp-40', 'cp-77'] // standby of pair 4 (canary), primaries of pairs 20 and 38
const INVALID = ['cp-41', 'cp-90'] // standby of pair 20, primary of pair 45

// biome-ignore lint/suspicious/noExplicitAny: JSON from the CLI, checked by the assertions
type Json = any

function userConfig(instanceId: string) {
  return {
    gateway: {
      mode: 'local',
      port: 18789,
      bind: 'loopback',
      auth: { mode: 'token', token: `tok-${instanceId}-do-not-leak` },
    },
    agents: {
      defaults: { model: { primary: 'openai/gpt-5.2', fallbacks: ['anthropic/claude-sonnet-4-6'] } },
    },
  }
}

/** The instances of a rollout that need a look, for failure messages. */
function problems(r: RolloutView) {
  return {
    reason: r.reason,
    instances: r.instances
      .filter((i) => i.outcome !== 'applied')
      .map((i) => [i.instanceId, i.outcome, i.reason, i.detail]),
  }
}

function ndjson(stdout: string): Json[] {
  return stdout
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l))
}

describe(`config push across ${N} real gf-clawnodes`, () => {
  const tmp = tempDir('config-push-it-')
  const home = join(tmp.dir, 'home')
  const configs = join(tmp.dir, 'configs')
  const env = { CLAWOPS_HOME: home, OPENCLAW_GATEWAY_TOKEN: gw.token }
  const procs: ClawnodeProcess[] = []
  const children: ChildProcess[] = []
  let op: GatewayClient
  let fleet: Instance[] = []
  const original = new Map<string, string>()
  const pathOf = (id: string) => join(configs, `${id}.json`)
  const file = (id: string) => readFileSync(pathOf(id), 'utf8')
  const prev = (id: string) => readFileSync(`${pathOf(id)}.clawnode-prev`, 'utf8')
  const primaryOf = (id: string) => JSON.parse(file(id)).agents.defaults.model.primary as string
  const cli = (args: string[]) => clawops(args, env)
  let single: { id: string; dir: string; config: string }

  beforeAll(async () => {
    mkdirSync(home, { recursive: true })
    mkdirSync(configs, { recursive: true })
    writeFileSync(join(home, 'config.json'), JSON.stringify({ gateway: { url: gw.url } }))
    op = await GatewayClient.connect({
      url: gw.url,
      auth: { kind: 'backend', token: gw.token },
      requestTimeoutMs: 60_000,
    })

    // The users' gateways the swarm nodes probe for health: one stand-in serves them all.
    const standInPort = await freePort()
    const standIn = spawn(process.execPath, [STAND_IN_GATEWAY(), '--port', String(standInPort)], {
      stdio: 'ignore',
      env: childEnv(),
    })
    children.push(standIn)
    for (let i = 0; i < N; i++) {
      const id = `cp-${i}`
      const content = MALFORMED.includes(id)
        ? '{"gateway": {"mode": "local", '
        : `${JSON.stringify(
            INVALID.includes(id)
              ? { ...userConfig(id), gateway: { mode: 'local', port: 'eighteen' } }
              : userConfig(id),
            null,
            2,
          )}\n`
      writeFileSync(pathOf(id), content)
      original.set(id, content)
    }

    // One bootstrap credential per node: each joins in one connect, no approvals needed.
    const tokens: string[] = []
    for (let i = 0; i < N + 1; i += 10) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(10, N + 1 - i) }, () => issueNodeBootstrapToken(op, gw.url)),
      )
      tokens.push(...batch.map((b) => b.bootstrapToken))
    }
    const swarmDir = join(tmp.dir, 'swarm')
    mkdirSync(swarmDir, { recursive: true })
    writeFileSync(join(swarmDir, 'tokens.json'), JSON.stringify(tokens.slice(0, N)), { mode: 0o600 })
    procs.push(
      spawnClawnode(
        swarmDir,
        {
          instanceId: 'cp',
          gateway: { url: gw.url, bootstrapToken: tokens[N] },
          stateDir: join(swarmDir, 'state'),
          log: { level: 'warn', target: 'stderr' },
          userGateway: {
            url: `http://127.0.0.1:${standInPort}`,
            configPath: join(configs, '{instanceId}.json'),
            // OpenClaw's own validation, as cloud-init sets it up on a VPS (one validator per process).
            validator: { node: [process.execPath], openclaw: openclawBin() },
          },
        },
        {
          args: [
            'swarm',
            '--count',
            String(N),
            '--ramp',
            '60',
            '--bootstrap-tokens',
            join(swarmDir, 'tokens.json'),
          ],
        },
      ),
    )

    // One real node whose user gateway runs under the process service manager (the restart path).
    const singleDir = join(tmp.dir, 'single')
    mkdirSync(join(singleDir, 'user'), { recursive: true })
    const singlePort = await freePort()
    single = { id: 'cp-single', dir: singleDir, config: join(singleDir, 'user', 'openclaw.json') }
    writeFileSync(
      single.config,
      `${JSON.stringify({ gateway: { mode: 'local', port: singlePort } }, null, 2)}\n`,
    )
    const extra = await issueNodeBootstrapToken(op, gw.url)
    procs.push(
      spawnClawnode(singleDir, {
        instanceId: single.id,
        gateway: { url: gw.url, bootstrapToken: extra.bootstrapToken },
        stateDir: join(singleDir, 'state'),
        log: { level: 'warn', target: 'stderr' },
        service: {
          kind: 'process',
          argv: [process.execPath, STAND_IN_GATEWAY(), '--port', String(singlePort)],
          env: { OPENCLAW_CONFIG_PATH: single.config },
          stopTimeoutMs: 2_000,
        },
        userGateway: { url: `http://127.0.0.1:${singlePort}`, configPath: single.config },
      }),
    )

    const nodes = await waitFor(
      'every node connected with its commands approved',
      async () => {
        const ready = (await listNodes(op)).filter(
          (n) =>
            (n.instanceId?.startsWith('cp-') ?? false) &&
            n.connected &&
            n.approvalState === 'approved' &&
            n.commands.length === CLAWNODE_COMMANDS.length,
        )
        return ready.length === N + 1 ? ready : undefined
      },
      150_000,
      1_000,
    )
    const nodeOf = new Map(nodes.map((n) => [n.instanceId!, n.nodeId]))

    const ctx = testContext({ home })
    const now = ctx.now()
    const store = ctx.store()
    store.tx(() => {
      const add = (pairId: string, userId: string, role: 'primary' | 'standby', id: string) => {
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
          nodeId: nodeOf.get(id)!,
          labels: { cohort: id === single.id ? 'single' : 'it' },
          healthScore: 100,
          lastHeartbeatAt: now,
          createdAt: now,
          updatedAt: now,
        }
        store.repo(Instances).insert(inst)
        fleet.push(inst)
      }
      for (let k = 0; k < PAIRS; k++) {
        const pairId = `p-${String(k).padStart(3, '0')}`
        const userId = `u-${String(k).padStart(3, '0')}`
        store.repo(Pairs).insert({ id: pairId, userId, labels: {}, createdAt: now, updatedAt: now })
        add(pairId, userId, 'primary', `cp-${2 * k}`)
        add(pairId, userId, 'standby', `cp-${2 * k + 1}`)
      }
      store
        .repo(Pairs)
        .insert({ id: 'p-single', userId: 'u-single', labels: {}, createdAt: now, updatedAt: now })
      add('p-single', 'u-single', 'primary', single.id)
    })
    fleet = fleet.filter((i) => i.id !== single.id)
    ctx.close()
  }, 240_000)

  afterAll(async () => {
    await Promise.all(procs.map((p) => p.stop()))
    for (const c of children) c.kill('SIGTERM')
    await op?.close()
    if (process.env.CLAWOPS_TEST_KEEP_TMP) process.stderr.write(`[it] kept ${tmp.dir}\n`)
    else tmp.cleanup()
  })

  let first: RolloutView

  it(`pushes the Kimi K2.5 routing to ${N} instances: canary, batches of 50, malformed configs flagged, invalid ones failed`, () => {
    writeFileSync(
      join(tmp.dir, 'kimi.json'),
      JSON.stringify({
        agents: { defaults: { model: { primary: 'moonshot/kimi-k2.5', fallbacks: ['openai/gpt-5.2'] } } },
      }),
    )
    const t0 = Date.now()
    const r = cli([
      'config',
      'push',
      '--merge',
      join(tmp.dir, 'kimi.json'),
      '-l',
      'cohort=it',
      '--canary',
      '5',
      // Batches of 50 and no pause are looser than rule 2 lets 120 instances roll: --yes confirms it.
      '--batch-size',
      '50',
      '--pause',
      '0',
      '--max-failures',
      '5%',
      '--yes',
      '--json',
      '--stream',
    ])
    process.stderr.write(`[it] config push to ${N} instances: ${Date.now() - t0} ms\n`)
    const lines = ndjson(r.stdout)
    const envelope = lines.at(-1)
    expect(r.code, r.stderr).toBe(68)
    expect(envelope).toMatchObject({ ok: false, error: { code: 'PARTIAL_FAILURE' } })
    first = envelope.error.details.rollout
    expect(first, JSON.stringify(problems(first))).toMatchObject({ status: 'complete', version: 1 })
    expect(first.counts).toMatchObject({ total: N, applied: N - 5, skipped: 3, failed: 2, pending: 0 })
    expect(first.batches.list.map((b) => b.size)).toEqual([5, 50, 50, 15])
    expect(first.instances).toHaveLength(N)
    expect(first.flagged.sort()).toEqual([...MALFORMED].sort())
    for (const id of INVALID)
      expect(first.instances.find((i) => i.instanceId === id)).toMatchObject({
        outcome: 'failed',
        reason: 'invalid',
      })

    // Progress streamed while it ran: every instance, and each batch k/n.
    const progress = lines.filter((l) => l.type === 'progress')
    expect(progress.filter((p) => p.event === 'instance')).toHaveLength(N)
    expect(progress.filter((p) => p.event === 'batch').map((p) => `${p.batch}/${p.of}`)).toEqual([
      '1/4',
      '2/4',
      '3/4',
      '4/4',
    ])
    expect(progress.find((p) => p.event === 'instance')?.message).toMatch(
      /^batch 1\/4 · applied \d+ · failed \d+ · skipped \d+/,
    )

    // Standbys first, never both members of a pair in one batch.
    const batchOf = new Map(first.instances.map((i) => [i.instanceId, i.batch]))
    for (let k = 0; k < PAIRS; k++)
      expect(batchOf.get(`cp-${2 * k + 1}`)!).toBeLessThan(batchOf.get(`cp-${2 * k}`)!)

    for (const { id } of fleet) {
      if (MALFORMED.includes(id) || INVALID.includes(id)) {
        expect(file(id)).toBe(original.get(id))
        expect(existsSync(`${pathOf(id)}.clawnode-prev`)).toBe(false)
        continue
      }
      expect(primaryOf(id)).toBe('moonshot/kimi-k2.5')
      expect(JSON.parse(file(id)).gateway.auth.token).toBe(`tok-${id}-do-not-leak`)
      expect(prev(id)).toBe(original.get(id))
    }
    expect(`${r.stdout}${r.stderr}`).not.toContain('do-not-leak')
  })

  it('keeps the push as config version 1 with its diff, once', () => {
    const h = cli(['config', 'history', '--json'])
    expect(h.code, h.stderr).toBe(0)
    expect((h.json as Json).data).toMatchObject([
      { version: 1, kind: 'push', status: 'complete', rolloutId: first.rolloutId },
    ])
    const s = cli(['config', 'show', 'v1', '--json'])
    expect(s.code, s.stderr).toBe(0)
    const v = (s.json as Json).data
    expect(v.diff.map((c: Json) => c.path)).toEqual([
      'agents.defaults.model.primary',
      'agents.defaults.model.fallbacks',
    ])
    expect(v.rollout.diff.applied).toEqual([
      {
        instances: N - 5,
        changes: [
          {
            path: 'agents.defaults.model.fallbacks',
            op: 'change',
            before: ['anthropic/claude-sonnet-4-6'],
            after: ['openai/gpt-5.2'],
          },
          {
            path: 'agents.defaults.model.primary',
            op: 'change',
            before: 'openai/gpt-5.2',
            after: 'moonshot/kimi-k2.5',
          },
        ],
      },
    ])
    const human = clawops(['config', 'push', 'status', first.rolloutId], env)
    expect(human.code).toBe(0)
    expect(human.stdout).toContain('Flagged for manual review: ')
  })

  it('rolls back: the previous config is back on every instance the push changed', () => {
    const r = cli([
      'config',
      'push',
      'rollback',
      first.rolloutId,
      '--yes',
      '--json',
      '--reason',
      'integration test',
    ])
    expect(r.code, r.stderr).toBe(0)
    const rb = (r.json as Json).data.rollout as RolloutView
    expect(rb).toMatchObject({ kind: 'rollback', reverts: first.rolloutId, version: 2, status: 'complete' })
    expect(rb.counts).toMatchObject({ total: N - 5, reverted: N - 5, failed: 0 })
    for (const { id } of fleet) expect(file(id), id).toBe(original.get(id))
    const again = cli(['config', 'push', 'rollback', first.rolloutId, '--yes', '--json'])
    expect(again.code).toBe(10)
    const status = cli(['config', 'push', 'status', first.rolloutId, '--json'])
    expect((status.json as Json).data).toMatchObject({ status: 'rolled-back', rolledBackBy: [rb.rolloutId] })
  })

  let second: RolloutView

  it('halts when the first batch blows the failure budget; later batches are untouched', () => {
    // Three more standbys of the first batch now hold configs their validator rejects.
    for (const id of ['cp-1', 'cp-3', 'cp-5']) {
      const bad = `${JSON.stringify({ ...userConfig(id), gateway: { mode: 'sideways' } }, null, 2)}\n`
      writeFileSync(pathOf(id), bad)
      original.set(id, bad)
    }
    writeFileSync(
      join(tmp.dir, 'thinking.json'),
      JSON.stringify({ agents: { defaults: { model: { primary: 'moonshot/kimi-k2.5-thinking' } } } }),
    )
    const r = cli([
      'config',
      'push',
      '--merge',
      join(tmp.dir, 'thinking.json'),
      '-l',
      'cohort=it',
      '--batch-size',
      '20',
      '--pause',
      '1s',
      '--max-failures',
      '10%',
      '--yes',
      '--json',
    ])
    expect(r.code, r.stderr).toBe(68)
    second = (r.json as Json).error.details.rollout
    expect(second.status).toBe('halted')
    expect(second.reason).toMatch(
      /failure budget 10% exceeded after batch 1\/6: 3 of 20 failed \(15% > 10%\)/,
    )
    expect(second.counts).toMatchObject({ applied: 16, failed: 3, skipped: 1, pending: N - 20 })
    for (const i of second.instances.filter((x) => x.batch > 1))
      expect(file(i.instanceId)).toBe(original.get(i.instanceId))
    expect(second.next).toEqual([
      `clawops config push resume ${second.rolloutId}`,
      `clawops config push rollback ${second.rolloutId}`,
    ])
  })

  it('survives a SIGKILL mid-rollout: resume continues from the first unfinished batch and applies nothing twice', async () => {
    const child = clawopsChild(['config', 'push', 'resume', second.rolloutId, '--json', '--stream'], env)
    children.push(child)
    let out = ''
    let killedAfter: Json | undefined
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no batch 3 progress; got:\n${out.slice(-2000)}`)),
        90_000,
      )
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString()
        for (const l of out.split('\n').slice(0, -1)) {
          if (killedAfter) break
          const e = JSON.parse(l)
          if (e.event === 'instance' && e.batch === 3) {
            killedAfter = e
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
    expect(killedAfter, out.slice(-2000)).toBeDefined()
    if (child.exitCode === null && child.signalCode === null) await new Promise((r) => child.once('exit', r))

    const mid = (cli(['config', 'push', 'status', second.rolloutId, '--json']).json as Json)
      .data as RolloutView
    expect(mid.status).toBe('interrupted')
    expect(mid.batches.current).toBe(3)
    const settledBefore = mid.instances
      .filter((i) => i.state === 'done' && i.outcome === 'applied')
      .map((i) => i.instanceId)
    expect(settledBefore.length).toBeGreaterThanOrEqual(16 + 19)
    const inodes = new Map(settledBefore.map((id) => [id, statSync(pathOf(id)).ino]))
    process.stderr.write(
      `[it] killed in batch 3: ${settledBefore.length} applied, ${mid.instances.filter((i) => i.state === 'pushing').length} pushes in flight\n`,
    )

    // A plain ops resume finishes it and exits (it once held its gateway connection open after).
    const t0 = Date.now()
    const r = clawops(['ops', 'resume', mid.opId, '--json'], env, undefined, 45_000)
    process.stderr.write(`[it] ops resume exited ${r.code} in ${Date.now() - t0} ms\n`)
    expect(r.code, `${r.stderr}\n${r.stdout.slice(-2000)}`).toBe(0)
    expect((r.json as Json).data.operations).toEqual([
      expect.objectContaining({ id: mid.opId, state: 'done' }),
    ])
    const done = (cli(['config', 'push', 'status', second.rolloutId, '--json']).json as Json)
      .data as RolloutView
    expect(done.status).toBe('complete')
    expect(done.counts).toMatchObject({
      total: N,
      pending: 0,
      inFlight: 0,
      failed: 5,
      skipped: 3,
      applied: N - 8,
    })
    // Nothing applied twice: every applied instance's kept previous version is its file before this
    // push (a second swap would have made it the new config), and instances settled before the kill
    // were not written again.
    for (const i of done.instances.filter((x) => x.outcome === 'applied')) {
      expect(primaryOf(i.instanceId)).toBe('moonshot/kimi-k2.5-thinking')
      expect(JSON.parse(prev(i.instanceId)).agents.defaults.model.primary, i.instanceId).toBe(
        'openai/gpt-5.2',
      )
    }
    for (const [id, ino] of inodes) expect(statSync(pathOf(id)).ino, id).toBe(ino)
    const ctx = testContext({ home })
    const perInstance = new Map<string, number>()
    for (const e of ctx
      .store()
      .repo(AuditTrail)
      .query({ opId: done.opId, action: 'config.push.instance', limit: 10_000 }))
      perInstance.set(e.target!, (perInstance.get(e.target!) ?? 0) + 1)
    expect([...perInstance.values()].every((n) => n === 1)).toBe(true)
    expect(perInstance.size).toBe(N)
    expect(ctx.store().repo(AuditTrail).verify().ok).toBe(true)
    ctx.close()
  }, 120_000)

  it('a change that needs a restart: a gateway that does not come back gets its previous config back', () => {
    const before = readFileSync(single.config, 'utf8')
    writeFileSync(join(tmp.dir, 'crash.json'), JSON.stringify({ standIn: { crashOnStart: true } }))
    const bad = cli([
      'config',
      'push',
      '--merge',
      join(tmp.dir, 'crash.json'),
      '-l',
      'pair=p-single',
      '--all-at-once',
      '--yes',
      '--json',
    ])
    expect(bad.code, bad.stdout + bad.stderr).toBe(68)
    const r = (bad.json as Json).error.details.rollout as RolloutView
    expect(r.instances[0]).toMatchObject({
      instanceId: single.id,
      outcome: 'failed',
      reason: 'unhealthy',
      revert: 'reverted',
    })
    expect(readFileSync(single.config, 'utf8')).toBe(before)

    writeFileSync(join(tmp.dir, 'bind.json'), JSON.stringify({ gateway: { bind: 'lan' } }))
    const good = cli([
      'config',
      'push',
      '--merge',
      join(tmp.dir, 'bind.json'),
      '-l',
      'pair=p-single',
      '--all-at-once',
      '--yes',
      '--json',
    ])
    expect(good.code, good.stdout + good.stderr).toBe(0)
    const g = (good.json as Json).data.rollout as RolloutView
    expect(g.instances[0]).toMatchObject({ outcome: 'applied', restarted: true, healthy: true })
    expect(JSON.parse(readFileSync(single.config, 'utf8')).gateway.bind).toBe('lan')
  }, 120_000)

  it("refuses a config OpenClaw rejects, with OpenClaw's message, against the failure budget: PARTIAL_FAILURE, nothing written", () => {
    writeFileSync(
      join(tmp.dir, 'model-42.json'),
      JSON.stringify({ agents: { defaults: { model: { primary: 42 } } } }),
    )
    // Pairs 10 and 11: configs no earlier test left invalid or malformed.
    const targets = ['cp-20', 'cp-21', 'cp-22', 'cp-23']
    const before = new Map(targets.map((id) => [id, file(id)]))
    const r = cli([
      'config',
      'push',
      '--merge',
      join(tmp.dir, 'model-42.json'),
      '-l',
      'pair in (p-010,p-011)',
      '--yes',
      '--json',
    ])
    expect(r.code, r.stdout + r.stderr).toBe(68)
    const err = (r.json as Json).error
    expect(err.code).toBe('PARTIAL_FAILURE')
    const view = err.details.rollout as RolloutView
    expect(view.counts).toMatchObject({ applied: 0, failed: 2 })
    for (const i of view.instances.filter((x) => x.outcome === 'failed')) {
      expect(i.reason).toBe('invalid')
      expect(i.detail).toMatch(
        /config rejected by structure\+openclaw \S+ config validate: agents\.defaults\.model: Invalid input/,
      )
    }
    expect(view.status).toBe('halted')
    for (const id of targets) expect(file(id)).toBe(before.get(id))
  }, 120_000)
})
