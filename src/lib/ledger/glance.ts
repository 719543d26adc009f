/**
 * The Ledger's part of the fleet snapshot: month-to-date cost against the projection (with the spend
 * day by day for a chart) and the provider health scores (with a 7-day trend). Both come from
 * `cost report --period month` and `provider health --days 7` (the same functions), which read days
 * of history: seconds on 10,000 pairs. So they are computed at most hourly and kept in the store
 * (`glance_snapshots`); readers take the kept rows as they are, with the time they were computed.
 *
 * `refreshLedgerGlance` computes what is missing or older than an hour: watch calls it with its
 * hourly checks, `fleet status` when nothing fresh is there. A provider-score day with no row (a new
 * store, a seeded history) is computed as of that day's end from the history in the store.
 */
import type { Context } from '../context.js'
import type { Provider } from '../domain/provider.js'
import { GlanceSnapshots } from '../store/glance-snapshots.js'
import type { Store } from '../store/store.js'
import { segmentsBetween } from './billed.js'
import { periodAt } from './calendar.js'
import { charge } from './cost-model.js'
import { costReport } from './cost-report.js'
import { rateTable, toUsdCents } from './money.js'
import { providerHealth } from './provider-health.js'

const DAY = 86_400_000
export const GLANCE_MAX_AGE_MS = 3600_000
export const TREND_DAYS = 7
const COST = 'cost-month'
const SCORES = 'provider-scores'

export interface MonthCost {
  computedAt: string
  month: string
  period: { start: string; end: string; asOf: string; elapsedPct: number }
  actualUsdCents: number
  forecastUsdCents: number
  projection: { source: 'budget' | 'baseline'; periodUsdCents: number; toDateUsdCents: number }
  deltaPct: number | null
  forecastDeltaPct: number | null
  anomaly: { thresholdPct: number; over: boolean }
  byProvider: { provider: string; actualUsdCents: number; forecastUsdCents: number }[]
  /** Spend from the start of the month to the end of each day so far (the last one: to `asOf`). */
  daily: { day: string; actualUsdCents: number }[]
}

export interface ProviderScoreDay {
  day: string
  computedAt: string
  thresholdScore: number
  window: { days: number; since: string; until: string }
  providers: { provider: Provider; score: number | null; status: 'ok' | 'degraded' | 'no-data' }[]
}

export interface LedgerGlance {
  cost: MonthCost | null
  providerScores:
    | (ProviderScoreDay & { trend: { day: string; scores: Record<string, number | null> }[] })
    | null
}

const dayOf = (t: number) => new Date(t).toISOString().slice(0, 10)
const monthOf = (t: number) => new Date(t).toISOString().slice(0, 7)

function fresh(row: { computedAt: string } | undefined, now: number): boolean {
  return row !== undefined && now - Date.parse(row.computedAt) < GLANCE_MAX_AGE_MS
}

/** Month-to-date spend at the end of each day, with the report's own charge and rounding rules. */
function dailySpend(store: Store, rates: Record<string, number>, at: number): MonthCost['daily'] {
  const period = periodAt('month', at)
  const table = rateTable(rates as never)
  const segments = segmentsBetween(store, period.start, period.end)
  const out: MonthCost['daily'] = []
  for (let end = period.start + DAY; ; end += DAY) {
    const until = Math.min(end, at)
    let cents = 0
    for (const s of segments) {
      const minor = charge(s, period.start, until)
      if (minor !== 0) cents += toUsdCents(minor, s.currency, table)
    }
    out.push({ day: dayOf(end - DAY), actualUsdCents: cents })
    if (until === at) break
  }
  return out
}

function computeCost(ctx: Context, at: Date): MonthCost {
  const r = costReport(ctx, { period: 'month', by: 'provider', at })
  return {
    computedAt: at.toISOString(),
    month: monthOf(at.getTime()),
    period: {
      start: r.period.start,
      end: r.period.end,
      asOf: r.period.asOf,
      elapsedPct: r.period.elapsedPct,
    },
    actualUsdCents: r.actualUsdCents,
    forecastUsdCents: r.forecastUsdCents,
    projection: {
      source: r.projection.source,
      periodUsdCents: r.projection.periodUsdCents,
      toDateUsdCents: r.projection.toDateUsdCents,
    },
    deltaPct: r.deltaPct,
    forecastDeltaPct: r.forecastDeltaPct,
    anomaly: r.anomaly,
    byProvider: r.groups.map((g) => ({
      provider: g.key,
      actualUsdCents: g.actualUsdCents,
      forecastUsdCents: g.forecastUsdCents,
    })),
    daily: dailySpend(ctx.store(), ctx.config().currency.rates, at.getTime()),
  }
}

function computeScores(ctx: Context, at: Date, computedAt: string): ProviderScoreDay {
  const r = providerHealth(ctx, { days: TREND_DAYS, at })
  return {
    day: dayOf(at.getTime() - 1),
    computedAt,
    thresholdScore: r.thresholdScore,
    window: r.window,
    providers: r.providers.map((p) => ({ provider: p.provider, score: p.score, status: p.status })),
  }
}

/** The kept rows as they are: no computation, safe on a read-only store. */
export function readLedgerGlance(store: Store, now: Date): LedgerGlance {
  const rows = store.repo(GlanceSnapshots)
  const t = now.getTime()
  const cost = rows.get<MonthCost>(COST, monthOf(t))?.body ?? null
  const days = rows.between<ProviderScoreDay>(SCORES, dayOf(t - (TREND_DAYS - 1) * DAY), dayOf(t))
  const latest = days.at(-1)?.body
  return {
    cost,
    providerScores: latest
      ? {
          ...latest,
          trend: days.map((d) => ({
            day: d.period,
            scores: Object.fromEntries(d.body.providers.map((p) => [p.provider, p.score])),
          })),
        }
      : null,
  }
}

/**
 * Computes and keeps what is missing or stale (older than an hour): this month's cost, today's
 * provider scores, and the scores of each of the last seven days that has none. Returns what it did.
 */
export function refreshLedgerGlance(ctx: Context, opts: { force?: boolean } = {}): { computed: string[] } {
  const store = ctx.store()
  const rows = store.repo(GlanceSnapshots)
  const now = ctx.clock()
  const t = now.getTime()
  const computed: string[] = []
  const month = monthOf(t)
  if (opts.force || !fresh(rows.get(COST, month), t)) {
    const cost = computeCost(ctx, now)
    rows.put(COST, month, cost.computedAt, cost)
    computed.push(`${COST}:${month}`)
  }
  const today = dayOf(t)
  if (opts.force || !fresh(rows.get(SCORES, today), t)) {
    rows.put(SCORES, today, now.toISOString(), computeScores(ctx, now, now.toISOString()))
    computed.push(`${SCORES}:${today}`)
  }
  const midnight = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate())
  for (let k = 1; k < TREND_DAYS; k++) {
    const end = midnight - (k - 1) * DAY
    const day = dayOf(end - 1)
    if (rows.get(SCORES, day)) continue
    rows.put(SCORES, day, now.toISOString(), computeScores(ctx, new Date(end), now.toISOString()))
    computed.push(`${SCORES}:${day}`)
  }
  return { computed }
}
