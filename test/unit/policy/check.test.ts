import { describe, expect, it } from 'vitest'
import { ACTIONS, ACTORS, type Action } from '../../../src/lib/domain/actor.js'
import type { PlanBody } from '../../../src/lib/domain/plan.js'
import { check } from '../../../src/lib/policy/check.js'
import { grantOf, ROLES } from '../../../src/lib/policy/roles.js'

function plan(action: Action, extra: Partial<PlanBody> = {}): PlanBody {
  return {
    kind: 'test',
    action,
    summary: 'test',
    targets: ['i-1'],
    affectedUsers: 1,
    costDeltaMonthlyUsdCents: 0,
    steps: [],
    facts: {},
    ...extra,
  }
}

describe('policy', () => {
  it('lets the operator do everything on up to 10 users', () => {
    for (const a of ACTIONS) expect(check(plan(a, { affectedUsers: 10 }), 'operator').decision).toBe('allow')
  })

  it('requires confirmation above 10 users, for everyone', () => {
    for (const actor of ['operator', 'commander', 'guardian'] as const) {
      const d = check(plan('instance.restart', { affectedUsers: 11 }), actor)
      expect(d.decision).toBe('confirm')
      expect(d.findings.map((f) => f.rule)).toContain('confirm-over-10-users')
    }
  })

  it('keeps Triage read-only', () => {
    for (const a of ACTIONS) expect(check(plan(a), 'triage').decision).toBe('deny')
  })

  it('lets Guardian heal, restart and fail over but never tear down', () => {
    expect(check(plan('heal'), 'guardian').decision).toBe('allow')
    expect(check(plan('instance.restart'), 'guardian').decision).toBe('allow')
    expect(check(plan('failover'), 'guardian').decision).toBe('allow')
    const d = check(plan('teardown'), 'guardian')
    expect(d.decision).toBe('deny')
    expect(d.findings[0]!.rule).toBe('role-permission')
  })

  it('makes Ledger recommend: tier changes and teardowns wait, nothing runs directly', () => {
    expect(check(plan('resize'), 'ledger').decision).toBe('confirm')
    expect(check(plan('teardown'), 'ledger').decision).toBe('confirm')
    expect(check(plan('instance.restart'), 'ledger').decision).toBe('deny')
    expect(ROLES.ledger.canConfirm).toBe(false)
  })

  it('makes Commander confirm tier changes and teardowns', () => {
    expect(check(plan('resize'), 'commander').decision).toBe('confirm')
    expect(check(plan('teardown'), 'commander').decision).toBe('confirm')
    expect(check(plan('heal'), 'commander').decision).toBe('allow')
  })

  it('refuses to tear down an ACTIVE primary whose standby is not ACTIVE (rule 1)', () => {
    const facts = (partnerState: string | null) => ({
      teardown: [{ instanceId: 'i-1', role: 'primary', state: 'ACTIVE', partnerState }],
    })
    for (const partner of ['DEGRADED', 'FAILED', null]) {
      const d = check(plan('teardown', { facts: facts(partner) }), 'operator')
      expect(d.decision).toBe('deny')
      expect(d.findings.map((f) => f.rule)).toContain('standby-active-before-teardown')
    }
    expect(check(plan('teardown', { facts: facts('ACTIVE') }), 'operator').decision).toBe('allow')
    const standby = {
      teardown: [{ instanceId: 'i-2', role: 'standby', state: 'ACTIVE', partnerState: 'FAILED' }],
    }
    expect(check(plan('teardown', { facts: standby }), 'operator').decision).toBe('allow')
  })

  it('refuses a non-rolling config push above 100 instances (rule 2)', () => {
    const push = (instances: number, batches: number[]) =>
      plan('config.push', {
        facts: {
          rollout: {
            what: 'config push',
            instances,
            batches,
            ceiling: 50,
            pauseMs: 10_000,
            maxFailurePct: 2,
            allAtOnce: false,
          },
        },
      })
    expect(check(push(101, [101]), 'operator').decision).toBe('deny')
    expect(check(push(100, [100]), 'operator').decision).toBe('allow')
    expect(check(push(5000, Array(100).fill(50)), 'operator').decision).toBe('allow')
  })

  it('has a grant for every role and action pair', () => {
    for (const actor of ACTORS)
      for (const a of ACTIONS) expect(['allow', 'confirm', 'deny']).toContain(grantOf(actor, a))
  })
})
