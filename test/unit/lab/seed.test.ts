import { describe, expect, it } from 'vitest'
import { UserError } from '../../../src/lib/errors.js'
import { fleetStatus } from '../../../src/lib/fleet/status.js'
import { generateFleet, seedFleet } from '../../../src/lib/lab/seed.js'
import { testContext } from '../../support/context.js'

const now = new Date('2026-11-26T07:00:00Z')

describe('lab seed', () => {
  it('is deterministic for a seed and differs across seeds', () => {
    const a = generateFleet({ pairs: 200, seed: 9, now })
    const b = generateFleet({ pairs: 200, seed: 9, now })
    const c = generateFleet({ pairs: 200, seed: 10, now })
    expect(a).toEqual(b)
    expect(a.instances.map((i) => i.id)).not.toEqual(c.instances.map((i) => i.id))
  })

  it('builds realistic pairs: standby on another provider in the same region group, same tier', () => {
    const { instances } = generateFleet({ pairs: 500, seed: 1, now })
    const byPair = Map.groupBy(instances, (i) => i.pairId)
    expect(byPair.size).toBe(500)
    for (const [, [p, s]] of byPair) {
      expect(p!.role).toBe('primary')
      expect(s!.role).toBe('standby')
      expect(p!.provider).not.toBe(s!.provider)
      expect(p!.tier).toBe(s!.tier)
    }
    expect(new Set(instances.map((i) => i.provider)).size).toBe(5)
    expect(instances.every((i) => i.labels.lab === 'true')).toBe(true)
  })

  it('always shows some trouble, even in a small fleet', () => {
    const ctx = testContext({ clock: () => now })
    seedFleet(ctx, { pairs: 20, seed: 4 })
    const s = fleetStatus(ctx)
    expect(s.pairs).toBe(20)
    expect(s.degraded.length).toBeGreaterThan(0)
    expect(s.failed.length).toBeGreaterThan(0)
    expect(s.pairsWithoutActivePrimary.length).toBeGreaterThan(0)
    expect(s.monthlyCost.usdCents).toBeGreaterThan(0)
  })

  it('refuses to mix fleets unless asked to replace lab rows, and keeps the audit chain', () => {
    const ctx = testContext({ clock: () => now })
    seedFleet(ctx, { pairs: 10, seed: 1 })
    expect(() => seedFleet(ctx, { pairs: 10, seed: 2 })).toThrow(UserError)
    const r = seedFleet(ctx, { pairs: 12, seed: 2, replace: true })
    expect(r.replaced).toBe(10)
    expect(fleetStatus(ctx).pairs).toBe(12)
  })

  it('is refused for read-only roles', () => {
    expect(() => seedFleet(testContext({ actor: 'triage' }), { pairs: 1, seed: 1 })).toThrow(/may not/)
  })
})
