/**
 * Declaring and resolving provider incidents. Safety rule 4 is enforced here: an incident is only
 * declared with a status-page check of that provider made within the last five minutes that learned
 * the provider's status (the page read, when, and what it said go into the timeline). A check that
 * learned nothing (no page, unreachable, unreadable) is not a check: the status is unknown and no
 * incident is declared (watch asks a human instead, see detectors.ts). Watch declares them; agents
 * read them through `incident exposure` and `incident report`.
 */

import type { WatchSettings } from '../config/watch-settings.js'
import { emitEvent } from '../events/emit.js'
import { newId } from '../ids.js'
import type { ProviderStatus } from '../providers/status-page.js'
import { statusKnown, statusOperational } from '../providers/status-page.js'
import { AuditTrail } from '../store/audit-trail.js'
import { type Incident, type IncidentAction, Incidents, type TimelineEntry } from '../store/incidents.js'
import type { Store } from '../store/store.js'

/** How fresh the status-page check behind a declaration must be. */
export const STATUS_CHECK_MAX_AGE_MS = 5 * 60_000

export interface Declaration {
  provider: string
  region: string | null
  /** The provider's status page as checked just now (rule 4). */
  status: ProviderStatus
  reason: string
  data?: Record<string, unknown>
  actor: string
  identity: string
  now: Date
}

export function statusLine(s: ProviderStatus, region: string | null): string {
  if (!statusKnown(s))
    return `${s.provider} status unknown: ${s.error ?? `the page did not say (indicator ${s.indicator})`}`
  const incidents = s.incidents.filter((i) => !region || i.regions.length === 0 || i.regions.includes(region))
  const own = incidents.length
    ? `; provider says: ${incidents.map((i) => `"${i.name}" (${i.status})`).join(', ')}`
    : ''
  const comp = region && s.regions[region] ? `, ${region} ${s.regions[region]}` : ''
  return `${s.provider} status page (${s.url ?? 'no url'}): ${s.description || s.indicator}${comp}${own}`
}

/** What a timeline keeps of a status check: which page was read, when, and what it said. */
function statusEntry(s: ProviderStatus, region: string | null): TimelineEntry {
  return {
    at: s.checkedAt,
    kind: 'provider-status',
    text: statusLine(s, region),
    data: {
      url: s.url,
      checkedAt: s.checkedAt,
      outcome: statusKnown(s) ? 'known' : 'unknown',
      indicator: s.indicator,
      reachable: s.reachable,
      ...(s.error ? { error: s.error } : {}),
      incidents: s.incidents,
    },
  }
}

/** Opens (or returns the already open) incident of the scope; refuses without a fresh status check. */
export function declareProviderIncident(
  store: Store,
  settings: WatchSettings,
  d: Declaration,
): { incident: Incident; opened: boolean } {
  const age = d.now.getTime() - Date.parse(d.status.checkedAt)
  // A minute of skew either way is tolerated; older than five minutes is not a check of now.
  if (d.status.provider !== d.provider || !(age >= -60_000 && age <= STATUS_CHECK_MAX_AGE_MS)) {
    throw new Error(
      `rule 4: the status page of ${d.provider} must be checked within ${STATUS_CHECK_MAX_AGE_MS / 60_000} min before declaring an incident`,
    )
  }
  if (!statusKnown(d.status)) {
    throw new Error(
      `rule 4: the status of ${d.provider} is unknown (${d.status.error ?? d.status.indicator}); no incident is declared without a human`,
    )
  }
  const incidents = store.repo(Incidents)
  const now = d.now.toISOString()
  return store.tx(() => {
    const open = incidents.openFor(d.provider, d.region)
    if (open) return { incident: open, opened: false }
    const confirmed = statusOperational(d.status, d.region) === false
    const scope = d.region ? `${d.provider}/${d.region}` : d.provider
    const incident: Incident = {
      id: newId('inc'),
      provider: d.provider,
      region: d.region,
      kind: d.region ? 'region-outage' : 'provider-outage',
      status: 'open',
      severity: confirmed ? 'high' : 'warning',
      title: `${scope}: ${d.reason}${confirmed ? ' (confirmed by the provider)' : ''}`,
      openedAt: now,
      resolvedAt: null,
      rootCause: null,
      timeline: [
        { at: now, kind: 'detected', text: d.reason, data: d.data ?? {} },
        statusEntry(d.status, d.region),
      ],
      actions: [],
      actionItems: [],
    }
    incidents.insert(incident)
    store.repo(AuditTrail).append({
      actor: d.actor,
      identity: d.identity,
      action: 'incident.open',
      target: incident.id,
      outcome: 'ok',
      details: {
        provider: d.provider,
        region: d.region,
        confirmedByProvider: confirmed,
        statusPage: { url: d.status.url, checkedAt: d.status.checkedAt },
      },
    })
    emitEvent(
      store,
      settings,
      {
        type: 'INCIDENT_OPENED',
        severity: confirmed ? 'high' : 'warning',
        provider: d.provider,
        region: d.region,
        summary: `${incident.title}. ${statusLine(d.status, d.region)}`,
        suggest: [
          `clawops incident exposure --provider ${d.provider}${d.region ? ` --region ${d.region}` : ''} --json`,
          `clawops incident report ${incident.id} --json`,
        ],
        data: { incidentId: incident.id, ...d.data },
        dedupeKey: `INCIDENT_OPENED:${incident.id}`,
      },
      now,
    )
    return { incident, opened: true }
  })
}

export function addTimeline(store: Store, id: string, e: TimelineEntry): void {
  store.repo(Incidents).update(id, (i) => ({ timeline: [...i.timeline, e] }))
}

export function addAction(store: Store, id: string, a: IncidentAction): void {
  store.repo(Incidents).update(id, (i) => ({ actions: [...i.actions, a] }))
}

export function resolveIncident(
  store: Store,
  settings: WatchSettings,
  id: string,
  r: { status: ProviderStatus | null; reason: string; actor: string; identity: string; now: Date },
): Incident {
  const now = r.now.toISOString()
  return store.tx(() => {
    const inc = store.repo(Incidents).update(id, (i) => ({
      status: 'resolved',
      resolvedAt: now,
      timeline: [
        ...i.timeline,
        ...(r.status ? [statusEntry(r.status, i.region)] : []),
        { at: now, kind: 'resolved', text: r.reason },
      ],
    }))
    store.repo(AuditTrail).append({
      actor: r.actor,
      identity: r.identity,
      action: 'incident.resolve',
      target: id,
      outcome: 'ok',
      details: { reason: r.reason },
    })
    emitEvent(
      store,
      settings,
      {
        type: 'INCIDENT_RESOLVED',
        severity: 'info',
        provider: inc.provider,
        region: inc.region,
        summary: `${inc.title}: resolved (${r.reason})`,
        suggest: [`clawops incident report ${id} --json`],
        data: { incidentId: id },
        dedupeKey: `INCIDENT_RESOLVED:${id}`,
      },
      now,
    )
    return inc
  })
}
