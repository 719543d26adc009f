import { beforeEach, describe, expect, it } from 'vitest'
import type { Context } from '../../../src/lib/context.js'
import type { OperationView } from '../../../src/lib/engine/types.js'
import type { UserError } from '../../../src/lib/errors.js'
import healKind, { healOutcome } from '../../../src/lib/heal/heal.js'
import { PAIR_COMMANDS, PairScope } from '../../../src/lib/heal/pair-scope.js'
import { AuditTrail } from '../../../src/lib/store/audit-trail.js'
import { Failovers } from '../../../src/lib/store/failovers.js'
import { FleetEvents } from '../../../src/lib/store/fleet-events.js'
import { Instances } from '../../../src/lib/store/instances.js'
import { Operations } from '../../../src/lib/store/operations.js'
import { ReprovisionQueue } from '../../../src/lib/store/reprovision-queue.js'
import { tempHome, testContext } from '../../support/context.js'
import { engine } from '../../support/engine.js'
import { addPair, FakeNodes, fakeDeps } from '../../support/watch-fakes.js'

let home: string
let nodes: FakeNodes
const as = (actor: string): Context => {
  const ctx = testContext({ home, actor, services: fakeDeps({ nodes }).services })
  return ctx
}
let ctx: Context

async function heal(id: string, waitMs = 60): Promise<{ outcome: string | null; op: OperationView }> {
  const r = await engine.mutate(ctx, healKind, { instance: id, waitMs })
  if (r.status === 'dry-run') throw new Error('unexpected dry-run')
  return { outcome: healOutcome(r.operation.steps), op: r.operation }
}

const types = () =>
  ctx
    .store()
    .repo(FleetEvents)
    .list()
    .map((e) => e.type)
const inst = (id: string) => ctx.store().repo(Instances).get(id)!

beforeEach(() => {
  home = tempHome()
  nodes = new FakeNodes()
  ctx = as('guardian')
})

