/**
 * `clawops provider health`: a 0–100 score per provider over the last N days, with its inputs, and a
 * recommendation to take a provider out of the primary pools when it scores below the threshold (75),
 * priced per user per month. Applying it is a routing change (`clawops provider routing set`).
 *
 * The score is a weighted mean of four components, each 0–100, over the components that have data:
 * - reliability (30 %): provisions that succeeded at the first try count 1, after retries (another
 *   create call, or another server) 0.5, failed 0;
 * - speed (25 %): the median provisioning time, 100 at `fastProvisionMinutes` (4) or less, 0 at
 *   `slowProvisionMinutes` (12) or more, linear between;
 * - incidents (20 %): 100 minus 40 per critical, 25 per high, 10 per warning, 5 per other incident open
 *   in the window (not below 0);
 * - instance health (25 %): the mean health score of the provider's instances over the window.
 * Provisioning components need `minProvisions` (3) attempts; fewer are shown but not scored.
 */
import type { Context } from '../context.js'
import { findRegion } from '../domain/catalog.js'
import { priceAt } from '../domain/price-book.js'
import type { Provider, RegionGroup } from '../domain/provider.js'
import type { Tier } from '../domain/tier.js'
import { LedgerViews, type Member } from '../store/ledger-views.js'
import {
  PROVISION_PHASES,
  type ProvisionAttempt,
  ProvisionHistory,
  type ProvisionPhase,
} from '../store/provision-history.js'
import { type RoutingConfig, RoutingVersions } from '../store/routing.js'
import { leavePrimaryCommand } from './actions.js'
import { iso } from './calendar.js'
import { divRound, rateTable, toUsdCents } from './money.js'
import { type LedgerSettings, ledgerSettings } from './settings.js'

const DAY = 86_400_000
const ALL_PROVIDERS: readonly Provider[] = ['hetzner', 'vultr', 'digitalocean', 'contabo', 'hostinger']
const GROUPS: readonly RegionGroup[] = ['eu', 'us', 'ap']
const TIER_ORDER: readonly Tier[] = ['nano', 'standard', 'pro']

export const WEIGHTS = { reliability: 0.3, speed: 0.25, incidents: 0.2, health: 0.25 } as const
const SEVERITY_POINTS: Record<string, number> = { critical: 40, high: 25, warning: 10 }

export interface ProviderScore {
  provider: Provider
  /** null when there is no data at all in the window. */
  score: number | null
  status: 'ok' | 'degraded' | 'no-data'
  components: { reliability: number | null; speed: number | null; incidents: number; health: number | null }
  inputs: {
    provisions: {
      total: number
      ok: number
      failed: number
      retried: number
      p50Ms: number | null
      avgMs: number | null
      p90Ms: number | null
      /** The median of each phase (create, boot, join, first healthy) of the provisions that measured it. */
      phases: Record<ProvisionPhase, number | null>
      /** The same per region, slowest median first: where a delay happened. */
      regions: {
        region: string
        total: number
        failed: number
        p50Ms: number | null
        phases: Record<ProvisionPhase, number | null>
      }[]
    }
    incidents: { count: number; open: number; bySeverity: Record<string, number>; ids: string[] }
    health: { instances: number; avgScore: number | null; downSamplesPct: number | null }
  }
}

export interface RoutingRecommendation {
  provider: Provider
  action: 'leave-primary-pool'
  group: RegionGroup
  score: number
  /** The provider that becomes first choice for new primaries in the group. */
  replacement: Provider
  /** Whether the provider is the group's first choice now (only then do new users' costs change). */
  firstChoice: boolean
  /** Average change of a new user's monthly cost (primary only), weighted by the group's tier mix. */
  costImpactPerUserMonthlyUsdCents: number
  tierMix: Partial<Record<Tier, number>>
  reason: string
  command: string
}

export interface ProviderHealthReport {
  window: { days: number; since: string; until: string }
  thresholdScore: number
  weights: typeof WEIGHTS
  routingVersion: number
  providers: ProviderScore[]
  recommendations: RoutingRecommendation[]
}

const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x))

function phaseMedians(attempts: ProvisionAttempt[]): Record<ProvisionPhase, number | null> {
  const out = {} as Record<ProvisionPhase, number | null>
  for (const p of PROVISION_PHASES) {
    const xs = attempts
      .map((a) => a.phases?.[p])
      .filter((x): x is number => x !== undefined)
      .sort((a, b) => a - b)
    out[p] = quantile(xs, 0.5)
  }
  return out
}

