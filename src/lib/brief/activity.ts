/**
 * What happened in a briefing's window, from the store: heals and escalations (the events watch and
 * the heal tree announced), failovers (the failovers table), provider incidents, provisioning attempts,
 * cost anomalies, and the journal's finished operations by kind (the changes made).
 */
import { findRegion } from '../domain/catalog.js'
import type { Provider } from '../domain/provider.js'
import { Failovers } from '../store/failovers.js'
import { FleetEvents } from '../store/fleet-events.js'
import { Incidents } from '../store/incidents.js'
import { Operations } from '../store/operations.js'
import { ProvisionHistory } from '../store/provision-history.js'
import { ReprovisionQueue } from '../store/reprovision-queue.js'
import type { Store } from '../store/store.js'

const MINUTE = 60_000
const DAY = 24 * 60 * MINUTE

export interface Scope {
  provider: string
  region: string
  /** The region's city from the catalogue ("Nuremberg"), or the region code. */
  place: string
}

export interface IncidentFact extends Scope {
  id: string
  title: string
  status: string
  severity: string
  openedAt: string
  resolvedAt: string | null
  /** Open to resolved, or to the briefing's time while open. */
  minutes: number
}

export interface Activity {
  heals: { healed: number; escalated: number; critical: number }
  failovers: {
    total: number
    complete: number
    failed: number
    inProgress: number
    byScope: (Scope & { count: number })[]
  }
  /** The reprovision queue now: replacement standbys owed. */
  reprovision: { waiting: number; ready: number; claimed: number }
  incidents: IncidentFact[]
  provisioning: {
    attempts: number
    ok: number
    failed: number
    /** Succeeded, but only after retries. */
    retried: number
    failures: (Scope & { count: number; attempts: number; errorCodes: string[] })[]
  }
  costAnomalies: { eventId: string; period: string | null; overPct: number | null; at: string }[]
  /** Operations of the journal that finished in the window, by kind and outcome. */
  operations: Record<string, { done: number; failed: number; partial: number }>
}

const PROVIDER_NAMES: Record<string, string> = {
  hetzner: 'Hetzner',
  vultr: 'Vultr',
  digitalocean: 'DigitalOcean',
  contabo: 'Contabo',
  hostinger: 'Hostinger',
}

/** "Hetzner", "DigitalOcean": how people write the provider's name. */
export function providerName(provider: string): string {
  return PROVIDER_NAMES[provider] ?? provider
}

/** A provider and region with the region's city; a provider-wide scope has region ''. */
export function scopeOf(provider: string, region: string | null): Scope {
  if (!region) return { provider, region: '', place: providerName(provider) }
  return { provider, region, place: findRegion(provider as Provider, region)?.city ?? region }
}

export function gatherActivity(store: Store, since: string, until: string): Activity {
  const events = store.repo(FleetEvents)
  const inWindow = (t: string) => t >= since && t < until

  const heals = { healed: 0, escalated: 0, critical: 0 }
  const costAnomalies: Activity['costAnomalies'] = []
  for (const e of events.list({ since, until, types: ['HEAL_COMPLETE', 'HEAL_ESCALATED', 'COST_ANOMALY'] })) {
    if (!inWindow(e.createdAt)) continue
    if (e.type === 'HEAL_COMPLETE') heals.healed++
    else if (e.type === 'HEAL_ESCALATED') {
      heals.escalated++
      if (e.severity === 'critical') heals.critical++
    } else {
      const d = (e.payload as { data?: { period?: string; overPct?: number } } | null)?.data
      costAnomalies.push({
        eventId: e.id,
        period: d?.period ?? null,
        overPct: d?.overPct ?? null,
        at: e.createdAt,
      })
    }
  }

  const fo = store
    .repo(Failovers)
    .list({ since })
    .filter((f) => inWindow(f.startedAt))
  const byScope = new Map<string, Scope & { count: number }>()
  for (const f of fo.filter((x) => x.state === 'complete')) {
    const k = `${f.provider}/${f.region}`
    const cur = byScope.get(k) ?? { ...scopeOf(f.provider, f.region), count: 0 }
    cur.count++
    byScope.set(k, cur)
  }
  const queue = store.repo(ReprovisionQueue).list({ states: ['waiting', 'ready', 'claimed'] })

  const untilMs = Date.parse(until)
  const incidents: IncidentFact[] = store
    .repo(Incidents)
    .list({ since: new Date(Date.parse(since) - 30 * DAY).toISOString(), limit: 10_000 })
    .filter((i) => i.openedAt < until && (i.resolvedAt === null || i.resolvedAt >= since))
    .map((i) => ({
      ...scopeOf(i.provider ?? 'unknown', i.region),
      id: i.id,
      title: i.title,
      status: i.status,
      severity: i.severity,
      openedAt: i.openedAt,
      resolvedAt: i.resolvedAt,
      minutes: Math.round(
        ((i.resolvedAt ? Date.parse(i.resolvedAt) : untilMs) - Date.parse(i.openedAt)) / MINUTE,
      ),
    }))
    .sort((a, b) => a.openedAt.localeCompare(b.openedAt) || a.id.localeCompare(b.id))

  const attempts = store.repo(ProvisionHistory).between(since, until)
  const failures = new Map<string, Scope & { count: number; attempts: number; errorCodes: string[] }>()
  for (const a of attempts.filter((x) => x.outcome === 'failed')) {
    const k = `${a.provider}/${a.region}`
    const cur = failures.get(k) ?? { ...scopeOf(a.provider, a.region), count: 0, attempts: 0, errorCodes: [] }
    cur.count++
    cur.attempts = Math.max(cur.attempts, a.attempts)
    if (a.errorCode && !cur.errorCodes.includes(a.errorCode)) cur.errorCodes.push(a.errorCode)
    failures.set(k, cur)
  }

  const operations: Activity['operations'] = {}
  for (const r of store.repo(Operations).finishedBetween(since, until)) {
    operations[r.kind] ??= { done: 0, failed: 0, partial: 0 }
    operations[r.kind]![r.state] = r.n
  }

  return {
    heals,
    failovers: {
      total: fo.length,
      complete: fo.filter((f) => f.state === 'complete').length,
      failed: fo.filter((f) => f.state === 'failed').length,
      inProgress: fo.filter((f) => f.state === 'promoting' || f.state === 'promoted').length,
      byScope: [...byScope.values()].sort(
        (a, b) => b.count - a.count || a.provider.localeCompare(b.provider),
      ),
    },
    reprovision: {
      waiting: queue.filter((q) => q.state === 'waiting').length,
      ready: queue.filter((q) => q.state === 'ready').length,
      claimed: queue.filter((q) => q.state === 'claimed').length,
    },
    incidents,
    provisioning: {
      attempts: attempts.length,
      ok: attempts.filter((a) => a.outcome === 'ok').length,
      failed: attempts.filter((a) => a.outcome === 'failed').length,
      retried: attempts.filter((a) => a.outcome === 'ok' && a.attempts > 1).length,
      failures: [...failures.values()].sort(
        (a, b) => b.count - a.count || a.provider.localeCompare(b.provider),
      ),
    },
    costAnomalies,
    operations,
  }
}
