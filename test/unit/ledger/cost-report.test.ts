/**
 * `cost report` on a hand-made fleet as of Thursday 2026-11-26 07:00 UTC (607 hours into November):
 *   A hetzner nano cx23 since 2026-10-01: Nov to date 607 h x 0.0072 = EUR 4.3704 -> 437 -> $4.72 (x1.08 = 471.96);
 *     whole November 720 h = 5.184 -> capped 449 -> $4.85
 *   B contabo standard V92 ordered 2026-09-10: renews Nov 10: EUR 7.00 -> $7.56 (to date and forecast)
 *   C vultr nano since 2026-11-20: 151 h x $0.015 = $2.265 -> $2.27; to Dec 1 264 h -> $3.96
 *   D digitalocean nano 2026-11-02 00:00 to 11-03 12:00: 129,600 s x $0.01786 / 3600 = $0.64296 -> $0.64
 * Actual 472 + 756 + 227 + 64 = 1519; forecast 485 + 756 + 396 + 64 = 1701.
 * Baseline (A and B, running when November began): to date 472 + 756 = 1228, whole month 485 + 756 = 1241.
 * Previous period, same 607 hours of October: A 437 -> 472, B Oct 10 -> 756: 1228.
 */
import { beforeEach, describe, expect, it } from 'vitest'
import { DEFAULT_CONFIG } from '../../../src/lib/config/defaults.js'
import type { Context } from '../../../src/lib/context.js'
import { costReport, detectCostAnomalies } from '../../../src/lib/ledger/cost-report.js'
import { testContext } from '../../support/context.js'
import { addMember } from './fixtures.js'

const at = new Date('2026-11-26T07:00:00Z')
let ctx: Context

function fleet(c: Context): void {
  const store = c.store()
  addMember(store, {
    id: 'i-a',
    pair: 'p-a',
    provider: 'hetzner',
    region: 'nbg1',
    tier: 'nano',
    created: '2026-10-01T00:00:00.000Z',
  })
  addMember(store, {
    id: 'i-b',
    pair: 'p-b',
    provider: 'contabo',
    region: 'EU',
    tier: 'standard',
    created: '2026-09-10T00:00:00.000Z',
  })
  addMember(store, {
    id: 'i-c',
    pair: 'p-c',
    provider: 'vultr',
    region: 'ewr',
    tier: 'nano',
    created: '2026-11-20T00:00:00.000Z',
  })
  addMember(store, {
    id: 'i-d',
    pair: 'p-d',
    provider: 'digitalocean',
    region: 'fra1',
    tier: 'nano',
    created: '2026-11-02T00:00:00.000Z',
    deleted: '2026-11-03T12:00:00.000Z',
  })
}

beforeEach(() => {
  ctx = testContext({ clock: () => at })
  fleet(ctx)
})