function quantile(sorted: number[], q: number): number | null {
  if (sorted.length === 0) return null
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!
}

function scoreProvider(
  provider: Provider,
  attempts: ProvisionAttempt[],
  incidents: ReturnType<LedgerViews['incidentsBetween']>,
  health: { instances: number; samples: number; scoreSum: number; down: number },
  s: LedgerSettings['providerHealth'],
): ProviderScore {
  const ok = attempts.filter((a) => a.outcome === 'ok')
  // Retried: more than one create call, or more than one server (a replaced try).
  const wasRetried = (a: ProvisionAttempt) => a.attempts > 1 || (a.tries ?? 1) > 1
  const retried = attempts.filter(wasRetried)
  const durations = ok.map((a) => Date.parse(a.finishedAt) - Date.parse(a.startedAt)).sort((a, b) => a - b)
  const p50 = quantile(durations, 0.5)
  const enough = attempts.length >= s.minProvisions
  const reliability = enough
    ? (100 * ok.reduce((sum, a) => sum + (wasRetried(a) ? 0.5 : 1), 0)) / attempts.length
    : null
  const speed =
    enough && p50 !== null
      ? 100 * clamp((s.slowProvisionMs - p50) / (s.slowProvisionMs - s.fastProvisionMs), 0, 1)
      : null
  const bySeverity: Record<string, number> = {}
  for (const i of incidents) bySeverity[i.severity] = (bySeverity[i.severity] ?? 0) + 1
  const points = incidents.reduce((sum, i) => sum + (SEVERITY_POINTS[i.severity] ?? 5), 0)
  const incidentScore = Math.max(0, 100 - points)
  const samples = health.samples
  const healthScore = samples === 0 ? null : health.scoreSum / samples
  const down = health.down

  const parts: [number | null, number][] = [
    [reliability, WEIGHTS.reliability],
    [speed, WEIGHTS.speed],
    [incidentScore, WEIGHTS.incidents],
    [healthScore, WEIGHTS.health],
  ]
  const noData = attempts.length === 0 && samples === 0
  const scored = parts.filter((p): p is [number, number] => p[0] !== null)
  const score = noData
    ? null
    : Math.round(scored.reduce((sum, [v, w]) => sum + v * w, 0) / scored.reduce((sum, [, w]) => sum + w, 0))
  const r1 = (x: number | null) => (x === null ? null : Math.round(x * 10) / 10)
  return {
    provider,
    score,
    status: score === null ? 'no-data' : score < s.leavePrimaryBelow ? 'degraded' : 'ok',
    components: {
      reliability: r1(reliability),
      speed: r1(speed),
      incidents: incidentScore,
      health: r1(healthScore),
    },
    inputs: {
      provisions: {
        total: attempts.length,
        ok: ok.length,
        failed: attempts.length - ok.length,
        retried: retried.length,
        p50Ms: p50,
        avgMs:
          durations.length === 0 ? null : Math.round(durations.reduce((a, b) => a + b, 0) / durations.length),
        p90Ms: quantile(durations, 0.9),
        phases: phaseMedians(ok),
        regions: [...new Set(attempts.map((a) => a.region))]
          .map((region) => {
            const here = attempts.filter((a) => a.region === region)
            const good = here.filter((a) => a.outcome === 'ok')
            const d = good
              .map((a) => Date.parse(a.finishedAt) - Date.parse(a.startedAt))
              .sort((a, b) => a - b)
            return {
              region,
              total: here.length,
              failed: here.length - good.length,
              p50Ms: quantile(d, 0.5),
              phases: phaseMedians(good),
            }
          })
          .sort((a, b) => (b.p50Ms ?? -1) - (a.p50Ms ?? -1)),
      },
      incidents: {
        count: incidents.length,
        open: incidents.filter((i) => i.status !== 'resolved').length,
        bySeverity,
        ids: incidents.map((i) => i.id),
      },
      health: {
        instances: health.instances,
        avgScore: r1(healthScore),
        downSamplesPct: samples === 0 ? null : r1((100 * down) / samples),
      },
    },
  }
}

