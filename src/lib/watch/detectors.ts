/**
 * The monitor's detectors (PRD §6.2), run after every sweep over the store:
 * - PAIR_FAILED (critical): a pair with no ACTIVE member, neither being created nor failing over: a
 *   user without a working gateway and nothing to fail over to.
 * - PAIR_NO_PRIMARY (critical): a pair whose primary is not ACTIVE (gone, FAILED, QUARANTINED) while
 *   its ACTIVE standby was never promoted: a user without a gateway that a failover would restore.
 * - PROVISION_QUEUE_BACKLOG: more than `provisionBacklog` (20) replacement standbys owed.
 * - PROVIDER_DEGRADED, two ways: live (the mean current health score of a provider, or of one region
 *   of it, below `providerDegradedBelow` (75) with at least three bad instances: the provider's status
 *   page is checked and an incident declared (rule 4); recovery resolves it), and over days (the
 *   Ledger's provider health score below 75). When the check learns nothing (no page, unreachable,
 *   unreadable) no incident is declared: PROVIDER_STATUS_UNKNOWN asks a human to look, once per episode.
 * - COST_ANOMALY: spend more than 15 % over projection (the Ledger's detectCostAnomalies).
 * - The reprovision queue: items whose provider and region are healthy again become `ready` and Forge
 *   is told.
 * Every condition is an episode (watch_episodes): announced once when it starts, again only after it
 * ended and came back.
 */

import type { WatchSettings } from '../config/watch-settings.js'
import type { Context } from '../context.js'
import { emitEvent } from '../events/emit.js'
import { announcePairFailed } from '../events/pair-failed.js'
import type { ProviderStatus, ProviderStatusSource } from '../providers/status-page.js'
import { statusKnown, statusOperational } from '../providers/status-page.js'
import { Episodes } from '../store/episodes.js'
import { FleetStats, type PairGap } from '../store/fleet-stats.js'
import { Incidents } from '../store/incidents.js'
import { Instances } from '../store/instances.js'
import { ReprovisionQueue } from '../store/reprovision-queue.js'
import type { Store } from '../store/store.js'
import { declareProviderIncident, resolveIncident } from './incidents.js'
import type { CostSource, ProviderScoreSource } from './ports.js'

/** A provider or region needs this many bad instances before its score can declare it degraded. */
export const MIN_BAD_FOR_PROVIDER = 3

export interface PairReport {
  /** Pairs unserved (no ACTIVE member): PAIR_FAILED. */
  failed: number
  /** Pairs at-risk (no ACTIVE primary, an ACTIVE standby never promoted): PAIR_NO_PRIMARY. */
  atRisk: number
  announced: number
}

/** Announces a pair left without a primary while its ACTIVE standby waits, once per episode. */
function announceNoPrimary(store: Store, settings: WatchSettings, gap: PairGap, now: string) {
  const { startedAt } = store.repo(Episodes).open(`pair-no-primary:${gap.pairId}`, now)
  const primary = gap.members.find((m) => m.role === 'primary') ?? null
  const standby = gap.members.find((m) => m.role === 'standby' && m.state === 'ACTIVE')!
  const where = primary ?? standby
  return emitEvent(
    store,
    settings,
    {
      type: 'PAIR_NO_PRIMARY',
      severity: 'critical',
      instanceId: primary?.id ?? null,
      pairId: gap.pairId,
      provider: where.provider,
      region: where.region,
      summary: `pair ${gap.pairId} (user ${gap.userId}) has no ACTIVE primary (${primary ? `${primary.id} is ${primary.state}` : 'none'}) while standby ${standby.id} (${standby.provider}/${standby.region}) is ACTIVE and was never promoted: the user has no gateway`,
      suggest: [`clawops failover ${gap.pairId} --json`, `clawops pair status ${gap.pairId} --json`],
      data: {
        userId: gap.userId,
        condition: gap.condition,
        standbyId: standby.id,
        primaryId: primary?.id ?? null,
      },
      dedupeKey: `PAIR_NO_PRIMARY:${gap.pairId}@${startedAt}`,
    },
    now,
  )
}

/**
 * The pairs whose user lost the gateway, by condition (src/lib/domain/pair.ts): unserved pairs raise
 * PAIR_FAILED, at-risk pairs PAIR_NO_PRIMARY, each once per episode; an episode ends when its pair is
 * in another condition (served again, or failing over).
 */
