/**
 * The waste scan on a lab fleet with 30 days of synthetic history finds exactly what the history
 * planted: the idle pairs, the oversized pairs and the cheaper-elsewhere instances of its manifest.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import type { Context } from '../../../src/lib/context.js'
import type { HistoryManifest } from '../../../src/lib/lab/history.js'
import { seedFleet } from '../../../src/lib/lab/seed.js'
import { wasteReport } from '../../../src/lib/ledger/waste.js'
import { testContext } from '../../support/context.js'

const now = new Date('2026-11-26T07:00:00Z')
let ctx: Context
let manifest: HistoryManifest

// Seeding 400 pairs with 30 days of history takes seconds, more than the default 10 s on a loaded machine.
beforeAll(() => {
  ctx = testContext({ clock: () => now })
  manifest = seedFleet(ctx, { pairs: 400, seed: 11, historyDays: 30 }).history!.manifest
}, 60_000)

describe('waste scan on lab history', () => {
  it('plants every kind of waste', () => {
    expect(manifest.idlePairs.length).toBeGreaterThanOrEqual(10)
    expect(manifest.oversizedPairs.length).toBeGreaterThanOrEqual(5)
    expect(manifest.legacyContracts.length).toBeGreaterThanOrEqual(2)
    expect(manifest.cheaperElsewhere.length).toBeGreaterThan(manifest.legacyContracts.length)
  })

  it('finds exactly the planted idle, oversized and cheaper-elsewhere cases', () => {
    const r = wasteReport(ctx)
    expect(r.idle.items.map((i) => i.pairId).sort()).toEqual(manifest.idlePairs)
    expect(r.oversized.items.map((i) => i.pairId).sort()).toEqual(manifest.oversizedPairs)
    expect(r.cheaperElsewhere.items.map((i) => i.instanceId).sort()).toEqual(manifest.cheaperElsewhere)
    expect(r.unknownActivityPairs).toBe(0)
    expect(r.inferredInstances).toBe(0)
  })

  it('gives evidence, savings and the command for each finding', () => {
    const r = wasteReport(ctx)
    const idle = r.idle.items[0]!
    expect(idle.evidence.idleDays).toBeGreaterThanOrEqual(14)
    expect(idle.monthlySavingUsdCents).toBeGreaterThan(0)
    expect(idle.command).toBe(`clawops teardown -l pair=${idle.pairId}`)
    const big = r.oversized.items[0]!
    expect(big.evidence.cpuMaxPct).toBeLessThan(20)
    expect(big.evidence.memMaxPct).toBeLessThan(20)
    expect(big.evidence.hoursCovered).toBeGreaterThanOrEqual(152)
    expect(big.command).toBe(`clawops resize --tier ${big.targetTier} -l pair=${big.pairId}`)
    for (const c of r.cheaperElsewhere.items) {
      expect(c.evidence.monthlyUsdCents - c.evidence.alternative.monthlyUsdCents).toBe(
        c.monthlySavingUsdCents,
      )
      expect(c.targetProvider).not.toBe(c.provider)
      expect(c.targetProvider).not.toBe(c.evidence.partnerProvider)
    }
    const legacy = r.cheaperElsewhere.items.find((c) => manifest.legacyContracts.includes(c.instanceId))!
    expect(legacy.evidence.priceSource).toBe('contabo-table@2023-01-01')
    expect(legacy.evidence.tenureDays).toBeGreaterThan(700)
    expect(r.totalMonthlySavingUsdCents).toBe(
      r.idle.monthlySavingUsdCents +
        r.oversized.monthlySavingUsdCents +
        r.cheaperElsewhere.monthlySavingUsdCents,
    )
    expect(r.idle.bulkCommands[0]).toMatch(/^clawops teardown -l 'pair in \(/)
  })

  it('reports nothing for a routing that leaves no cheaper provider for the slot', async () => {
    // Only the expensive hourly providers allowed: no contract member has a cheaper place to go.
    const { RoutingVersions } = await import('../../../src/lib/store/routing.js')
    const repo = ctx.store().repo(RoutingVersions)
    const pools = {
      primary: ['vultr', 'digitalocean'],
      standby: ['digitalocean', 'vultr'],
      excluded: [],
    } as const
    const config = { eu: structuredClone(pools), us: structuredClone(pools), ap: structuredClone(pools) }
    repo.append(repo.current().version, config as never, {
      actor: 'operator',
      reason: 'test',
      opId: null,
      planId: null,
    })
    const r = wasteReport(ctx)
    expect(r.cheaperElsewhere.count).toBe(0)
    expect(r.idle.count).toBe(manifest.idlePairs.length)
  })
})
