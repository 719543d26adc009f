/**
 * The Briefer's incident log: its memory across briefings (PRD Phase D, "Briefer maintains incident
 * log in memory/ for pattern recognition"). Every briefing brings the log up to date from the store
 * for the last 30 days (so a first briefing already knows last week's outage), idempotently per
 * source, and names the patterns among the entries of its own window: "the third Hetzner Nuremberg
 * incident in 30 days".
 *
 * What is logged: provider incidents; failovers and provisioning failures per provider, region and
 * day (a 90-pair outage is one entry, not 90); SLA breaches; critical heal escalations; cost anomalies.
 */
import { newId } from '../ids.js'
import { BrieferLog, type LogEntry, type LogKind } from '../store/briefer-log.js'
import { Failovers } from '../store/failovers.js'
import { FleetEvents } from '../store/fleet-events.js'
import { FleetStats } from '../store/fleet-stats.js'
import { Incidents } from '../store/incidents.js'
import { ProvisionHistory } from '../store/provision-history.js'
import type { Store } from '../store/store.js'
import { providerName, scopeOf } from './activity.js'
import { type SlaBreach, slaBreaches } from './sla.js'
import { ordinal, plural } from './words.js'

const DAY = 86_400_000
export const PATTERN_WINDOW_DAYS = 30

export interface Pattern {
  entryId: string
  kind: LogKind
  provider: string | null
  region: string | null
  /** This entry is the n-th of its kind and place within the pattern window. */
  ordinal: number
  windowDays: number
  text: string
}

type NewEntry = Omit<LogEntry, 'id' | 'loggedAt' | 'updatedAt' | 'briefingId'>

function group<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>()
  for (const i of items) m.set(key(i), [...(m.get(key(i)) ?? []), i])
  return m
}

/** The entries the store implies for [since, until). */
export function entriesFromStore(
  store: Store,
  o: { since: string; until: string; slaBreaches?: readonly SlaBreach[] },
): NewEntry[] {
  const out: NewEntry[] = []
  const inRange = (t: string) => t >= o.since && t < o.until

  for (const i of store.repo(Incidents).list({ since: o.since, limit: 100_000 })) {
    if (!inRange(i.openedAt)) continue
    const end = i.resolvedAt ?? null
    out.push({
      source: 'incident',
      sourceId: i.id,
      kind: 'incident',
      at: i.openedAt,
      provider: i.provider,
      region: i.region,
      severity: i.severity,
      title: i.title,
      detail: {
        incidentId: i.id,
        status: i.status,
        resolvedAt: end,
        minutes: end ? Math.round((Date.parse(end) - Date.parse(i.openedAt)) / 60_000) : null,
        rootCause: i.rootCause,
      },
    })
  }

  const failovers = store
    .repo(Failovers)
    .list({ since: o.since })
    .filter((f) => inRange(f.startedAt))
  for (const [key, fs] of group(failovers, (f) => `${f.provider}/${f.region}@${f.startedAt.slice(0, 10)}`)) {
    const first = fs[0]!
    const s = scopeOf(first.provider, first.region)
    const complete = fs.filter((f) => f.state === 'complete').length
    out.push({
      source: 'failovers',
      sourceId: key,
      kind: 'failovers',
      at: first.startedAt,
      provider: first.provider,
      region: first.region,
      severity: 'high',
      title: `${plural(fs.length, 'pair')} failed over out of ${providerName(s.provider)} ${s.place}`,
      detail: {
        count: fs.length,
        complete,
        failed: fs.filter((f) => f.state === 'failed').length,
        pairs: fs.slice(0, 20).map((f) => f.pairId),
      },
    })
  }

  const failedProvisions = store
    .repo(ProvisionHistory)
    .between(o.since, o.until)
    .filter((a) => a.outcome === 'failed')
  for (const [key, as] of group(
    failedProvisions,
    (a) => `${a.provider}/${a.region}@${a.startedAt.slice(0, 10)}`,
  )) {
    const first = as[0]!
    const s = scopeOf(first.provider, first.region)
    out.push({
      source: 'provision-failures',
      sourceId: key,
      kind: 'provision-failures',
      at: first.startedAt,
      provider: first.provider,
      region: first.region,
      severity: 'high',
      title: `${plural(as.length, 'provisioning failure')} at ${providerName(s.provider)} ${s.place}`,
      detail: {
        count: as.length,
        maxAttempts: Math.max(...as.map((a) => a.attempts)),
        errorCodes: [...new Set(as.map((a) => a.errorCode).filter((c) => c !== null))],
      },
    })
  }

  for (const e of store
    .repo(FleetEvents)
    .list({ since: o.since, until: o.until, types: ['HEAL_ESCALATED', 'COST_ANOMALY'] })) {
    if (!inRange(e.createdAt)) continue
    const payload = e.payload as { summary?: string; data?: Record<string, unknown> } | null
    if (e.type === 'HEAL_ESCALATED') {
      if (e.severity !== 'critical') continue
      out.push({
        source: 'event',
        sourceId: e.id,
        kind: 'heal-escalated',
        at: e.createdAt,
        provider: e.provider,
        region: e.region,
        severity: e.severity,
        title: payload?.summary ?? `heal of ${e.instanceId} escalated`,
        detail: { eventId: e.id, instanceId: e.instanceId, pairId: e.pairId },
      })
    } else {
      const d = payload?.data ?? {}
      const period = typeof d.period === 'string' ? d.period : 'period'
      const start = typeof d.periodStart === 'string' ? d.periodStart : e.createdAt
      out.push({
        source: 'cost',
        sourceId: `${period}@${start}`,
        kind: 'cost-anomaly',
        at: e.createdAt,
        provider: null,
        region: null,
        severity: e.severity,
        title: payload?.summary ?? `cost anomaly this ${period}`,
        detail: { eventId: e.id, period, periodStart: start, overPct: d.overPct ?? null },
      })
    }
  }

  for (const b of o.slaBreaches ?? []) {
    out.push({
      source: 'sla',
      sourceId: `${b.pairId}@${b.startedAt}`,
      kind: 'sla-breach',
      at: b.startedAt,
      provider: b.provider,
      region: b.region,
      severity: 'critical',
      title: `user ${b.userId ?? b.pairId} without a gateway for ${b.minutes} min${b.ongoing ? ' (ongoing)' : ''}`,
      detail: {
        pairId: b.pairId,
        userId: b.userId,
        minutes: b.minutes,
        ongoing: b.ongoing,
        endedAt: b.endedAt,
      },
    })
  }
  return out
}

