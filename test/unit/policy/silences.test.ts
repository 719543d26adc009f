import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ACTORS, type Actor } from '../../../src/lib/domain/actor.js'
import type { PlanBody } from '../../../src/lib/domain/plan.js'
import { PROVIDERS, type Provider } from '../../../src/lib/domain/provider.js'
import { UserError } from '../../../src/lib/errors.js'
import { check } from '../../../src/lib/policy/check.js'
import type { SilenceFact } from '../../../src/lib/policy/rules.js'
import silenceAdd from '../../../src/lib/silences/add.js'
import { Silences } from '../../../src/lib/store/silences.js'
import { testContext } from '../../support/context.js'
import { engine } from '../../support/engine.js'
import { onPostgres } from '../../support/store-engine.js'
import { addPair } from '../../support/watch-fakes.js'

const WEEK = 7 * 24 * 3600

function plan(fact: SilenceFact): PlanBody {
  return {
    kind: 'silence.add',
    action: 'silence.manage',
    summary: 'silence',
    targets: [],
    affectedUsers: fact.users,
    costDeltaMonthlyUsdCents: 0,
    steps: [],
    facts: { silence: fact },
  }
}

const fact = (o: Partial<SilenceFact>): SilenceFact => ({
  provider: null,
  region: null,
  instanceId: null,
  eventType: 'PAIR_FAILED',
  scoped: false,
  users: 3,
  ...o,
})

async function refusal(p: Promise<unknown>): Promise<UserError> {
  try {
    await p
  } catch (err) {
    if (err instanceof UserError) return err
    throw err
  }
  throw new Error('expected a refusal')
}