export function detectPairFailures(ctx: Context, settings: WatchSettings): PairReport {
  const store = ctx.store()
  const now = ctx.now()
  const gaps = store.repo(FleetStats).pairsWithoutActivePrimary()
  const unserved = gaps.filter((g) => g.condition === 'unserved')
  const atRisk = gaps.filter((g) => g.condition === 'at-risk')
  const episodes = store.repo(Episodes)
  let announced = 0
  store.tx(() => {
    for (const g of unserved) {
      const primary = g.members.find((m) => m.role === 'primary') ?? g.members[0]!
      const r = announcePairFailed(
        store,
        settings,
        {
          pairId: g.pairId,
          userId: g.userId,
          primaryId: primary.id,
          provider: primary.provider,
          region: primary.region,
          summary: `pair ${g.pairId} (user ${g.userId}) has no ACTIVE member: ${g.members
            .map((m) => `${m.role} ${m.id} ${m.state} (${m.provider}/${m.region})`)
            .join(', ')}`,
        },
        now,
      )
      if (r.eventId) announced++
    }
    for (const g of atRisk) if (announceNoPrimary(store, settings, g, now).eventId) announced++
    const still = (conds: PairGap[]) => new Set(conds.map((g) => g.pairId))
    for (const [prefix, open] of [
      ['pair-failed:', still(unserved)],
      ['pair-no-primary:', still(atRisk)],
    ] as const) {
      for (const e of episodes.openWithPrefix(prefix))
        if (!open.has(e.key.slice(prefix.length))) episodes.close(e.key)
    }
  })
  return { failed: unserved.length, atRisk: atRisk.length, announced }
}

export function detectBacklog(ctx: Context, settings: WatchSettings): { depth: number; announced: boolean } {
  const store = ctx.store()
  const depth = store.repo(ReprovisionQueue).depth()
  const episodes = store.repo(Episodes)
  if (depth <= settings.thresholds.provisionBacklog) {
    episodes.close('provision-backlog')
    return { depth, announced: false }
  }
  const now = ctx.now()
  const r = store.tx(() => {
    const { startedAt } = episodes.open('provision-backlog', now)
    return emitEvent(
      store,
      settings,
      {
        type: 'PROVISION_QUEUE_BACKLOG',
        severity: 'warning',
        summary: `${depth} replacement standbys are queued (more than ${settings.thresholds.provisionBacklog})`,
        suggest: ['clawops reprovision list --json'],
        data: { depth, threshold: settings.thresholds.provisionBacklog },
        dedupeKey: `PROVISION_QUEUE_BACKLOG@${startedAt}`,
      },
      now,
    )
  })
  return { depth, announced: r.eventId !== null }
}

export interface ScopeScore {
  provider: string
  region: string | null
  instances: number
  bad: number
  score: number
}

/** Live scores: the mean current health score of the monitored instances, per provider and per region. */
export function liveScores(
  store: Store,
  settings: WatchSettings,
): { providers: ScopeScore[]; regions: ScopeScore[] } {
  const below = settings.thresholds.degradedBelow
  const rows = store.repo(Instances).healthByRegion(below)
  const regions = rows.map((r) => ({ ...r, score: Math.round(r.score) }))
  const providers = new Map<string, ScopeScore>()
  for (const r of rows) {
    const p = providers.get(r.provider) ?? {
      provider: r.provider,
      region: null,
      instances: 0,
      bad: 0,
      score: 0,
    }
    p.score = (p.score * p.instances + r.score * r.instances) / (p.instances + r.instances)
    p.instances += r.instances
    p.bad += r.bad
    providers.set(r.provider, p)
  }
  return { providers: [...providers.values()].map((p) => ({ ...p, score: Math.round(p.score) })), regions }
}

export interface ProviderReport {
  degraded: ScopeScore[]
  opened: string[]
  resolved: string[]
  /** Degraded scopes whose provider's status is unknown: no incident, a human was asked. */
  statusUnknown: string[]
  statusChecks: ProviderStatus[]
}