describe('cost report', () => {
  it('gives actual, forecast and the baseline projection to the cent', () => {
    const r = costReport(ctx, { period: 'month', by: 'provider' })
    expect(r.period).toMatchObject({
      start: '2026-11-01T00:00:00.000Z',
      end: '2026-12-01T00:00:00.000Z',
      complete: false,
    })
    expect(r.actualUsdCents).toBe(1519)
    expect(r.forecastUsdCents).toBe(1701)
    expect(r.projection).toMatchObject({ source: 'baseline', toDateUsdCents: 1228, periodUsdCents: 1241 })
    // (1519 - 1228) / 1228 = 23.697 %; (1701 - 1241) / 1241 = 37.07 %
    expect(r.deltaPct).toBe(23.7)
    expect(r.forecastDeltaPct).toBe(37.1)
    expect(r.anomaly.over).toBe(true)
    expect(r.byCurrency).toEqual({
      EUR: { minor: 437 + 700, usdCents: 472 + 756 },
      USD: { minor: 227 + 64, usdCents: 291 },
    })
    const g = Object.fromEntries(r.groups.map((x) => [x.key, x]))
    expect(g.hetzner).toMatchObject({
      actualUsdCents: 472,
      forecastUsdCents: 485,
      previousUsdCents: 472,
      changeUsdCents: 0,
    })
    expect(g.vultr).toMatchObject({ actualUsdCents: 227, previousUsdCents: 0, changePct: null })
    expect(r.groups.reduce((s, x) => s + x.actualUsdCents, 0)).toBe(r.actualUsdCents)
    expect(r.topMovers.map((m) => m.key)).toEqual(['vultr', 'digitalocean'])
  })

  it('compares with a configured budget, pro rata to date', () => {
    const withBudget = testContext({
      home: ctx.home,
      clock: () => at,
      config: { ...DEFAULT_CONFIG, ledger: { budgetUsd: { month: 20 } } },
    })
    const r = costReport(withBudget, { period: 'month' })
    // $20.00 x 607 / 720 = 1686.1 -> 1686
    expect(r.projection).toMatchObject({ source: 'budget', periodUsdCents: 2000, toDateUsdCents: 1686 })
    // (1519 - 1686) / 1686 = -9.905 %; (1701 - 2000) / 2000 = -14.95 %
    expect(r.deltaPct).toBe(-9.9)
    expect(r.forecastDeltaPct).toBe(-15)
    expect(r.anomaly.over).toBe(false)
  })

  it('reports a week and a complete previous period', () => {
    const week = costReport(ctx, { period: 'week', by: 'tier' })
    // Mon 2026-11-23 00:00 to Thu 07:00 = 79 h. A: 79 x 0.0072 = 0.5688 -> 57 -> $0.62 (61.56);
    // B renews on the 10th: 0; C: 79 h x $0.015 = $1.185 -> $1.19; D ended earlier: 0
    expect(week.actualUsdCents).toBe(62 + 119)
    expect(week.groups.map((g) => g.key)).toEqual(['nano'])
    const october = costReport(ctx, { period: 'month', previous: true })
    expect(october.period).toMatchObject({ start: '2026-10-01T00:00:00.000Z', complete: true })
    // A: 744 h x 0.0072 = 5.3568 -> capped 449 -> $4.85; B: Oct 10 -> $7.56
    expect(october.actualUsdCents).toBe(485 + 756)
    expect(october.forecastUsdCents).toBe(october.actualUsdCents)
  })

  it('uses the configured currency rates', () => {
    const r = costReport(
      testContext({
        home: ctx.home,
        clock: () => at,
        config: { ...DEFAULT_CONFIG, currency: { rates: { USD: 1, EUR: 1.25 } } },
      }),
      { period: 'month' },
    )
    // A 437 x 1.25 = 546.25 -> 546; B 700 x 1.25 = 875; C 227; D 64
    expect(r.actualUsdCents).toBe(546 + 875 + 227 + 64)
  })

  it('prices instances without a billing segment from the catalogue and says so', () => {
    ctx.store().db.prepare("DELETE FROM billing_segments WHERE instance_id = 'i-a'").run()
    const r = costReport(ctx, { period: 'month' })
    expect(r.inferredInstances).toBe(1)
    expect(r.actualUsdCents).toBe(1519)
    expect(ctx.warnings.join('\n')).toMatch(/1 live instance\(s\) have no billing segment/)
  })

  it('raises COST_ANOMALY above 15 % over the projection, not below', () => {
    const anomalies = detectCostAnomalies(ctx)
    const month = anomalies.find((a) => a.period === 'month')!
    expect(month).toMatchObject({
      type: 'COST_ANOMALY',
      basis: ['to-date', 'forecast'],
      actualUsdCents: 1519,
      projectedToDateUsdCents: 1228,
      overPct: 37.1,
      severity: 'high',
      thresholdPct: 15,
    })
    expect(detectCostAnomalies(ctx, { thresholdPct: 40 })).toEqual([])
  })
})