describe('silences and safety rule 5', () => {
  it('refuses an unscoped silence to every agent and asks the operator to confirm it', () => {
    for (const actor of ACTORS) {
      const d = check(plan(fact({ users: 2 })), actor)
      expect(d.findings.map((f) => f.rule)).toContain('unscoped-silence')
      expect(d.decision).toBe(actor === 'operator' ? 'confirm' : 'deny')
    }
    const scoped = fact({ provider: 'hetzner', scoped: true, users: 10 })
    expect(check(plan(scoped), 'guardian').decision).toBe('allow')
    expect(check(plan({ ...scoped, users: 11 }), 'guardian')).toMatchObject({
      decision: 'confirm',
      findings: [expect.objectContaining({ rule: 'confirm-over-10-users' })],
    })
  })

  it('counts the users whose events a silence hides, and holds a fleet-wide one for a human', async () => {
    const ctx = testContext()
    const pairs = Array.from({ length: 12 }, (_, i) =>
      addPair(
        ctx,
        { provider: 'hetzner', region: i < 4 ? 'nbg1' : 'fsn1' },
        { provider: 'vultr', region: 'ams' },
      ),
    )
    // The bypass: no scope at all, seven days, as Guardian.
    const guardian = ctx.as('guardian')
    const params = { eventType: 'PAIR_FAILED', forSeconds: WEEK, reason: 'noisy' }
    const denied = await refusal(engine.mutate(guardian, silenceAdd, params))
    expect(denied.code).toBe('POLICY_DENIED')
    expect(denied.details).toMatchObject({ rules: ['unscoped-silence'] })
    expect(await refusal(engine.mutate(ctx.as('commander'), silenceAdd, params))).toMatchObject({
      code: 'POLICY_DENIED',
    })
    // The operator may, with a confirmation bound to the plan that counted all 12 users.
    const ask = await refusal(engine.mutate(ctx, silenceAdd, params))
    expect(ask.code).toBe('CONFIRMATION_REQUIRED')
    const planId = (ask.details as { planId: string }).planId
    expect(ask.details).toMatchObject({ plan: { affectedUsers: 12 } })
    const done = await engine.mutate(ctx, silenceAdd, params, { confirm: planId })
    expect(done.status).toBe('done')
    expect(ctx.store().repo(Silences).active(ctx.now())).toHaveLength(1)

    // Scoped: the users of the instances the scope matches today.
    const nbg1 = await engine.mutate(
      guardian,
      silenceAdd,
      { provider: 'hetzner', region: 'nbg1', forSeconds: 1800, reason: 'nbg1 incident' },
      { dryRun: true },
    )
    expect(nbg1.plan.affectedUsers).toBe(4)
    expect(nbg1.policy.decision).toBe('allow')
    const vultr = await refusal(
      engine.mutate(guardian, silenceAdd, { provider: 'vultr', forSeconds: 1800, reason: 'vultr incident' }),
    )
    expect(vultr.code).toBe('CONFIRMATION_REQUIRED')
    expect(vultr.details).toMatchObject({ plan: { affectedUsers: 12 } })
    const one = await engine.mutate(guardian, silenceAdd, {
      instance: pairs[0]!.primary.id,
      forSeconds: 3600,
      reason: 'disk resize',
    })
    expect(one.plan.affectedUsers).toBe(1)
    expect(
      await refusal(engine.mutate(guardian, silenceAdd, { instance: 'i-none', forSeconds: 60, reason: 'x' })),
    ).toMatchObject({ code: 'NOT_FOUND' })
    expect(
      await refusal(engine.mutate(guardian, silenceAdd, { provider: 'aws', forSeconds: 60, reason: 'x' })),
    ).toMatchObject({ code: 'INVALID_INPUT' })
  })

  it('never creates, unconfirmed, a silence that hides more than 10 users’ events or the whole fleet’s', async () => {
    const provider = fc.constantFrom<Provider>(...PROVIDERS)
    const region = fc.constantFrom('r1', 'r2')
    const member = fc.record({ provider, region })
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(member, member), { minLength: 1, maxLength: 20 }),
        fc.record({
          provider: fc.option(provider, { nil: undefined, freq: 1 }),
          region: fc.option(region, { nil: undefined, freq: 1 }),
          eventType: fc.option(fc.constantFrom('PAIR_FAILED', 'INSTANCE_DEGRADED'), {
            nil: undefined,
            freq: 1,
          }),
          instance: fc.option(fc.nat(59), { nil: undefined, freq: 1 }),
        }),
        fc.constantFrom<Actor>(...ACTORS),
        async (fleet, s, actor) => {
          const ctx = testContext()
          const members = fleet.flatMap(([p, st]) => {
            const pair = addPair(ctx, p, st)
            return [pair.primary, pair.standby]
          })
          const instance = s.instance === undefined ? undefined : members[s.instance % members.length]
          const params = {
            provider: s.provider,
            region: s.region,
            eventType: s.eventType ?? (s.provider || s.region || instance ? undefined : 'PAIR_FAILED'),
            instance: instance?.id,
            forSeconds: WEEK,
            reason: 'property',
          }
          const hidden = new Set(
            members
              .filter(
                (m) =>
                  (!params.provider || m.provider === params.provider) &&
                  (!params.region || m.region === params.region) &&
                  (!params.instance || m.id === params.instance),
              )
              .map((m) => m.userId),
          ).size
          const scoped = Boolean(params.provider || params.region || params.instance)
          try {
            await engine.mutate(ctx.as(actor), silenceAdd, params)
          } catch (err) {
            if (!(err instanceof UserError)) throw err
            expect(['CONFIRMATION_REQUIRED', 'POLICY_DENIED']).toContain(err.code)
            expect(ctx.store().repo(Silences).active(ctx.now())).toEqual([])
            return
          }
          // It was created without a confirmation: it must be a small, scoped one.
          expect(scoped).toBe(true)
          expect(hidden).toBeLessThanOrEqual(10)
          expect(ctx.store().repo(Silences).active(ctx.now())).toHaveLength(1)
        },
      ),
      // Each run opens a fresh store: on PostgreSQL a schema's DDL (~1 s on a loaded machine), so fewer.
      { numRuns: onPostgres() ? 20 : 60 },
    )
  })
})
