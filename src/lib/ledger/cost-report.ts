/**
 * `clawops cost report`: what the fleet was charged in the current week or month so far (actual),
 * where that is heading by the period's end (forecast), against the projection (the configured budget,
 * or else the fleet as it stood when the period began), by provider, region, tier or user, with the
 * groups that moved most against the same stretch of the previous period. Also the COST_ANOMALY check
 * the watch daemon runs.
 *
 * Rounding: each segment's charge is converted to USD cents on its own (half up) and totals are sums
 * of those, so every breakdown adds up to the fleet total exactly.
 */
import type { Context } from '../context.js'
import type { Currency } from '../domain/catalog.js'
import { priceSourceParts } from '../domain/price-book.js'
import type { Store } from '../store/store.js'
import { type BilledSegment, segmentsBetween } from './billed.js'
import { iso, type Period, type PeriodKind, periodAt, previousPeriod } from './calendar.js'
import { charge } from './cost-model.js'
import { divRound, pctChange, type Rates, rateTable, toUsdCents } from './money.js'
import { ledgerSettings } from './settings.js'

export type GroupBy = 'provider' | 'region' | 'tier' | 'user'

export interface CostReportOptions {
  period?: PeriodKind
  by?: GroupBy
  /** Report as of this time (default now): the period containing it, up to it. */
  at?: Date
  /** Report the last complete period instead of the current one. */
  previous?: boolean
  /** Groups to list (all by default; the totals always cover everything). */
  limit?: number
}

export interface CostGroup {
  key: string
  instances: number
  actualUsdCents: number
  forecastUsdCents: number
  /** The previous period over the same elapsed stretch. */
  previousUsdCents: number
  changeUsdCents: number
  changePct: number | null
}

export interface CostReport {
  period: {
    kind: PeriodKind
    start: string
    end: string
    asOf: string
    elapsedPct: number
    complete: boolean
  }
  currency: 'USD'
  rates: Rates
  /**
   * Where the billed prices came from: per source (`hetzner-api`, `contabo-table`, `catalogue`, …)
   * the date it was read or dated, and how many billing segments of the report use it.
   */
  prices: { source: string; asOf: string | null; segments: number }[]
  actualUsdCents: number
  forecastUsdCents: number
  projection: {
    source: 'budget' | 'baseline'
    periodUsdCents: number
    toDateUsdCents: number
    note: string
  }
  /** Actual against the projection to date, in percent. */
  deltaPct: number | null
  /** Forecast against the projection for the whole period, in percent. */
  forecastDeltaPct: number | null
  anomaly: { thresholdPct: number; over: boolean }
  /** Native amounts per currency (what the invoices show) and their USD value. */
  byCurrency: Partial<Record<Currency, { minor: number; usdCents: number }>>
  by: GroupBy
  groups: CostGroup[]
  groupsTotal: number
  topMovers: CostGroup[]
  instances: number
  /** Live instances with no recorded billing segment, priced from the catalogue since creation. */
  inferredInstances: number
}

interface Window {
  period: Period
  asOf: number
  previous: Period
  prevEnd: number
}

function windowFor(kind: PeriodKind, at: Date, previous: boolean): Window {
  const now = at.getTime()
  const current = periodAt(kind, now)
  const period = previous ? previousPeriod(current) : current
  const asOf = previous ? period.end : now
  const prev = previousPeriod(period)
  // The previous period over the same elapsed stretch (capped at its own end: months differ in length).
  const prevEnd = Math.min(prev.end, prev.start + (asOf - period.start))
  return { period, asOf, previous: prev, prevEnd }
}

function keyOf(s: BilledSegment, by: GroupBy): string {
  switch (by) {
    case 'provider':
      return s.provider
    case 'region':
      return `${s.provider}/${s.region}`
    case 'tier':
      return s.tier
    case 'user':
      return s.userId
  }
}

interface Totals {
  actual: number
  forecast: number
  previous: number
  baselinePeriod: number
  baselineToDate: number
  instances: Set<string>
  byCurrency: Partial<Record<Currency, { minor: number; usdCents: number }>>
  groups: Map<string, { instances: number; actual: number; forecast: number; previous: number }>
  grouped: Set<string>
  inferred: Set<string>
  sources: Map<string, number>
}

