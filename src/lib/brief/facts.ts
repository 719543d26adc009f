/**
 * The structured facts of a briefing, gathered from the same functions the read commands call, so
 * every number in a briefing is the number `clawops fleet status`, `clawops cost report` and
 * `clawops cost waste` print (each section names its command in `source`). The rest comes from the
 * store: what happened in the window (activity.ts), SLA breaches (sla.ts), what is being done about
 * each instance in trouble (fleet-notes.ts) and, monthly, the capacity plan.
 */
import type { Context } from '../context.js'
import { userAffected } from '../domain/pair.js'
import { fleetStatus } from '../fleet/status.js'
import { capacityPlan } from '../ledger/capacity.js'
import { type CostGroup, costReport } from '../ledger/cost-report.js'
import { wasteReport } from '../ledger/waste.js'
import type { PairGap } from '../store/fleet-stats.js'
import { Instances } from '../store/instances.js'
import { type Activity, gatherActivity } from './activity.js'
import { FleetNotes, type QuarantinedNote, type TroubleNote } from './fleet-notes.js'
import { type BriefingKind, brieferSettings } from './settings.js'
import { type SlaFacts, slaBreaches } from './sla.js'
import { type BriefWindow, COST_PERIOD } from './window.js'

export interface FleetFacts {
  source: string
  /** Pairs whose primary is ACTIVE (fleet status: pairs minus pairsWithoutActivePrimary). */
  activePairs: number
  pairs: number
  instances: number
  /** Providers with live instances. */
  providers: string[]
  byState: Record<string, number>
  degraded: TroubleNote[]
  failed: TroubleNote[]
  quarantined: QuarantinedNote[]
  /** Pairs whose users lost their gateway: no ACTIVE primary (pairs still being created excluded). */
  pairsWithoutActivePrimary: number
  /** Of those, pairs with an ACTIVE standby that was never promoted: a failover would serve them. */
  atRisk: number
  monthlyCostUsdCents: number
}

export interface CostFacts {
  source: string
  period: {
    kind: 'week' | 'month'
    start: string
    end: string
    asOf: string
    complete: boolean
    elapsedPct: number
  }
  actualUsdCents: number
  /** The projection for the same stretch (to date; the whole period when complete). */
  projectedUsdCents: number
  deltaPct: number | null
  forecastUsdCents: number
  projectedPeriodUsdCents: number
  forecastDeltaPct: number | null
  projectionSource: 'budget' | 'baseline'
  anomaly: boolean
  anomalyThresholdPct: number
  byProvider: CostGroup[]
  topMovers: CostGroup[]
}

export interface WasteFacts {
  source: string
  idle: { count: number; monthlySavingUsdCents: number }
  oversized: { count: number; monthlySavingUsdCents: number }
  cheaperElsewhere: { count: number; monthlySavingUsdCents: number }
  totalMonthlySavingUsdCents: number
  /** The commands that would act on each category (they plan and wait for confirmation). */
  recommendations: string[]
}

export interface CapacityFacts {
  source: string
  usersNow: number
  months: number
  usersProjected: number
  netPairsPerMonth: number
  runRateMonthlyUsdCents: number
  budgetMonthlyUsdCents: number | null
  budgetExceededIn: string | null
  /** Providers (and regions) whose quota runs out within the plan, soonest first. */
  exhausting: { provider: string; region: string | null; exhaustsIn: string; headroom: number | null }[]
  notes: string[]
}

export interface BriefFacts {
  kind: BriefingKind
  asOf: string
  window: BriefWindow
  operatorName: string | null
  fleet: FleetFacts
  activity: Activity
  cost: CostFacts
  waste: WasteFacts
  sla: SlaFacts
  capacity: CapacityFacts | null
}

function fleetFacts(ctx: Context): { facts: FleetFacts; gaps: PairGap[] } {
  const s = fleetStatus(ctx)
  const notes = new FleetNotes(ctx)
  const quarantined = ctx
    .store()
    .repo(Instances)
    .list({ states: ['QUARANTINED'] })
    .map((i) => notes.quarantined({ id: i.id, pairId: i.pairId, provider: i.provider, region: i.region }))
  const facts: FleetFacts = {
    source: 'clawops fleet status --json',
    activePairs: s.pairs - s.pairsWithoutActivePrimary.length,
    pairs: s.pairs,
    instances: s.instances,
    providers: Object.keys(s.byProvider).sort(),
    byState: s.byState,
    degraded: s.degraded.map((i) => notes.degraded(i)),
    failed: s.failed.map((i) => notes.failed(i)),
    quarantined,
    pairsWithoutActivePrimary: s.pairsWithoutActivePrimary.filter((g) => userAffected(g.condition)).length,
    atRisk: s.pairsWithoutActivePrimary.filter((g) => g.condition === 'at-risk').length,
    monthlyCostUsdCents: s.monthlyCost.usdCents,
  }
  return { facts, gaps: s.pairsWithoutActivePrimary }
}