/**
 * Brings the log up to date for the `PATTERN_WINDOW_DAYS` before `until` and returns the entries of
 * [since, until) with their patterns. Within that horizon the log mirrors the store: entries whose
 * source is gone (a lab fleet replaced, an incident deleted) are dropped; older entries are kept as
 * the Briefer's long memory. `briefingId` is kept on entries this call logs first.
 */
export function syncIncidentLog(
  store: Store,
  o: { since: string; until: string; briefingId: string | null; maxUnservedMinutes: number; now: string },
): { entries: LogEntry[]; patterns: Pattern[] } {
  const horizon = new Date(
    Math.min(Date.parse(o.since), Date.parse(o.until) - PATTERN_WINDOW_DAYS * DAY),
  ).toISOString()
  const sla = slaBreaches(store, {
    since: horizon,
    until: o.until,
    maxUnservedMinutes: o.maxUnservedMinutes,
    unservedPairs: store.repo(FleetStats).pairsWithoutActivePrimary(),
  })
  const log = store.repo(BrieferLog)
  store.tx(() => {
    const fresh = entriesFromStore(store, { since: horizon, until: o.until, slaBreaches: sla.breaches })
    const keep = new Set(fresh.map((e) => `${e.source}\u0000${e.sourceId}`))
    for (const old of log.between(horizon, o.until)) {
      if (!keep.has(`${old.source}\u0000${old.sourceId}`)) log.remove(old.id)
    }
    for (const e of fresh) log.record({ ...e, id: newId('log'), briefingId: o.briefingId }, o.now)
  })
  const entries = log.between(o.since, o.until)
  return { entries, patterns: patternsFor(store, entries) }
}

/** The entry's place as people say it: "Hetzner Nuremberg", "Hostinger", or nothing. */
export function placeOf(e: { provider: string | null; region: string | null }): string | null {
  if (!e.provider) return null
  const s = scopeOf(e.provider, e.region)
  return e.region ? `${providerName(s.provider)} ${s.place}` : providerName(s.provider)
}

function patternText(kind: LogKind, n: number, place: string | null, days: number): string {
  const nth = ordinal(n)
  const at = place ? ` ${place}` : ''
  switch (kind) {
    case 'incident':
      return `the ${nth}${at} incident in ${days} days`
    case 'failovers':
      return `the ${nth} day with failovers out of${at} in ${days} days`
    case 'provision-failures':
      return `the ${nth} day with provisioning failures at${at} in ${days} days`
    case 'sla-breach':
      return `the ${nth} SLA breach${place ? ` at${at}` : ''} in ${days} days`
    case 'heal-escalated':
      return `the ${nth} escalated heal${place ? ` at${at}` : ''} in ${days} days`
    case 'cost-anomaly':
      return `the ${nth} cost anomaly in ${days} days`
  }
}

/** For each entry: how many of its kind happened in the same place within the window up to it. */
export function patternsFor(store: Store, entries: readonly LogEntry[]): Pattern[] {
  const log = store.repo(BrieferLog)
  const out: Pattern[] = []
  for (const e of entries) {
    const from = new Date(Date.parse(e.at) - PATTERN_WINDOW_DAYS * DAY).toISOString()
    const same = log.sameScope(e.kind, { provider: e.provider, region: e.region }, from, e.at)
    const n = same.findIndex((x) => x.id === e.id) + 1 || same.length
    if (n < 2) continue
    out.push({
      entryId: e.id,
      kind: e.kind,
      provider: e.provider,
      region: e.region,
      ordinal: n,
      windowDays: PATTERN_WINDOW_DAYS,
      text: patternText(e.kind, n, placeOf(e), PATTERN_WINDOW_DAYS),
    })
  }
  return out
}