function accumulate(segments: BilledSegment[], w: Window, by: GroupBy, rates: Rates): Totals {
  const table = rateTable(rates)
  const { period, asOf, previous, prevEnd } = w
  const t: Totals = {
    actual: 0,
    forecast: 0,
    previous: 0,
    baselinePeriod: 0,
    baselineToDate: 0,
    instances: new Set(),
    byCurrency: {},
    groups: new Map(),
    grouped: new Set(),
    inferred: new Set(),
    sources: new Map(),
  }
  const usd = (minor: number, c: Currency) => toUsdCents(minor, c, table)
  for (const s of segments) {
    const actualMinor = charge(s, period.start, asOf)
    const forecastMinor = charge(s, period.start, period.end)
    const previousMinor = charge(s, previous.start, prevEnd)
    if (actualMinor === 0 && forecastMinor === 0 && previousMinor === 0) continue
    const actual = usd(actualMinor, s.currency)
    const forecast = usd(forecastMinor, s.currency)
    const prev = usd(previousMinor, s.currency)
    // Baseline: the segments already running when the period began, as if they ran all period (an
    // open segment's baseline is its forecast and actual; only a closed one needs recomputing).
    if (s.start < period.start && (s.end === null || s.end > period.start)) {
      if (s.end === null) {
        t.baselinePeriod += forecast
        t.baselineToDate += actual
      } else {
        const running = { ...s, end: null }
        t.baselinePeriod += usd(charge(running, period.start, period.end), s.currency)
        t.baselineToDate += usd(charge(running, period.start, asOf), s.currency)
      }
    }
    t.actual += actual
    t.forecast += forecast
    t.previous += prev
    const billed = actualMinor > 0 || forecastMinor > 0
    if (billed) {
      t.instances.add(s.instanceId)
      t.sources.set(s.priceSource, (t.sources.get(s.priceSource) ?? 0) + 1)
    }
    if (s.inferred) t.inferred.add(s.instanceId)
    const cur = t.byCurrency[s.currency] ?? { minor: 0, usdCents: 0 }
    t.byCurrency[s.currency] = cur
    cur.minor += actualMinor
    cur.usdCents += actual
    const key = keyOf(s, by)
    let g = t.groups.get(key)
    if (!g) {
      g = { instances: 0, actual: 0, forecast: 0, previous: 0 }
      t.groups.set(key, g)
    }
    // One set for all groups (a resized instance has a segment per tier, so it can be in two).
    const member = `${key}\u0000${s.instanceId}`
    if (billed && !t.grouped.has(member)) {
      t.grouped.add(member)
      g.instances++
    }
    g.actual += actual
    g.forecast += forecast
    g.previous += prev
  }
  return t
}

export function buildCostReport(
  store: Store,
  settings: {
    rates: Rates
    budgetUsdCents: { week: number | null; month: number | null }
    anomalyPct: number
  },
  opts: CostReportOptions & { at: Date },
  /** Segments already read for a span covering this report's (previous period to period end). */
  preloaded?: BilledSegment[],
): CostReport {
  const kind = opts.period ?? 'month'
  const by = opts.by ?? 'provider'
  const w = windowFor(kind, opts.at, opts.previous ?? false)
  const { period, asOf } = w
  const segments = preloaded ?? segmentsBetween(store, w.previous.start, period.end)
  const t = accumulate(segments, w, by, settings.rates)

  const length = period.end - period.start
  const elapsed = asOf - period.start
  const budget = settings.budgetUsdCents[kind]
  const projection =
    budget === null
      ? {
          source: 'baseline' as const,
          periodUsdCents: t.baselinePeriod,
          toDateUsdCents: t.baselineToDate,
          note: `no ${kind}ly budget configured: the projection is the fleet as it stood at ${iso(period.start)}, running all ${kind}`,
        }
      : {
          source: 'budget' as const,
          periodUsdCents: budget,
          toDateUsdCents: divRound(budget * elapsed, length),
          note: `the configured ${kind}ly budget (ledger.budgetUsd.${kind}), pro rata to date`,
        }
  const deltaPct = pctChange(t.actual, projection.toDateUsdCents)
  const forecastDeltaPct = pctChange(t.forecast, projection.periodUsdCents)

  const groups: CostGroup[] = [...t.groups]
    .map(([key, g]) => ({
      key,
      instances: g.instances,
      actualUsdCents: g.actual,
      forecastUsdCents: g.forecast,
      previousUsdCents: g.previous,
      changeUsdCents: g.actual - g.previous,
      changePct: pctChange(g.actual, g.previous),
    }))
    .sort((a, b) => b.actualUsdCents - a.actualUsdCents || a.key.localeCompare(b.key))
  const topMovers = groups
    .filter((g) => g.changeUsdCents !== 0)
    .sort((a, b) => Math.abs(b.changeUsdCents) - Math.abs(a.changeUsdCents) || a.key.localeCompare(b.key))
    .slice(0, 5)

  return {
    period: {
      kind,
      start: iso(period.start),
      end: iso(period.end),
      asOf: iso(asOf),
      elapsedPct: divRound(elapsed * 1000, length) / 10,
      complete: asOf >= period.end,
    },
    currency: 'USD',
    rates: settings.rates,
    prices: [...t.sources]
      .map(([source, segments]) => {
        const { name, asOf } = priceSourceParts(source)
        return { source: name, asOf, segments }
      })
      .sort((a, b) => a.source.localeCompare(b.source) || (a.asOf ?? '').localeCompare(b.asOf ?? '')),
    actualUsdCents: t.actual,
    forecastUsdCents: t.forecast,
    projection,
    deltaPct,
    forecastDeltaPct,
    anomaly: {
      thresholdPct: settings.anomalyPct,
      over: anomalyBasis(deltaPct, forecastDeltaPct, settings.anomalyPct, elapsed).length > 0,
    },
    byCurrency: t.byCurrency,
    by,
    groups: opts.limit === undefined ? groups : groups.slice(0, opts.limit),
    groupsTotal: groups.length,
    topMovers,
    instances: t.instances.size,
    inferredInstances: t.inferred.size,
  }
}

