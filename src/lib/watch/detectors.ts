/**
 * The monitor's detectors (PRD §6.2), run after every sweep over the store:
 * - PAIR_FAILED (high priority): a pair with no ACTIVE member and no change in flight (provisioning,
 *   promotion, resize): a user without a working gateway.
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
import type { InstanceState } from '../domain/instance.js'
import { emitEvent } from '../events/emit.js'
import { announcePairFailed } from '../events/pair-failed.js'
import type { ProviderStatus, ProviderStatusSource } from '../providers/status-page.js'
import { statusKnown, statusOperational } from '../providers/status-page.js'
import { Episodes } from '../store/episodes.js'
import { Incidents } from '../store/incidents.js'
import { type FailedPairMember, Instances } from '../store/instances.js'
import { ReprovisionQueue } from '../store/reprovision-queue.js'
import type { Store } from '../store/store.js'
import { declareProviderIncident, resolveIncident } from './incidents.js'
import type { CostSource, ProviderScoreSource } from './ports.js'

/** A provider or region needs this many bad instances before its score can declare it degraded. */
export const MIN_BAD_FOR_PROVIDER = 3

/** States in which a pair is being changed on purpose; it is not "failed" while they last. */
const IN_FLIGHT: readonly InstanceState[] = ['CREATING', 'BOOTSTRAPPING', 'STANDBY_PROMOTING', 'RESIZING']

export function detectPairFailures(
  ctx: Context,
  settings: WatchSettings,
): { failed: number; announced: number } {
  const store = ctx.store()
  const now = ctx.now()
  const rows = store.repo(Instances).failedPairMembers(IN_FLIGHT)
  const byPair = new Map<string, FailedPairMember[]>()
  for (const r of rows) byPair.set(r.pairId, [...(byPair.get(r.pairId) ?? []), r])
  const episodes = store.repo(Episodes)
  let announced = 0
  store.tx(() => {
    for (const [pairId, members] of byPair) {
      const primary = members.find((m) => m.role === 'primary') ?? members[0]!
      const r = announcePairFailed(
        store,
        settings,
        {
          pairId,
          userId: primary.userId,
          primaryId: primary.id,
          provider: primary.provider,
          region: primary.region,
          summary: `pair ${pairId} (user ${primary.userId}) has no ACTIVE member: ${members
            .map((m) => `${m.role} ${m.id} ${m.state} (${m.provider}/${m.region})`)
            .join(', ')}`,
        },
        now,
      )
      if (r.eventId) announced++
    }
    // Pairs that have an ACTIVE member again end their episode.
    for (const e of episodes.openWithPrefix('pair-failed:')) {
      if (!byPair.has(e.key.slice('pair-failed:'.length))) episodes.close(e.key)
    }
  })
  return { failed: byPair.size, announced }
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
          actor: ctx.actor,
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
          actor: ctx.actor,
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