export async function detectProviders(
  ctx: Context,
  settings: WatchSettings,
  status: ProviderStatusSource,
): Promise<ProviderReport> {
  const store = ctx.store()
  const episodes = store.repo(Episodes)
  const incidents = store.repo(Incidents)
  const limit = settings.thresholds.providerDegradedBelow
  const { providers, regions } = liveScores(store, settings)
  const isBad = (s: ScopeScore) => s.score < limit && s.bad >= MIN_BAD_FOR_PROVIDER
  const badRegions = regions.filter(isBad)
  // Provider-wide when the provider's own score is low and the trouble spans regions; else per region.
  const badProviders = providers.filter(
    (p) =>
      isBad(p) &&
      new Set(badRegions.filter((r) => r.provider === p.provider).map((r) => r.region)).size !== 1,
  )
  const scopes: ScopeScore[] = [
    ...badProviders,
    ...badRegions.filter((r) => !badProviders.some((p) => p.provider === r.provider)),
  ]
  const report: ProviderReport = {
    degraded: scopes,
    opened: [],
    resolved: [],
    statusUnknown: [],
    statusChecks: [],
  }
  const checked = new Map<string, ProviderStatus>()
  const check = async (provider: string) => {
    let s = checked.get(provider)
    if (!s) {
      s = await status.fetch(provider)
      checked.set(provider, s)
      report.statusChecks.push(s)
    }
    return s
  }
  for (const s of scopes) {
    const key = `provider-degraded:${s.provider}${s.region ? `/${s.region}` : ''}`
    const st = await check(s.provider)
    const now = ctx.clock()
    store.tx(() => {
      const { startedAt } = episodes.open(key, now.toISOString(), s)
      const scope = s.region ? `${s.provider}/${s.region}` : s.provider
      const reason = `live health score ${s.score} (< ${limit}), ${s.bad} of ${s.instances} instances below ${settings.thresholds.degradedBelow}`
      let incident = incidents.openFor(s.provider, s.region)
      if (!incident && statusKnown(st)) {
        const declared = declareProviderIncident(store, settings, {
          provider: s.provider,
          region: s.region,
          status: st,
          reason,
          data: { ...s },
          ...ctx.who,
          now,
        })
        incident = declared.incident
        if (declared.opened) report.opened.push(incident.id)
      }
      if (!incident) {
        report.statusUnknown.push(scope)
        askAboutUnknownStatus(store, settings, {
          scope: s,
          status: st,
          reason,
          startedAt,
          now: now.toISOString(),
        })
      }
      emitEvent(
        store,
        settings,
        {
          type: 'PROVIDER_DEGRADED',
          severity: 'high',
          provider: s.provider,
          region: s.region,
          summary: `${scope} health score ${s.score} (< ${limit}): ${s.bad} of ${s.instances} instances bad; ${incident ? `incident ${incident.id}` : 'no incident declared: the provider status is unknown'}`,
          suggest: [
            `clawops incident exposure --provider ${s.provider}${s.region ? ` --region ${s.region}` : ''} --json`,
            `clawops silence add --provider ${s.provider}${s.region ? ` --region ${s.region}` : ''} --event INSTANCE_DEGRADED --for 30m --reason "${scope} incident" --json`,
          ],
          data: {
            basis: 'live',
            ...s,
            incidentId: incident?.id ?? null,
            statusIndicator: st.indicator,
            statusOutcome: statusKnown(st) ? 'known' : 'unknown',
          },
          dedupeKey: `PROVIDER_DEGRADED:${scope}@${startedAt}`,
        },
        now.toISOString(),
      )
    })
  }
  // Episodes and incidents whose scope is healthy again end, once the provider's page agrees.
  const stillBad = new Set(
    scopes.map((s) => `provider-degraded:${s.provider}${s.region ? `/${s.region}` : ''}`),
  )
  for (const e of episodes.openWithPrefix('provider-degraded:')) {
    if (stillBad.has(e.key)) continue
    const [provider, region] = e.key.slice('provider-degraded:'.length).split('/') as [
      string,
      string | undefined,
    ]
    const st = await check(provider)
    const inc = incidents.openFor(provider, region ?? null)
    if (statusOperational(st, region) === false) continue
    store.tx(() => {
      episodes.close(e.key)
      if (inc) {
        resolveIncident(store, settings, inc.id, {
          status: st,
          reason: 'live health score recovered and the provider reports no ongoing incident for the scope',
          ...ctx.who,
          now: ctx.clock(),
        })
        report.resolved.push(inc.id)
      }
    })
  }
  return report
}

/**
 * Rule 4 with no answer from the provider: the scope looks down, its status page said nothing, so
 * watch declares nothing and asks a human (Commander, who brings in the operator) to look, once per
 * episode. A later check that learns the status declares the incident then.
 */
function askAboutUnknownStatus(
  store: Store,
  settings: WatchSettings,
  o: { scope: ScopeScore; status: ProviderStatus; reason: string; startedAt: string; now: string },
): void {
  const { scope: s, status: st } = o
  const name = s.region ? `${s.provider}/${s.region}` : s.provider
  const page = settings.statusPageDefaults[s.provider]?.page ?? st.url
  emitEvent(
    store,
    settings,
    {
      type: 'PROVIDER_STATUS_UNKNOWN',
      severity: 'high',
      provider: s.provider,
      region: s.region,
      summary: `${name} looks degraded (${o.reason}) but its status is unknown: ${st.error ?? `indicator ${st.indicator}`}. No incident declared (safety rule 4): a human checks ${page ?? `the ${s.provider} status page`} and decides.`,
      suggest: [
        `clawops incident exposure --provider ${s.provider}${s.region ? ` --region ${s.region}` : ''} --json`,
      ],
      data: {
        ...s,
        statusPage: { url: st.url, page, checkedAt: st.checkedAt, error: st.error ?? null },
      },
      dedupeKey: `PROVIDER_STATUS_UNKNOWN:${name}@${o.startedAt}`,
    },
    o.now,
  )
}