/**
 * Which comparisons are more than `threshold` percent above the projection. Spend to date is judged
 * only after a day of the period: in its first hours a few started hours or renewed contracts swing
 * the percentage without meaning anything.
 */
function anomalyBasis(
  deltaPct: number | null,
  forecastDeltaPct: number | null,
  threshold: number,
  elapsedMs: number,
): ('to-date' | 'forecast')[] {
  const basis: ('to-date' | 'forecast')[] = []
  if (deltaPct !== null && deltaPct > threshold && elapsedMs >= 86_400_000) basis.push('to-date')
  if (forecastDeltaPct !== null && forecastDeltaPct > threshold) basis.push('forecast')
  return basis
}

export function costReport(ctx: Context, opts: CostReportOptions = {}): CostReport {
  const s = ledgerSettings(ctx.config())
  const report = buildCostReport(
    ctx.store(),
    { rates: ctx.config().currency.rates, budgetUsdCents: s.budgetUsdCents, anomalyPct: s.anomalyPct },
    { ...opts, at: opts.at ?? ctx.clock() },
  )
  if (report.inferredInstances > 0) {
    ctx.warn(
      `${report.inferredInstances} live instance(s) have no billing segment; they are priced from the catalogue since their creation`,
    )
  }
  return report
}

export interface CostAnomaly {
  type: 'COST_ANOMALY'
  severity: 'warning' | 'high'
  period: PeriodKind
  periodStart: string
  asOf: string
  /** Which comparison crossed the threshold. */
  basis: ('to-date' | 'forecast')[]
  actualUsdCents: number
  projectedToDateUsdCents: number
  forecastUsdCents: number
  projectedUsdCents: number
  projectionSource: 'budget' | 'baseline'
  overPct: number
  thresholdPct: number
  topMovers: CostGroup[]
}

/**
 * For `clawops watch` (COST_ANOMALY): the week and the month checked against their projections; an
 * entry for each whose spend to date, or forecast for the whole period, is more than `thresholdPct`
 * above the projection (default: ledger.anomalyPct, 15). Twice the threshold is `high`.
 */
export function detectCostAnomalies(
  ctx: Context,
  opts: { at?: Date; thresholdPct?: number } = {},
): CostAnomaly[] {
  const s = ledgerSettings(ctx.config())
  const threshold = opts.thresholdPct ?? s.anomalyPct
  const out: CostAnomaly[] = []
  const at = opts.at ?? ctx.clock()
  // Both reports read one set of segments (watch runs this every cycle; half the rows, half the memory).
  const spans = (['week', 'month'] as const).map((k) => windowFor(k, at, false))
  const segments = segmentsBetween(
    ctx.store(),
    Math.min(...spans.map((w) => w.previous.start)),
    Math.max(...spans.map((w) => w.period.end)),
  )
  for (const period of ['week', 'month'] as const) {
    const r = buildCostReport(
      ctx.store(),
      { rates: ctx.config().currency.rates, budgetUsdCents: s.budgetUsdCents, anomalyPct: threshold },
      { period, by: 'provider', at },
      segments,
    )
    const elapsed = Date.parse(r.period.asOf) - Date.parse(r.period.start)
    const basis = anomalyBasis(r.deltaPct, r.forecastDeltaPct, threshold, elapsed)
    if (basis.length === 0) continue
    const overPct = Math.max(
      ...basis.map((b) => (b === 'to-date' ? (r.deltaPct ?? 0) : (r.forecastDeltaPct ?? 0))),
    )
    out.push({
      type: 'COST_ANOMALY',
      severity: overPct > 2 * threshold ? 'high' : 'warning',
      period,
      periodStart: r.period.start,
      asOf: r.period.asOf,
      basis,
      actualUsdCents: r.actualUsdCents,
      projectedToDateUsdCents: r.projection.toDateUsdCents,
      forecastUsdCents: r.forecastUsdCents,
      projectedUsdCents: r.projection.periodUsdCents,
      projectionSource: r.projection.source,
      overPct,
      thresholdPct: threshold,
      topMovers: r.topMovers,
    })
  }
  return out
}
