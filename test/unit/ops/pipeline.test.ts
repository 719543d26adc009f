import { beforeEach, describe, expect, it } from 'vitest'
import type { Context } from '../../../src/lib/context.js'
import { Engine } from '../../../src/lib/engine/engine.js'
import { UserError } from '../../../src/lib/errors.js'
import { productionKinds } from '../../../src/lib/kinds.js'
import { seedFleet } from '../../../src/lib/lab/seed.js'
import { AuditTrail } from '../../../src/lib/store/audit-trail.js'
import { Instances } from '../../../src/lib/store/instances.js'
import { Operations } from '../../../src/lib/store/operations.js'
import { manualClock, tempHome, testContext } from '../../support/context.js'
import { calls, labelKind } from '../../support/test-kinds.js'

const kind = labelKind()
const engine = new Engine(productionKinds().add(kind.kind, kind))

let home: string
let clock: ReturnType<typeof manualClock>
const ctxAs = (actor: string): Context => testContext({ home, actor, clock })

async function expectCode(p: Promise<unknown>, code: string): Promise<UserError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(UserError)
  expect((err as UserError).code).toBe(code)
  return err as UserError
}

beforeEach(() => {
  home = tempHome()
  clock = manualClock()
  calls.length = 0
  seedFleet(ctxAs('operator'), { pairs: 30, seed: 3 })
})