export async function detectCost(
  ctx: Context,
  settings: WatchSettings,
  cost: CostSource | null,
): Promise<{ checked: boolean; anomalies: number; announced: number }> {
  if (!cost) return { checked: false, anomalies: 0, announced: 0 }
  const found = await cost.anomalies(ctx.clock(), settings.thresholds.costAnomalyPct)
  let announced = 0
  for (const a of found) {
    const r = emitEvent(
      ctx.store(),
      settings,
      {
        type: 'COST_ANOMALY',
        severity: a.severity,
        summary: `spend this ${a.period} is ${a.overPct}% over projection ($${(a.actualUsdCents / 100).toFixed(2)} vs $${(a.projectedUsdCents / 100).toFixed(2)}; threshold ${a.thresholdPct}%)`,
        suggest: [`clawops cost report --period ${a.period} --json`, 'clawops cost waste --json'],
        data: {
          ...a.detail,
          period: a.period,
          periodStart: a.periodStart,
          actualUsdCents: a.actualUsdCents,
          projectedUsdCents: a.projectedUsdCents,
          overPct: a.overPct,
          thresholdPct: a.thresholdPct,
        },
        dedupeKey: `COST_ANOMALY:${a.period}@${a.periodStart}`,
      },
      ctx.now(),
    )
    if (r.eventId) announced++
  }
  return { checked: true, anomalies: found.length, announced }
}

/**
 * PROVIDER_DEGRADED from the provider health score over days (the Ledger's; PRD: below 75 → Commander),
 * once per episode; the live, regional kind is `detectProviders`.
 */
export async function detectProviderScores(
  ctx: Context,
  settings: WatchSettings,
  scores: ProviderScoreSource | null,
): Promise<{ checked: boolean; degraded: string[] }> {
  if (!scores) return { checked: false, degraded: [] }
  const store = ctx.store()
  const episodes = store.repo(Episodes)
  const limit = settings.thresholds.providerDegradedBelow
  const degraded: string[] = []
  const now = ctx.now()
  for (const s of await scores.scores(ctx.clock())) {
    const key = `provider-score:${s.provider}`
    if (s.score === null || s.score >= limit) {
      episodes.close(key)
      continue
    }
    degraded.push(s.provider)
    store.tx(() => {
      const { startedAt } = episodes.open(key, now)
      emitEvent(
        store,
        settings,
        {
          type: 'PROVIDER_DEGRADED',
          severity: 'warning',
          provider: s.provider,
          summary: `${s.provider} provider health score ${s.score}/100 (below ${limit}) over the last days`,
          suggest: ['clawops provider health --json'],
          data: { basis: 'provider-health', score: s.score, threshold: limit, ...s.detail },
          dedupeKey: `PROVIDER_DEGRADED:score:${s.provider}@${startedAt}`,
        },
        now,
      )
    })
  }
  return { checked: true, degraded }
}

/** Waiting replacements whose provider and region are healthy again become ready; Forge is told. */
export async function fireReprovisionQueue(
  ctx: Context,
  settings: WatchSettings,
  status: ProviderStatusSource,
): Promise<{ ready: string[]; waiting: number }> {
  const store = ctx.store()
  const queue = store.repo(ReprovisionQueue)
  const waiting = queue.list({ states: ['waiting'] })
  const incidents = store.repo(Incidents)
  const { regions } = liveScores(store, settings)
  const ready: string[] = []
  const pages = new Map<string, ProviderStatus>()
  for (const item of waiting) {
    if (incidents.openFor(item.provider, item.region) || incidents.openFor(item.provider, null)) continue
    const live = regions.find((r) => r.provider === item.provider && r.region === item.region)
    if (live && live.score < settings.thresholds.providerDegradedBelow && live.bad >= MIN_BAD_FOR_PROVIDER)
      continue
    let page = pages.get(item.provider)
    if (!page) {
      page = await status.fetch(item.provider)
      pages.set(item.provider, page)
    }
    if (statusOperational(page, item.region) === false) continue
    const now = ctx.now()
    store.tx(() => {
      if (!queue.markReady(item.id, now)) return
      ready.push(item.id)
      emitEvent(
        store,
        settings,
        {
          type: 'REPROVISION_READY',
          severity: 'info',
          pairId: item.pairId,
          provider: item.provider,
          region: item.region,
          summary: `${item.provider}/${item.region} has recovered: provision a ${item.tier} standby for pair ${item.pairId} (replaces ${item.replacesInstanceId}; queue item ${item.id})`,
          suggest: [
            'clawops reprovision list --state ready --json',
            `clawops pair status ${item.pairId} --json`,
          ],
          data: { queueId: item.id, tier: item.tier, replaces: item.replacesInstanceId },
          dedupeKey: `REPROVISION_READY:${item.id}`,
        },
        now,
      )
    })
  }
  return { ready, waiting: waiting.length - ready.length }
}