describe('the heal tree', () => {
  it('stops at verify when the instance scores above 70 (recovered), restarting nothing', async () => {
    const p = addPair(ctx, { state: 'DEGRADED', healthScore: 30 })
    const { outcome, op } = await heal(p.primary.id)
    expect(outcome).toBe('recovered')
    expect(op.steps.map((s) => s.result)).toEqual([
      expect.objectContaining({ healthy: true, score: 100 }),
      expect.objectContaining({ skipped: true }),
      expect.objectContaining({ skipped: true }),
      expect.objectContaining({ skipped: true, outcome: 'recovered' }),
    ])
    expect(nodes.commandsFor(p.primary.id)).not.toContain('openclaw.restart')
    expect(inst(p.primary.id).state).toBe('ACTIVE')
  })

  it('restarts OpenClaw through gf-clawnode, waits, probes and reports HEALED to Commander', async () => {
    const p = addPair(ctx)
    nodes.set(p.primary.id, { openclaw: 'down', restartFixes: true })
    const { outcome } = await heal(p.primary.id)
    expect(outcome).toBe('healed')
    expect(nodes.commandsFor(p.primary.id)).toContain('openclaw.restart')
    expect(inst(p.primary.id).state).toBe('ACTIVE')
    const done = ctx
      .store()
      .repo(FleetEvents)
      .list({ types: ['HEAL_COMPLETE'] })
    expect(done).toHaveLength(1)
    expect((done[0]!.payload as { summary: string }).summary).toMatch(/^HEALED/)
    expect(ctx.store().repo(Failovers).list()).toEqual([])
  })

  it('fails over a primary still failing after the restart and the wait, when its standby is ACTIVE', async () => {
    const p = addPair(ctx)
    nodes.set(p.primary.id, { openclaw: 'down', restartFixes: false })
    const t0 = Date.now()
    const { outcome, op } = await heal(p.primary.id, 300)
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250)
    expect(outcome).toBe('failed-over')
    expect(inst(p.standby.id)).toMatchObject({ role: 'primary', state: 'ACTIVE' })
    expect(inst(p.primary.id)).toMatchObject({ role: 'standby', state: 'QUARANTINED' })
    const queued = ctx.store().repo(ReprovisionQueue).list()
    expect(queued).toEqual([
      expect.objectContaining({
        pairId: p.pairId,
        replacesInstanceId: p.primary.id,
        provider: 'hetzner',
        region: 'nbg1',
        state: 'waiting',
      }),
    ])
    expect(ctx.store().repo(Failovers).list()).toEqual([
      expect.objectContaining({ state: 'complete', pairId: p.pairId }),
    ])
    expect(types()).toEqual(expect.arrayContaining(['INSTANCE_FAILED', 'FAILOVER_COMPLETE']))
    // The old primary's OpenClaw was stopped so two gateways never serve one user.
    expect(nodes.commandsFor(p.primary.id)).toContain('openclaw.stop')
    const escalate = op.steps.find((s) => s.name === 'escalate')!.result as { failoverOpId: string }
    expect(ctx.store().repo(Operations).get(escalate.failoverOpId)).toMatchObject({
      kind: 'failover',
      state: 'done',
      actor: 'guardian',
    })
  })

  it('does not wait when the node cannot be reached to restart (a dead server fails over at once)', async () => {
    const p = addPair(ctx)
    nodes.set(p.primary.id, { node: 'down' })
    const t0 = Date.now()
    const { outcome, op } = await heal(p.primary.id, 60_000)
    expect(Date.now() - t0).toBeLessThan(5_000)
    expect(op.steps.find((s) => s.name === 'restart')!.result).toMatchObject({ restarted: false })
    expect(outcome).toBe('failed-over')
  })

  it('escalates CRITICAL and acts no further when the standby is not ACTIVE', async () => {
    const p = addPair(ctx, {}, { state: 'FAILED', healthScore: 0 })
    nodes.set(p.primary.id, { node: 'down' })
    const before = inst(p.standby.id)
    const { outcome } = await heal(p.primary.id)
    expect(outcome).toBe('critical')
    expect(inst(p.standby.id)).toEqual(before)
    expect(nodes.commandsFor(p.standby.id)).toEqual([])
    expect(
      ctx
        .store()
        .repo(Operations)
        .list()
        .filter((o) => o.kind === 'failover'),
    ).toEqual([])
    const escalated = ctx
      .store()
      .repo(FleetEvents)
      .list({ types: ['HEAL_ESCALATED', 'PAIR_FAILED'] })
    expect(escalated.map((e) => [e.type, e.severity]).sort()).toEqual([
      ['HEAL_ESCALATED', 'critical'],
      ['PAIR_FAILED', 'critical'],
    ])
  })

  it('reports a failing standby and never fails over for it', async () => {
    const p = addPair(ctx)
    nodes.set(p.standby.id, { node: 'down' })
    const { outcome } = await heal(p.standby.id)
    expect(outcome).toBe('standby-failed')
    expect(inst(p.primary.id)).toMatchObject({ role: 'primary', state: 'ACTIVE' })
    expect(inst(p.standby.id).state).toBe('FAILED')
  })

  it('journals and audits every step before and after it runs', async () => {
    const p = addPair(ctx)
    nodes.set(p.primary.id, { openclaw: 'down', restartFixes: true })
    const { op } = await heal(p.primary.id)
    const audit = ctx.store().repo(AuditTrail).query({ opId: op.id, limit: 1000 })
    for (const step of ['verify', 'restart', 'confirm', 'escalate']) {
      expect(audit.filter((e) => e.action === `heal.${step}`).map((e) => e.outcome)).toEqual(['intent', 'ok'])
    }
    const restart = audit.find((e) => e.action === 'heal.restart-openclaw')!
    const restartDone = audit.find((e) => e.action === 'heal.restart' && e.outcome === 'ok')!
    expect(restart.seq).toBeLessThan(restartDone.seq)
    expect(ctx.store().repo(AuditTrail).verify().ok).toBe(true)
  })

  it('needs a confirmation instead of failing over when the blast radius is crossed, and says how to confirm', async () => {
    const pairs = Array.from({ length: 6 }, () => addPair(ctx))
    for (const p of pairs.slice(0, 2)) {
      nodes.set(p.primary.id, { node: 'down' })
      expect((await heal(p.primary.id)).outcome).toBe('failed-over')
    }
    const third = pairs[2]!
    nodes.set(third.primary.id, { node: 'down' })
    const { outcome, op } = await heal(third.primary.id)
    expect(outcome).toBe('awaiting-confirmation')
    expect(inst(third.standby.id).role).toBe('standby')
    const planId = (op.steps.at(-1)!.result as { planId: string }).planId
    const ev = ctx
      .store()
      .repo(FleetEvents)
      .list({ types: ['HEAL_ESCALATED'] })
      .at(-1)!
    const suggest = (ev.payload as { suggest: string[] }).suggest[0]!
    expect(suggest).toContain(`--confirm ${planId}`)
    // The operator confirms exactly that plan, with the arguments the suggestion names.
    const reason = /--reason "([^"]+)"/.exec(suggest)![1]!
    const { default: failoverKind } = await import('../../../src/lib/heal/failover.js')
    const r = await engine.mutate(
      as('operator'),
      failoverKind,
      { pairs: [third.pairId], reason },
      { confirm: planId },
    )
    expect(r.status).toBe('done')
    expect(inst(third.standby.id)).toMatchObject({ role: 'primary', state: 'ACTIVE' })
  })
})