describe('mutating-operation pipeline', () => {
  it('plans, journals and audits every step before and after it runs', async () => {
    const ctx = ctxAs('operator')
    const target = ctx.store().repo(Instances).list()[0]!
    const r = await engine.mutate(ctx, kind, { selector: `pair=${target.pairId}`, value: 'a' })
    expect(r.status).toBe('done')
    if (r.status === 'dry-run') throw new Error('unexpected')
    expect(r.operation.steps.every((s) => s.state === 'done')).toBe(true)
    expect(ctx.store().repo(Instances).get(target.id)!.labels.touched).toBe('a')
    const entries = ctx.store().repo(AuditTrail).query({ opId: r.operation.id, limit: 1000 })
    for (const step of r.operation.steps) {
      const mine = entries.filter((e) => e.action === 'test.label.label' && e.target === step.target)
      expect(mine.map((e) => e.outcome)).toEqual(['intent', 'ok'])
      expect(mine[0]!.seq).toBeLessThan(mine[1]!.seq)
    }
    expect(ctx.store().repo(AuditTrail).verify().ok).toBe(true)
  })

  it('writes nothing on --dry-run', async () => {
    const ctx = ctxAs('operator')
    const before = ctx.store().repo(AuditTrail).query().length
    const r = await engine.mutate(ctx, kind, { selector: 'role=primary', value: 'x' }, { dryRun: true })
    expect(r.status).toBe('dry-run')
    expect(r.plan.steps.length).toBe(30)
    expect(r.policy.decision).toBe('confirm')
    expect(calls).toEqual([])
    expect(ctx.store().repo(AuditTrail).query().length).toBe(before)
    expect(ctx.store().repo(Operations).list()).toEqual([])
  })

  it('stops above 10 users with a plan id, then runs exactly that plan on --confirm', async () => {
    const agent = ctxAs('commander')
    const err = await expectCode(
      engine.mutate(agent, kind, { selector: 'role=primary', value: 'b' }),
      'CONFIRMATION_REQUIRED',
    )
    const planId = (err.details as { planId: string }).planId
    expect(calls).toEqual([])
    const r = await engine.mutate(
      ctxAs('operator'),
      kind,
      { selector: 'role=primary', value: 'b' },
      { confirm: planId },
    )
    expect(r.status).toBe('done')
    expect(calls).toHaveLength(30)
    await expectCode(
      engine.mutate(ctxAs('operator'), kind, { selector: 'role=primary', value: 'b' }, { confirm: planId }),
      'CONFLICT',
    )
  })

  it('refuses a confirmation after the fleet changed', async () => {
    const ctx = ctxAs('operator')
    const err = await expectCode(
      engine.mutate(ctx, kind, { selector: 'role=primary', value: 'c' }),
      'CONFIRMATION_REQUIRED',
    )
    const one = ctx
      .store()
      .repo(Instances)
      .list({ roles: ['primary'] })[0]!
    ctx
      .store()
      .repo(Instances)
      .update(one.id, { state: one.state === 'ACTIVE' ? 'DEGRADED' : 'ACTIVE' })
    const planId = (err.details as { planId: string }).planId
    await expectCode(
      engine.mutate(ctx, kind, { selector: 'role=primary', value: 'c' }, { confirm: planId }),
      'PLAN_STALE',
    )
    expect(calls).toEqual([])
  })

  it('refuses an expired plan and a plan for other arguments', async () => {
    const ctx = ctxAs('operator')
    const err = await expectCode(
      engine.mutate(ctx, kind, { selector: 'role=primary', value: 'd' }),
      'CONFIRMATION_REQUIRED',
    )
    const planId = (err.details as { planId: string }).planId
    await expectCode(
      engine.mutate(ctx, kind, { selector: 'role=primary', value: 'other' }, { confirm: planId }),
      'INVALID_INPUT',
    )
    clock.advance(61 * 60_000)
    await expectCode(
      engine.mutate(ctx, kind, { selector: 'role=primary', value: 'd' }, { confirm: planId }),
      'PLAN_STALE',
    )
  })

  it('denies Triage and audits the refusal', async () => {
    const ctx = ctxAs('triage')
    const err = await expectCode(
      engine.mutate(ctx, kind, { selector: 'role=standby', value: 'e' }),
      'POLICY_DENIED',
    )
    expect((err.details as { rules: string[] }).rules).toContain('role-permission')
    const last = ctx.store().repo(AuditTrail).query({ actor: 'triage' }).at(-1)!
    expect(last.outcome).toBe('denied')
    expect(calls).toEqual([])
  })

  it('does not let an agent without confirm authority confirm a plan, and audits it', async () => {
    const err = await expectCode(
      engine.mutate(ctxAs('operator'), kind, { selector: 'role=primary', value: 'f' }),
      'CONFIRMATION_REQUIRED',
    )
    const planId = (err.details as { planId: string }).planId
    const guardian = ctxAs('guardian')
    const denied = await expectCode(
      engine.mutate(guardian, kind, { selector: 'role=primary', value: 'f' }, { confirm: planId }),
      'POLICY_DENIED',
    )
    expect((denied.details as { rules: string[] }).rules).toEqual(['confirm-authority'])
    expect(guardian.store().repo(AuditTrail).query({ actor: 'guardian' }).at(-1)!.outcome).toBe('denied')
    expect(calls).toEqual([])
  })

  it('ignores --yes from an agent but takes it from the operator', async () => {
    await expectCode(
      engine.mutate(ctxAs('commander'), kind, { selector: 'role=primary', value: 'g' }, { yes: true }),
      'CONFIRMATION_REQUIRED',
    )
    const r = await engine.mutate(
      ctxAs('operator'),
      kind,
      { selector: 'role=primary', value: 'g' },
      { yes: true },
    )
    expect(r.status).toBe('done')
  })

  it('makes Ledger recommendations wait for Commander', async () => {
    const resize = labelKind('test.resize', 'resize')
    engine.kinds.add(resize.kind, resize)
    const ctx = ctxAs('ledger')
    const one = ctx.store().repo(Instances).list()[0]!
    const err = await expectCode(
      engine.mutate(ctx, resize, { selector: `pair=${one.pairId}`, value: 'h' }),
      'CONFIRMATION_REQUIRED',
    )
    const planId = (err.details as { planId: string }).planId
    await expectCode(
      engine.mutate(ctx, resize, { selector: `pair=${one.pairId}`, value: 'h' }, { confirm: planId }),
      'POLICY_DENIED',
    )
    const r = await engine.mutate(
      ctxAs('commander'),
      resize,
      { selector: `pair=${one.pairId}`, value: 'h' },
      { confirm: planId },
    )
    expect(r.status).toBe('done')
  })

  it('ends partial when a step fails, and resume --retry-failed finishes it', async () => {
    const ctx = ctxAs('operator')
    const [a, b] = ctx
      .store()
      .repo(Instances)
      .list({ roles: ['standby'] })
    const params = { selector: `pair in (${a!.pairId},${b!.pairId})`, value: 'i', failOnce: [a!.id] }
    const r = await engine.mutate(ctx, kind, params)
    expect(r.status).toBe('partial')
    if (r.status === 'dry-run') throw new Error('unexpected')
    const resumed = await engine.resume(ctx, { opId: r.operation.id, retryFailed: true })
    expect(resumed.operations[0]!.state).toBe('done')
    expect(calls.filter((c) => c === a!.id)).toHaveLength(2)
    expect(calls.filter((c) => c === b!.id)).toHaveLength(1)
  })

  it('resumes an operation a crash left running, re-running only unfinished steps', async () => {
    const ctx = ctxAs('operator')
    const one = ctx.store().repo(Instances).list()[0]!
    const r = await engine.mutate(ctx, kind, { selector: `pair=${one.pairId}`, value: 'j' })
    if (r.status === 'dry-run') throw new Error('unexpected')
    // Rewind the journal to what a SIGKILL during step 2 leaves behind.
    const ops = ctx.store().repo(Operations)
    ctx
      .store()
      .db.prepare("UPDATE op_steps SET state = 'running', result = NULL WHERE op_id = ? AND seq = 2")
      .run(r.operation.id)
    ops.setState(r.operation.id, 'running')
    calls.length = 0
    const out = await engine.resume(ctxAs('guardian'), {})
    expect(out.operations.map((o) => o.state)).toEqual(['done'])
    expect(calls).toEqual([r.operation.steps[1]!.target])
    expect(ctx.store().repo(AuditTrail).verify().ok).toBe(true)
  })

  it('will not run one operation in two processes at once', async () => {
    const ctx = ctxAs('operator')
    const one = ctx.store().repo(Instances).list()[0]!
    const r = await engine.mutate(ctx, kind, { selector: `pair=${one.pairId}`, value: 'k' })
    if (r.status === 'dry-run') throw new Error('unexpected')
    const ops = ctx.store().repo(Operations)
    ops.setState(r.operation.id, 'running')
    expect(ops.acquireLease(r.operation.id, 'other-host:1', 30_000)).toBe(true)
    await expectCode(engine.run(ctx, r.operation.id), 'CONFLICT')
    clock.advance(31_000)
    const done = await engine.run(ctx, r.operation.id)
    expect(done.state).toBe('done')
  })

  it('refuses resume for Triage', async () => {
    await expectCode(engine.resume(ctxAs('triage'), {}), 'POLICY_DENIED')
  })
})