/** Tier mix of the provider's live primaries in the group (else of all the group's primaries). */
function tierMix(members: Member[], provider: Provider, group: RegionGroup): Partial<Record<Tier, number>> {
  const primaries = members.filter(
    (m) => m.role === 'primary' && findRegion(m.provider, m.region)?.group === group,
  )
  const own = primaries.filter((m) => m.provider === provider)
  const basis = own.length > 0 ? own : primaries
  const mix: Partial<Record<Tier, number>> = {}
  for (const m of basis) mix[m.tier] = (mix[m.tier] ?? 0) + 1
  if (basis.length === 0) mix.standard = 1
  return mix
}

function recommend(
  scores: ProviderScore[],
  routing: RoutingConfig,
  members: Member[],
  rates: { USD: number; EUR: number },
  at: string,
  threshold: number,
): RoutingRecommendation[] {
  const table = rateTable(rates)
  const byProvider = new Map(scores.map((s) => [s.provider, s]))
  const out: RoutingRecommendation[] = []
  for (const s of scores) {
    if (s.status !== 'degraded' || s.score === null) continue
    for (const group of GROUPS) {
      const g = routing[group]
      if (!g.primary.includes(s.provider) || g.excluded.includes(s.provider)) continue
      const rest = g.primary.filter((p) => p !== s.provider && !g.excluded.includes(p))
      if (rest.length === 0) continue
      const healthy = rest.find((p) => {
        const other = byProvider.get(p)
        return other?.status !== 'degraded'
      })
      const replacement = healthy ?? rest[0]!
      // Only a provider that new primaries actually go to now changes what new users cost.
      const wasFirst = g.primary.filter((p) => !g.excluded.includes(p))[0] === s.provider
      const mix = tierMix(members, s.provider, group)
      const n = Object.values(mix).reduce((a, b) => a + b, 0)
      let impact = 0
      if (wasFirst) {
        let weighted = 0
        for (const t of TIER_ORDER) {
          const k = mix[t] ?? 0
          if (k === 0) continue
          const a = priceAt(replacement, t, at)
          const b = priceAt(s.provider, t, at)
          weighted +=
            k *
            (toUsdCents(a.monthlyMinor, a.currency, table) - toUsdCents(b.monthlyMinor, b.currency, table))
        }
        impact = divRound(weighted, n)
      }
      const reason = `${s.provider} health ${s.score}/100 below ${threshold}`
      out.push({
        provider: s.provider,
        action: 'leave-primary-pool',
        group,
        score: s.score,
        replacement,
        firstChoice: wasFirst,
        costImpactPerUserMonthlyUsdCents: impact,
        tierMix: mix,
        reason,
        command: leavePrimaryCommand(group, s.provider, reason),
      })
    }
  }
  return out
}

export function providerHealth(ctx: Context, opts: { days?: number; at?: Date } = {}): ProviderHealthReport {
  const days = opts.days ?? 7
  const until = (opts.at ?? ctx.clock()).getTime()
  const since = until - days * DAY
  const settings = ledgerSettings(ctx.config()).providerHealth
  const store = ctx.store()
  const views = store.repo(LedgerViews)
  const attempts = store.repo(ProvisionHistory).between(iso(since), iso(until))
  const incidents = views.incidentsBetween(iso(since), iso(until))
  const providerOf = views.providerOf()
  const healthBy = new Map<Provider, { instances: number; samples: number; scoreSum: number; down: number }>()
  const counted = new Set<string>()
  for (const h of views.healthSince(iso(since))) {
    const p = providerOf.get(h.instanceId)
    if (!p) continue
    const agg = healthBy.get(p) ?? { instances: 0, samples: 0, scoreSum: 0, down: 0 }
    if (!counted.has(h.instanceId)) agg.instances++
    counted.add(h.instanceId)
    agg.samples += h.samples
    agg.scoreSum += h.scoreSum
    agg.down += h.down
    healthBy.set(p, agg)
  }
  const scores = ALL_PROVIDERS.map((p) =>
    scoreProvider(
      p,
      attempts.filter((a) => a.provider === p),
      incidents.filter((i) => i.provider === p),
      healthBy.get(p) ?? { instances: 0, samples: 0, scoreSum: 0, down: 0 },
      settings,
    ),
  )
  const routing = store.repo(RoutingVersions).current()
  return {
    window: { days, since: iso(since), until: iso(until) },
    thresholdScore: settings.leavePrimaryBelow,
    weights: WEIGHTS,
    routingVersion: routing.version,
    providers: scores,
    recommendations: recommend(
      scores,
      routing.config,
      views.liveMembers(),
      ctx.config().currency.rates,
      iso(until),
      settings.leavePrimaryBelow,
    ),
  }
}