function costFacts(ctx: Context, kind: BriefingKind, at: Date): CostFacts {
  const { period, previous } = COST_PERIOD[kind]
  const r = costReport(ctx, { period, previous, at, by: 'provider' })
  const complete = r.period.complete
  return {
    source: `clawops cost report --period ${period}${previous ? ' --previous' : ''} --at ${r.period.asOf} --json`,
    period: {
      kind: r.period.kind,
      start: r.period.start,
      end: r.period.end,
      asOf: r.period.asOf,
      complete,
      elapsedPct: r.period.elapsedPct,
    },
    actualUsdCents: r.actualUsdCents,
    projectedUsdCents: r.projection.toDateUsdCents,
    deltaPct: r.deltaPct,
    forecastUsdCents: r.forecastUsdCents,
    projectedPeriodUsdCents: r.projection.periodUsdCents,
    forecastDeltaPct: r.forecastDeltaPct,
    projectionSource: r.projection.source,
    anomaly: r.anomaly.over,
    anomalyThresholdPct: r.anomaly.thresholdPct,
    byProvider: r.groups,
    topMovers: r.topMovers,
  }
}

function wasteFacts(ctx: Context, at: Date): WasteFacts {
  const w = wasteReport(ctx, { at, limit: 0 })
  const pick = (c: { count: number; monthlySavingUsdCents: number }) => ({
    count: c.count,
    monthlySavingUsdCents: c.monthlySavingUsdCents,
  })
  return {
    source: 'clawops cost waste --json',
    idle: pick(w.idle),
    oversized: pick(w.oversized),
    cheaperElsewhere: pick(w.cheaperElsewhere),
    totalMonthlySavingUsdCents: w.totalMonthlySavingUsdCents,
    recommendations: [
      ...w.idle.bulkCommands,
      ...w.oversized.bulkCommands,
      ...w.cheaperElsewhere.bulkCommands,
    ],
  }
}

function capacityFacts(ctx: Context, at: Date): CapacityFacts {
  const p = capacityPlan(ctx, { months: 3, at })
  const exhausting = [...p.providers, ...p.regions]
    .filter((r) => r.exhaustsIn !== null)
    .map((r) => ({
      provider: r.provider,
      region: r.region ?? null,
      exhaustsIn: r.exhaustsIn!,
      headroom: r.headroom,
    }))
    .sort((a, b) =>
      a.exhaustsIn === 'now' ? -1 : b.exhaustsIn === 'now' ? 1 : a.exhaustsIn.localeCompare(b.exhaustsIn),
    )
  return {
    source: 'clawops capacity plan --months 3 --json',
    usersNow: p.users.now,
    months: p.months,
    usersProjected: p.users.projected.at(-1)?.users ?? p.users.now,
    netPairsPerMonth: p.basis.netPairsPerMonth,
    runRateMonthlyUsdCents: p.cost.runRateMonthlyUsdCents,
    budgetMonthlyUsdCents: p.cost.budgetMonthlyUsdCents,
    budgetExceededIn: p.cost.budgetExceededIn,
    exhausting,
    notes: p.notes,
  }
}

export function gatherFacts(ctx: Context, window: BriefWindow): BriefFacts {
  const settings = brieferSettings(ctx.config())
  const at = new Date(window.until)
  const store = ctx.store()
  const fleet = fleetFacts(ctx)
  return {
    kind: window.kind,
    asOf: window.until,
    window,
    operatorName: settings.operatorName,
    fleet: fleet.facts,
    activity: gatherActivity(store, window.since, window.until),
    cost: costFacts(ctx, window.kind, at),
    waste: wasteFacts(ctx, at),
    sla: slaBreaches(store, {
      since: window.since,
      until: window.until,
      maxUnservedMinutes: settings.sla.maxUnservedMinutes,
      unservedPairs: fleet.gaps,
    }),
    capacity: window.kind === 'monthly' ? capacityFacts(ctx, at) : null,
  }
}
