import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import configPushKind from '../../../src/lib/config-push/push-kind.js'
import { ACTORS, type Actor } from '../../../src/lib/domain/actor.js'
import type { PlanBody } from '../../../src/lib/domain/plan.js'
import { check } from '../../../src/lib/policy/check.js'
import { ROLES } from '../../../src/lib/policy/roles.js'
import { ROLLOUT_LIMITS, type RolloutFact, rolloutBatchLimit } from '../../../src/lib/policy/rules.js'
import { testContext } from '../../support/context.js'
import { engine } from '../../support/engine.js'
import { addPair } from '../../support/watch-fakes.js'

function plan(rollout: RolloutFact): PlanBody {
  return {
    kind: 'config.push',
    action: 'config.push',
    summary: 'push',
    targets: [],
    // Rule 5 is not what these tests are about.
    affectedUsers: 1,
    costDeltaMonthlyUsdCents: 0,
    steps: [],
    facts: { rollout },
  }
}

const even = (instances: number, size: number) =>
  Array.from({ length: Math.ceil(instances / size) }, (_, i) => Math.min(size, instances - i * size))

const fact = (o: Partial<RolloutFact> = {}): RolloutFact => ({
  what: 'config push',
  instances: 1000,
  batches: even(1000, 50),
  ceiling: 50,
  pauseMs: 10_000,
  maxFailurePct: 2,
  allAtOnce: false,
  ...o,
})

const rules = (f: RolloutFact, actor: Actor) => check(plan(f), actor).findings.map((x) => x.rule)

describe('rule 2 with teeth', () => {
  it('lets a rollout within the limits through and holds each looser one for a human', () => {
    expect(check(plan(fact()), 'operator').decision).toBe('allow')
    const loose = [
      fact({ batches: [500, 500] }),
      fact({ pauseMs: 0 }),
      fact({ maxFailurePct: 100 }),
      fact({ batches: even(1000, 60) }),
      fact({ instances: 200, batches: even(200, 30) }),
    ]
    for (const f of loose) {
      for (const actor of ['operator', 'commander'] as const) {
        expect(check(plan(f), actor).decision).toBe('confirm')
        expect(rules(f, actor)).toEqual(['rollout-limits'])
      }
      // No other agent may confirm, so none may start it.
      expect(check(plan(f), 'forge').findings).toContainEqual(
        expect.objectContaining({ rule: 'rollout-limits', effect: 'deny' }),
      )
    }
    // One batch above 100 instances is not rolling at all: refused whoever asks.
    expect(check(plan(fact({ batches: [1000] })), 'operator').decision).toBe('deny')
    expect(check(plan(fact({ batches: [1000], allAtOnce: true })), 'operator').decision).toBe('deny')
    // Up to 100 instances the limits do not apply (an all-at-once push still waits for a confirmation).
    expect(
      check(plan(fact({ instances: 100, batches: [50, 50], pauseMs: 0, maxFailurePct: 100 })), 'operator')
        .decision,
    ).toBe('allow')
    expect(rules(fact({ instances: 100, batches: [100], allAtOnce: true }), 'operator')).toEqual([
      'all-at-once-rollout',
    ])
  })

  it('never lets a rollout over 100 instances looser than the limits through unconfirmed', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5000 }),
        fc.integer({ min: 1, max: 1000 }),
        fc.integer({ min: 1, max: 1000 }),
        fc.integer({ min: 0, max: 60_000 }),
        fc.double({ min: 0, max: 100, noNaN: true }),
        fc.boolean(),
        fc.constantFrom<Actor>(...ACTORS),
        (instances, size, ceiling, pauseMs, maxFailurePct, allAtOnce, actor) => {
          const batches = allAtOnce ? [instances] : even(instances, size)
          const f: RolloutFact = {
            what: 'config push',
            instances,
            batches,
            ceiling,
            pauseMs,
            maxFailurePct,
            allAtOnce,
          }
          const loose =
            instances > 100 &&
            (batches.length < 2 ||
              Math.max(...batches) >
                Math.min(ceiling, Math.floor(instances * ROLLOUT_LIMITS.maxBatchShare)) ||
              pauseMs < ROLLOUT_LIMITS.minPauseMs ||
              maxFailurePct > ROLLOUT_LIMITS.maxFailurePct)
          const d = check({ ...plan(f), action: 'config.push' }, actor)
          if (loose) {
            expect(d.decision).not.toBe('allow')
            if (!ROLES[actor].canConfirm) expect(d.decision).toBe('deny')
          } else if (actor === 'operator' && !allAtOnce) {
            expect(d.decision).toBe('allow')
          }
        },
      ),
      { numRuns: 2000 },
    )
  })

  it('plans what it says: the facts are the batches the operation will run', async () => {
    const ctx = testContext()
    for (let i = 0; i < 110; i++) addPair(ctx)
    const doc = {
      format: 'merge',
      body: { agents: { defaults: { model: { primary: 'moonshot/kimi-k2.5' } } } },
    }
    // Without a batch size, a push to 220 instances is cut to rule 2's limit: 22 a batch at most.
    const auto = await engine.mutate(ctx, configPushKind, { document: doc }, { dryRun: true })
    const sizes = (p: typeof auto.plan) =>
      p.steps
        .filter((s) => s.name === 'batch')
        .map((s) => (s.input as { instances: unknown[] }).instances.length)
    expect((auto.plan.facts.rollout as RolloutFact).batches).toEqual(sizes(auto.plan))
    expect(Math.max(...sizes(auto.plan))).toBe(rolloutBatchLimit(220, 50))
    expect(auto.policy.findings.map((f) => f.rule)).not.toContain('rollout-limits')

    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 300 }),
        fc.integer({ min: 0, max: 30_000 }),
        fc.oneof(
          fc.record({ kind: fc.constant('pct' as const), value: fc.integer({ min: 0, max: 100 }) }),
          fc.record({ kind: fc.constant('count' as const), value: fc.integer({ min: 0, max: 50 }) }),
        ),
        async (batchSize, pauseMs, maxFailures) => {
          const r = await engine.mutate(
            ctx.as('commander'),
            configPushKind,
            { document: doc, batchSize, pauseMs, maxFailures },
            { dryRun: true },
          )
          const planned = sizes(r.plan)
          const f = r.plan.facts.rollout as RolloutFact
          expect(f.batches).toEqual(planned)
          expect(f.pauseMs).toBe(pauseMs)
          const pct = maxFailures.kind === 'pct' ? maxFailures.value : (100 * maxFailures.value) / 220
          const loose = Math.max(...planned) > 22 || pauseMs < 10_000 || pct > 5
          expect(r.policy.findings.some((x) => x.rule === 'rollout-limits')).toBe(loose)
        },
      ),
      { numRuns: 40 },
    )
  })
})