describe('the fence around heal and failover', () => {
  it('never touches an instance outside the target pair and never deletes or archives anything', async () => {
    const target = addPair(ctx)
    const others = [addPair(ctx), addPair(ctx, { state: 'DEGRADED' }), addPair(ctx, {}, { state: 'FAILED' })]
    const snapshot = others.flatMap((o) => [inst(o.primary.id), inst(o.standby.id)])
    nodes.set(target.primary.id, { openclaw: 'down', restartFixes: false })
    const { outcome } = await heal(target.primary.id)
    expect(outcome).toBe('failed-over')
    const mine = new Set([target.primary.id, target.standby.id])
    expect(nodes.calls.every((c) => mine.has(c.instanceId))).toBe(true)
    expect(nodes.calls.every((c) => (PAIR_COMMANDS as readonly string[]).includes(c.command))).toBe(true)
    expect(others.flatMap((o) => [inst(o.primary.id), inst(o.standby.id)])).toEqual(snapshot)
    const states = ctx
      .store()
      .repo(Instances)
      .list({ includeDeleted: true })
      .map((i) => i.state)
    expect(states).not.toContain('DELETED')
    expect(states).not.toContain('ARCHIVING')
    const touched = ctx
      .store()
      .repo(AuditTrail)
      .query({ limit: 10_000 })
      .filter((e) => e.action.startsWith('heal') || e.action.startsWith('failover'))
      .map((e) => e.target)
      .filter((t): t is string => t !== null)
    expect(touched.every((t) => mine.has(t) || t === target.pairId)).toBe(true)
  })

  it('refuses a foreign instance, a command outside the list and a deleting state', async () => {
    const a = addPair(ctx)
    const b = addPair(ctx)
    const scope = new PairScope(ctx, a.pairId, nodes)
    const code = (f: () => unknown) => {
      try {
        f()
      } catch (err) {
        return [(err as UserError).code, ((err as UserError).details as { rules?: string[] }).rules?.[0]]
      }
      return null
    }
    expect(code(() => scope.instance(b.primary.id))).toEqual(['POLICY_DENIED', 'pair-scope'])
    expect(code(() => scope.update(a.primary.id, { state: 'DELETED' }))).toEqual([
      'POLICY_DENIED',
      'never-delete',
    ])
    expect(code(() => scope.update(a.primary.id, { state: 'ARCHIVING' }))).toEqual([
      'POLICY_DENIED',
      'never-delete',
    ])
    const reboot = await scope.invoke(a.primary.id, 'vps.reboot', {}, 1000).catch((e: UserError) => e)
    expect((reboot as UserError).code).toBe('POLICY_DENIED')
    const foreign = await scope
      .invokerFor()
      .invoke(b.primary, 'vps.health', {}, 1000)
      .catch((e: UserError) => e)
    expect((foreign as UserError).code).toBe('POLICY_DENIED')
    expect(nodes.calls).toEqual([])
  })

  it('refuses to heal a state it does not own', async () => {
    const p = addPair(ctx, { state: 'QUARANTINED' })
    const err = await heal(p.primary.id).catch((e: UserError) => e)
    expect((err as UserError).code).toBe('CONFLICT')
  })

  it('is allowed for Guardian and refused for Triage (read-only)', async () => {
    const p = addPair(ctx)
    ctx = as('triage')
    const err = await heal(p.primary.id).catch((e: UserError) => e)
    expect((err as UserError).code).toBe('POLICY_DENIED')
    expect(nodes.calls).toEqual([])
  })
})
