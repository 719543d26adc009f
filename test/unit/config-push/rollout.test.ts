// Rollouts end to end in one process: the real pipeline, journal, store and policy, and for every
// instance the real gf-clawnode config commands on its own file (test/support/config-push-fleet.ts).
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { pauseRollout, resumeRollout, rollbackRollout } from '../../../src/lib/config-push/control.js'
import { configHistory, showVersion } from '../../../src/lib/config-push/history.js'
import { type PushOutcome, type PushRequest, pushConfig } from '../../../src/lib/config-push/push.js'
import type { RolloutView } from '../../../src/lib/config-push/view.js'
import type { Context } from '../../../src/lib/context.js'
import { UserError } from '../../../src/lib/errors.js'
import { AuditTrail } from '../../../src/lib/store/audit-trail.js'
import { ConfigRollouts } from '../../../src/lib/store/config-rollouts.js'
import { Operations } from '../../../src/lib/store/operations.js'
import { tempDir } from '../../support/clawnode-fixtures.js'
import { FakeConfigFleet, seedPairs, userConfig } from '../../support/config-push-fleet.js'
import { manualClock, tempHome, testContext } from '../../support/context.js'
import { engine } from '../../support/engine.js'
import { storeDump } from '../../support/store-engine.js'

const KIMI = {
  agents: { defaults: { model: { primary: 'moonshot/kimi-k2.5', fallbacks: ['openai/gpt-5.2'] } } },
}
const kimi = (over: Partial<PushRequest> = {}): PushRequest => ({
  format: 'merge',
  document: KIMI,
  pauseMs: 0,
  ...over,
})
const INVALID = { ...userConfig(999), gateway: { mode: 'local', port: 'not-a-port' } }

let tmp: ReturnType<typeof tempDir>
let home: string
let fleet: FakeConfigFleet
let clock: ReturnType<typeof manualClock>

function ctxAs(actor = 'operator'): Context {
  const ctx = testContext({ home, actor, clock, services: fleet.services() })
  return ctx
}

async function failure(p: Promise<unknown>): Promise<UserError> {
  const err = await p.then(
    (v) => {
      throw new Error(`expected an error, got ${JSON.stringify(v).slice(0, 300)}`)
    },
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(UserError)
  return err as UserError
}

const rolloutOf = (err: UserError) => (err.details as { rollout: RolloutView }).rollout
const applied = (path: string) => JSON.parse(readFileSync(path, 'utf8')).agents.defaults.model.primary

beforeEach(() => {
  tmp = tempDir('config-push-unit-')
  home = tempHome()
  fleet = new FakeConfigFleet(tmp.dir)
  clock = manualClock()
})
afterEach(() => tmp.cleanup())

describe('config push rollouts', () => {
  it('rolls in batches: applies, skips malformed configs untouched, fails invalid ones, keeps secrets on the hosts', async () => {
    const ctx = ctxAs()
    const malformed = ['i-0003s', 'i-0011p']
    const invalid = 'i-0007p'
    const instances = seedPairs(ctx, fleet, 30, (id, i) =>
      malformed.includes(id) ? '{"gateway": {"mode": "local",' : id === invalid ? INVALID : userConfig(i),
    )
    const before = new Map(instances.map((i) => [i.id, fleet.file(i.id)]))

    const err = await failure(
      pushConfig(ctx, engine, kimi({ batchSize: 20, maxFailures: '5%' }), { yes: true }),
    )
    expect(err.code).toBe('PARTIAL_FAILURE')
    const r = rolloutOf(err)
    expect(r).toMatchObject({ status: 'complete', version: 1, kind: 'push' })
    expect(r.counts).toMatchObject({ total: 60, applied: 57, skipped: 2, failed: 1, pending: 0, inFlight: 0 })
    expect(r.flagged.sort()).toEqual([...malformed].sort())
    expect(r.instances.find((i) => i.instanceId === invalid)).toMatchObject({
      outcome: 'failed',
      reason: 'invalid',
    })
    expect(r.batches.list.map((b) => b.size)).toEqual([20, 20, 20])

    for (const inst of instances) {
      const path = fleet.nodes.get(inst.id)!.path
      if (malformed.includes(inst.id) || inst.id === invalid) {
        // Never overwritten: the same bytes, no previous version made.
        expect(fleet.file(inst.id)).toBe(before.get(inst.id))
        expect(existsSync(`${path}.clawnode-prev`)).toBe(false)
        continue
      }
      const i = instances.indexOf(inst)
      expect(applied(path)).toBe('moonshot/kimi-k2.5')
      // The secrets stayed on the host, and the previous version is the exact file before.
      expect(JSON.parse(fleet.file(inst.id)).gateway.auth.token).toBe(`tok-secret-${i}-xyz`)
      expect(fleet.previous(inst.id)).toBe(before.get(inst.id))
    }

    // Standbys first, never both members of a pair in one batch.
    const batchOf = new Map(r.instances.map((i) => [i.instanceId, i.batch]))
    for (let p = 0; p < 30; p++) {
      const id = String(p).padStart(4, '0')
      expect(batchOf.get(`i-${id}s`)!).toBeLessThan(batchOf.get(`i-${id}p`)!)
    }
    // The diff is stored once: one change list for all 57 instances, before → after, redacted.
    expect(r.diff.applied).toEqual([
      {
        instances: 57,
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
    expect(configHistory(ctx).map((h) => [h.version, h.kind, h.status])).toEqual([[1, 'push', 'complete']])
    expect(showVersion(ctx, 'v1').document).toEqual(KIMI)
    expect(ctx.store().repo(AuditTrail).verify().ok).toBe(true)
    expect(ctx.store().repo(AuditTrail).query({ action: 'config.push.instance', limit: 1000 }).length).toBe(
      60,
    )
  })

  it('never lets a secret reach the plan, the result, the audit trail or the store', async () => {
    const ctx = ctxAs()
    seedPairs(ctx, fleet, 6)
    const dry = await pushConfig(
      ctx,
      engine,
      kimi({ document: { ...KIMI, hooks: { token: '[redacted]' } } }),
      {
        dryRun: true,
      },
    )
    expect(dry.status).toBe('dry-run')
    if (dry.status !== 'dry-run') throw new Error('unreachable')
    expect(dry.preview.sample?.diffs[0]?.changes.length).toBeGreaterThan(0)
    const done = (await pushConfig(ctx, engine, kimi(), { yes: true })) as Extract<
      PushOutcome,
      { rollout: RolloutView }
    >
    expect(done.rollout.counts.applied).toBe(12)
    const everything = [
      JSON.stringify(dry),
      JSON.stringify(done),
      JSON.stringify(ctx.store().repo(AuditTrail).query({ limit: 10_000 })),
      JSON.stringify(showVersion(ctx, '1')),
    ].join('\n')
    const db = storeDump(ctx.storeLocation())
    for (const haystack of [everything, db]) {
      expect(haystack).not.toMatch(/tok-secret-|sk-live-/)
      expect(haystack).toContain('moonshot/kimi-k2.5')
    }
    // ... while every instance still has its own secrets.
    expect(fleet.file('i-0000p')).toContain('tok-secret-0-xyz')
  })

  it('halts when a batch exceeds the failure budget; resume accepts those failures and finishes, pushing nobody twice', async () => {
    const ctx = ctxAs()
    const bad = ['i-0000s', 'i-0001s', 'i-0002s']
    const instances = seedPairs(ctx, fleet, 30, (id, i) => (bad.includes(id) ? INVALID : userConfig(i)))
    const err = await failure(
      pushConfig(ctx, engine, kimi({ batchSize: 10, maxFailures: '2%' }), { yes: true }),
    )
    expect(err.code).toBe('PARTIAL_FAILURE')
    const halted = rolloutOf(err)
    expect(halted.status).toBe('halted')
    expect(halted.reason).toMatch(/failure budget 2% exceeded after batch 1\/6: 3 of 10 failed \(30% > 2%\)/)
    expect(halted.counts).toMatchObject({ applied: 7, failed: 3, pending: 50 })
    // Batches 2..6 were never touched.
    const later = halted.instances.filter((i) => i.batch > 1).map((i) => i.instanceId)
    for (const id of later) expect(fleet.count('config.get', id) + fleet.count('config.push', id)).toBe(0)
    expect(halted.next).toContain(`clawops config push resume ${halted.rolloutId}`)

    const again = await failure(resumeRollout(ctxAs(), engine, halted.rolloutId))
    expect(again.code).toBe('PARTIAL_FAILURE')
    const done = rolloutOf(again)
    expect(done).toMatchObject({ status: 'complete' })
    expect(done.counts).toMatchObject({ applied: 57, failed: 3, pending: 0 })
    for (const inst of instances) expect(fleet.count('config.push', inst.id), inst.id).toBe(1)
    const ops = ctx.store().repo(Operations).get(done.opId)!
    expect(ops.state).toBe('done')
  })

  it('pause holds the next batch back; resume goes on from there', async () => {
    const ctx = ctxAs()
    seedPairs(ctx, fleet, 10)
    let paused = false
    fleet.before = async (c) => {
      if (!paused && c.command === 'config.push') {
        paused = true
        const r = ctx.store().repo(ConfigRollouts).list(1)[0]!
        const view = await pauseRollout(ctxAs('commander'), engine, r.id, 'latency up in eu')
        expect(view.status).toBe('pausing')
      }
    }
    const first = await pushConfig(ctx, engine, kimi({ batchSize: 5 }), { yes: true })
    // (A resume while it is still pausing just lets the running process go on: see the next test.)
    if (first.status === 'dry-run') throw new Error('unexpected')
    expect(first.status).toBe('paused')
    expect(first.rollout.reason).toBe('latency up in eu')
    expect(first.rollout.counts).toMatchObject({ applied: 5, pending: 15 })
    expect(ctx.store().repo(Operations).get(first.rollout.opId)!.state).toBe('running')
    // A generic `ops resume` must not unpause it.
    await engine.resume(ctxAs(), { opId: first.rollout.opId })
    expect(ctx.store().repo(ConfigRollouts).get(first.rollout.rolloutId)!.status).toBe('paused')
    expect(fleet.count('config.push')).toBe(5)

    const done = await resumeRollout(ctxAs(), engine, first.rollout.rolloutId)
    if (done.status === 'dry-run') throw new Error('unexpected')
    expect(done.status).toBe('complete')
    expect(done.rollout.counts).toMatchObject({ applied: 20, pending: 0 })
    expect(fleet.count('config.push')).toBe(20)
    const audit = ctx.store().repo(AuditTrail).query({ limit: 10_000 })
    expect(audit.filter((e) => e.action === 'config.push.pause')).toHaveLength(1)
    expect(audit.filter((e) => e.action === 'config.push.resume')).toHaveLength(1)
  })

  it('resuming a rollout that is still pausing cancels the pause: the running process goes on', async () => {
    const ctx = ctxAs()
    seedPairs(ctx, fleet, 10)
    let done = false
    fleet.before = async (c) => {
      if (!done && c.command === 'config.push') {
        done = true
        const r = ctx.store().repo(ConfigRollouts).list(1)[0]!
        expect((await pauseRollout(ctxAs(), engine, r.id)).status).toBe('pausing')
        const resumed = await resumeRollout(ctxAs(), engine, r.id)
        if (resumed.status === 'dry-run') throw new Error('unexpected')
        expect(resumed.status).toBe('running')
      }
    }
    const r = await pushConfig(ctx, engine, kimi({ batchSize: 5 }), { yes: true })
    if (r.status === 'dry-run') throw new Error('unexpected')
    expect(r.status).toBe('complete')
    expect(r.rollout.counts.applied).toBe(20)
  })

  it('a clawops process that dies mid-batch: resume settles each in-flight push from the file, never pushing twice', async () => {
    const ctx = ctxAs()
    const instances = seedPairs(ctx, fleet, 10)
    const original = new Map(instances.map((i) => [i.id, fleet.file(i.id)]))
    // Three instances of the first batch, at the moment the process dies during their push:
    //   landed: the node applied it, clawops never heard back;
    //   lost:   the request never reached the node;
    //   undone: the node applied it, the gateway failed after the restart, the node put it back.
    const landed = 'i-0001s'
    const lost = 'i-0002s'
    const undone = 'i-0003s'
    const hang = new Promise<never>(() => {})
    // Which of the three reached the hang: their node-side effects (push, the node's own rollback) are
    // done. A row in `pushing` is not enough: the store records it before the node is even called.
    const hung = new Set<string>()
    fleet.before = async (c) => {
      if (c.command !== 'config.push') return
      const node = fleet.nodes.get(c.instanceId)!.node
      if (c.instanceId === landed) {
        await node.invoke('config.push', c.params)
        hung.add(landed)
        await hang
      }
      if (c.instanceId === lost) {
        hung.add(lost)
        await hang
      }
      if (c.instanceId === undone) {
        await node.invoke('config.push', c.params)
        await node.invoke('config.rollback', {})
        hung.add(undone)
        await hang
      }
    }
    // The "process" runs until it is stuck on the three, then is gone: nothing after it runs. It is
    // stuck once the other seven are done and the three hang, each after its effect on the node.
    void pushConfig(ctx, engine, kimi({ batchSize: 10, concurrency: 10, maxFailures: '20%' }), { yes: true })
    const rollouts = ctx.store().repo(ConfigRollouts)
    const stuck = async () => {
      const r = rollouts.list(1)[0]
      const t = r ? rollouts.targets(r.id, 1) : []
      return hung.size === 3 &&
        t.filter((x) => x.state === 'done').length === 7 &&
        t.filter((x) => x.state === 'pushing').length === 3
        ? r!.id
        : undefined
    }
    let id: string | undefined
    for (let i = 0; i < 2_000 && !id; i++) {
      id = await stuck()
      if (!id) await new Promise((r) => setTimeout(r, 10))
    }
    if (!id) throw new Error('the first run never got stuck on the three instances')
    const inode = new Map(instances.map((i) => [i.id, fleet.inode(i.id)]))
    expect(
      rollouts
        .targets(id, 1)
        .filter((x) => x.state === 'pushing')
        .map((x) => x.instanceId)
        .sort(),
    ).toEqual([landed, lost, undone].sort())
    fleet.before = null
    fleet.forgetKeys() // the nodes restarted too: no replay memory to lean on
    // The dead process's lease has expired, and it renews nothing any more.
    ctx
      .store()
      .db.prepare("UPDATE operations SET lease_owner = 'a-dead-host:1:x' WHERE id = ?")
      .run(rollouts.get(id)!.opId)
    clock.advance(60_000)

    const done = await failure(resumeRollout(ctxAs(), engine, id))
    const r = rolloutOf(done)
    expect(r.status, `${r.reason} ${done.message}`).toBe('complete')
    expect(r.instances.find((i) => i.instanceId === landed)).toMatchObject({
      outcome: 'applied',
      healthy: true,
    })
    expect(r.instances.find((i) => i.instanceId === lost)).toMatchObject({ outcome: 'applied' })
    expect(r.instances.find((i) => i.instanceId === undone)).toMatchObject({
      outcome: 'failed',
      reason: 'unhealthy',
      revert: 'reverted',
    })
    expect(r.counts).toMatchObject({ applied: 19, failed: 1, pending: 0 })
    // landed: not written again (same file), previous is the original; lost: pushed exactly once now.
    expect(fleet.inode(landed)).toBe(inode.get(landed))
    expect(fleet.previous(landed)).toBe(original.get(landed))
    expect(fleet.count('config.push', landed)).toBe(1)
    expect(fleet.count('config.push', lost)).toBe(2)
    expect(fleet.previous(lost)).toBe(original.get(lost))
    expect(fleet.count('config.push', undone)).toBe(1)
    expect(fleet.file(undone)).toBe(original.get(undone))
    // Every applied instance has the original as its previous version: no second swap anywhere.
    for (const inst of instances)
      if (inst.id !== undone) expect(fleet.previous(inst.id), inst.id).toBe(original.get(inst.id))
  })

  it('rollback restores the previous file where the push wrote it, and leaves a file changed since alone', async () => {
    const ctx = ctxAs()
    const instances = seedPairs(ctx, fleet, 8, (id, i) => (id === 'i-0004p' ? '{ nope' : userConfig(i)))
    const original = new Map(instances.map((i) => [i.id, fleet.file(i.id)]))
    const push = await failure(pushConfig(ctx, engine, kimi({ batchSize: 4 }), { yes: true }))
    const rid = rolloutOf(push).rolloutId
    // Someone edits one instance by hand after the push.
    const edited = 'i-0006s'
    const hand = JSON.parse(fleet.file(edited))
    hand.agents.defaults.model.primary = 'hand/edited'
    writeFileSync(fleet.nodes.get(edited)!.path, JSON.stringify(hand))

    const dry = await rollbackRollout(ctx, engine, rid, { dryRun: true })
    expect(dry).toMatchObject({
      status: 'dry-run',
      plan: { instances: 15, users: 8, policy: { decision: 'allow' } },
    })
    const err = await failure(rollbackRollout(ctx, engine, rid, { yes: true, reason: 'latency' }))
    expect(err.code).toBe('PARTIAL_FAILURE')
    const rb = rolloutOf(err)
    expect(rb).toMatchObject({ kind: 'rollback', reverts: rid, version: 2, status: 'complete' })
    expect(rb.counts).toMatchObject({ total: 15, reverted: 14, skipped: 1 })
    for (const inst of instances) {
      if (inst.id === edited) expect(applied(fleet.nodes.get(edited)!.path)).toBe('hand/edited')
      else expect(fleet.file(inst.id), inst.id).toBe(original.get(inst.id))
    }
    const status = ctx.store().repo(ConfigRollouts).get(rid)!
    expect(status.status).toBe('rolled-back')
    // Nothing is left to roll back, and the push can no longer be resumed.
    expect((await failure(rollbackRollout(ctx, engine, rid, { yes: true }))).code).toBe('CONFLICT')
    expect((await failure(resumeRollout(ctx, engine, rid))).code).toBe('CONFLICT')
    expect(configHistory(ctx).map((h) => [h.version, h.kind, h.reverts])).toEqual([
      [2, 'rollback', 1],
      [1, 'push', null],
    ])
  })

  it('an instance whose gateway is unhealthy after a hot-applied change gets its previous config back', async () => {
    const ctx = ctxAs()
    const instances = seedPairs(ctx, fleet, 3)
    const sick = 'i-0001p'
    const before = fleet.file(sick)
    fleet.nodes.get(sick)!.healthy = false
    const err = await failure(pushConfig(ctx, engine, kimi({ batchSize: 10, maxFailures: '50%' }), {}))
    const r = rolloutOf(err)
    expect(r.instances.find((i) => i.instanceId === sick)).toMatchObject({
      outcome: 'failed',
      reason: 'unhealthy',
      revert: 'reverted',
    })
    expect(fleet.file(sick)).toBe(before)
    expect(r.counts.applied).toBe(instances.length - 1)
  })

  it('a lost gateway stops the batch without blaming the instances; resume finishes', async () => {
    const ctx = ctxAs()
    seedPairs(ctx, fleet, 6)
    let calls = 0
    fleet.before = () => {
      if (++calls === 9) fleet.gatewayDown = true
    }
    const err = await failure(pushConfig(ctx, engine, kimi({ batchSize: 6, concurrency: 1 }), { yes: true }))
    expect(err.code).toBe('GATEWAY_UNREACHABLE')
    const halted = rolloutOf(err)
    expect(halted.status).toBe('halted')
    expect(halted.counts.failed).toBe(0)
    fleet.gatewayDown = false
    fleet.before = null
    const done = await resumeRollout(ctxAs(), engine, halted.rolloutId)
    if (done.status === 'dry-run') throw new Error('unexpected')
    expect(done.rollout.counts).toMatchObject({ applied: 12, failed: 0 })
    for (const id of fleet.nodes.keys()) expect(fleet.count('config.push', id), id).toBe(1)
  })

  it('policy: only rolling above 100 instances; all at once needs a confirmation; agents without the right are refused', async () => {
    const ctx = ctxAs()
    seedPairs(ctx, fleet, 51)
    const denied = await failure(pushConfig(ctx, engine, kimi({ allAtOnce: true }), { yes: true }))
    expect(denied.code).toBe('POLICY_DENIED')
    expect((denied.details as { rules: string[] }).rules).toContain('rolling-over-100-instances')
    const small = await failure(
      pushConfig(ctxAs('commander'), engine, kimi({ allAtOnce: true, selector: 'pair=p-0001' }), {}),
    )
    expect(small.code).toBe('CONFIRMATION_REQUIRED')
    const d = small.details as {
      planId: string
      findings: { rule: string }[]
      preview: { changes: unknown[] }
    }
    expect(d.findings.map((f) => f.rule)).toEqual(['all-at-once-rollout'])
    expect(d.preview.changes).toHaveLength(2)
    const confirmed = await pushConfig(
      ctxAs('commander'),
      engine,
      kimi({ allAtOnce: true, selector: 'pair=p-0001' }),
      {
        confirm: d.planId,
      },
    )
    if (confirmed.status === 'dry-run') throw new Error('unexpected')
    expect(confirmed.rollout.counts.applied).toBe(2)
    expect(confirmed.rollout.batches.total).toBe(1)
    for (const actor of ['guardian', 'triage', 'ledger'])
      expect(
        (await failure(pushConfig(ctxAs(actor), engine, kimi({ selector: 'pair=p-0002' }), {}))).code,
      ).toBe('POLICY_DENIED')
    // More than 10 users: a confirmation, whoever asks.
    expect((await failure(pushConfig(ctxAs('commander'), engine, kimi(), {}))).code).toBe(
      'CONFIRMATION_REQUIRED',
    )
  })
})
