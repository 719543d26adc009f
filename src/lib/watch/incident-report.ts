/**
 * `clawops incident report <id>`: the incident as Triage writes it up: a timeline (detection, the
 * provider's status, every event and action in scope, resolution), the suspected root cause with the
 * evidence it rests on, the actions taken (heals, failovers, silences, queue) and the action items
 * that remain. Built from the store only, so it is the same whenever it is asked.
 */

import type { Context } from '../context.js'
import type { EventType } from '../domain/event.js'
import { UserError } from '../errors.js'
import type { EventPayload } from '../events/emit.js'
import { AuditTrail } from '../store/audit-trail.js'
import { FleetEvents } from '../store/fleet-events.js'
import { type Incident, Incidents } from '../store/incidents.js'
import { Instances } from '../store/instances.js'
import { Silences } from '../store/silences.js'
import { type ScopeFacts, scopeFacts } from './scope.js'

export interface ReportEntry {
  at: string
  kind: string
  text: string
}

export interface IncidentReport {
  incident: Omit<Incident, 'timeline' | 'actions' | 'actionItems'> & { durationMinutes: number }
  impact: Omit<ScopeFacts, 'failovers' | 'reprovision'> & { reprovisionOwed: number }
  timeline: ReportEntry[]
  suspectedRootCause: { summary: string; evidence: string[] }
  actionsTaken: {
    at: string
    actor: string
    action: string
    target: string | null
    outcome: string
    opId: string | null
  }[]
  actionItems: string[]
}

const LEAD_MS = 30 * 60_000
const ACTIONS = ['heal', 'failover', 'incident', 'silence.manage', 'health.transition']

export function incidentReport(ctx: Context, id: string): IncidentReport {
  const store = ctx.store()
  const inc = store.repo(Incidents).get(id)
  if (!inc)
    throw new UserError('NOT_FOUND', `no incident ${id}`, {
      hint: 'List incidents with clawops incident list.',
    })
  const now = ctx.now()
  const until = inc.resolvedAt ?? now
  const from = new Date(Date.parse(inc.openedAt) - LEAD_MS).toISOString()
  const facts = inc.provider ? scopeFacts(store, inc.provider, inc.region, from, now, inc.openedAt) : null
  const scopeIds = new Set<string>([id])
  if (inc.provider) {
    const here = store.repo(Instances).list({
      providers: [inc.provider as never],
      ...(inc.region ? { regions: [inc.region] } : {}),
    })
    for (const i of here) scopeIds.add(i.id).add(i.pairId)
  }
  for (const f of facts?.failovers ?? []) scopeIds.add(f.pairId).add(f.toInstanceId).add(f.fromInstanceId)

  const events = store.repo(FleetEvents).list({
    since: from,
    until,
    ...(inc.provider ? { provider: inc.provider } : {}),
    ...(inc.region ? { region: inc.region } : {}),
  })
  const audit = store
    .repo(AuditTrail)
    .query({ since: from, limit: 100_000 })
    .filter((a) => a.ts <= until && ACTIONS.some((x) => a.action === x || a.action.startsWith(`${x}.`)))
    .filter((a) => a.target !== null && scopeIds.has(a.target))
  const silences = store
    .repo(Silences)
    .list(now, true)
    .filter((s) => s.createdAt >= from && s.createdAt <= until)
    .filter((s) => s.provider === inc.provider || (inc.region !== null && s.region === inc.region))

  const timeline: ReportEntry[] = [
    ...inc.timeline.map((t) => ({ at: t.at, kind: t.kind, text: t.text })),
    ...events.map((e) => ({
      at: e.createdAt,
      kind: `event ${e.type}`,
      text: (e.payload as EventPayload).summary,
    })),
    ...audit
      .filter((a) => a.outcome !== 'intent' || a.action.split('.').length > 1)
      .map((a) => ({
        at: a.ts,
        kind: `${a.action} (${a.outcome})`,
        text: `${a.actor} ${a.action} ${a.target ?? ''}${a.opId ? ` [${a.opId}]` : ''}`.trim(),
      })),
    ...silences.map((s) => ({
      at: s.createdAt,
      kind: 'silence',
      text: `${s.createdBy} silenced ${[s.provider, s.region, s.instanceId, s.eventType].filter(Boolean).join('/')} until ${s.expiresAt}: ${s.reason}`,
    })),
  ].sort((a, b) => a.at.localeCompare(b.at))

  const actionsTaken = [
    ...audit
      .filter(
        (a) =>
          a.action.startsWith('failover.') ||
          a.action.startsWith('heal.') ||
          a.action.startsWith('incident.'),
      )
      .filter(
        (a) =>
          a.outcome !== 'intent' ||
          !audit.some((b) => b.opId === a.opId && b.action === a.action && b.seq > a.seq),
      )
      .map((a) => ({
        at: a.ts,
        actor: a.actor,
        action: a.action,
        target: a.target,
        outcome: a.outcome,
        opId: a.opId,
      })),
    ...silences.map((s) => ({
      at: s.createdAt,
      actor: s.createdBy,
      action: 'silence.add',
      target: s.id,
      outcome: 'ok',
      opId: null,
    })),
  ].sort((a, b) => a.at.localeCompare(b.at))

  const rootCause = suspectRootCause(
    inc,
    events.map((e) => ({ type: e.type, instanceId: e.instanceId, payload: e.payload as EventPayload })),
  )
  const actionItems: string[] = []
  if (facts) {
    if (facts.usersWithoutActiveGateway.length) {
      actionItems.push(
        `Restore service for ${facts.usersWithoutActiveGateway.length} user(s) without a working gateway: pairs ${facts.usersWithoutActiveGateway.map((u) => u.pairId).join(', ')}`,
      )
    }
    if (facts.stillPromoting.length)
      actionItems.push(
        `Finish ${facts.stillPromoting.length} failover(s) still in STANDBY_PROMOTING (clawops ops resume)`,
      )
    for (const p of facts.awaitingConfirmation) {
      actionItems.push(
        `Confirm or let expire failover plan ${p.planId} for ${p.pairs.length} pair(s) (expires ${p.expiresAt})`,
      )
    }
    const owed = facts.reprovision.waiting + facts.reprovision.ready + facts.reprovision.claimed
    if (owed) {
      actionItems.push(
        `Provision ${owed} replacement standby(s) on ${inc.provider}${inc.region ? `/${inc.region}` : ''} (${facts.reprovision.ready} ready now, ${facts.reprovision.waiting} waiting for recovery; clawops reprovision list)`,
      )
    }
    if (facts.quarantined.length) {
      actionItems.push(
        `Review ${facts.quarantined.length} quarantined old primaries (kept, not deleted): diagnose, then archive or reuse`,
      )
    }
  }
  if (!inc.timeline.some((t) => t.kind === 'provider-status' && /provider says/.test(t.text))) {
    actionItems.push(
      `Ask ${inc.provider ?? 'the provider'} for their account of the outage: their status page did not report it`,
    )
  }
  if (inc.status !== 'resolved')
    actionItems.push('Resolve when live scores and the provider status page have recovered (watch does this)')

  const { timeline: _t, actions: _a, actionItems: _i, ...head } = inc
  return {
    incident: {
      ...head,
      durationMinutes: Math.round((Date.parse(until) - Date.parse(inc.openedAt)) / 60_000),
    },
    impact: facts
      ? (({ failovers: _f, reprovision, ...rest }) => ({
          ...rest,
          reprovisionOwed: reprovision.waiting + reprovision.ready + reprovision.claimed,
        }))(facts)
      : ({} as IncidentReport['impact']),
    timeline,
    suspectedRootCause: rootCause,
    actionsTaken,
    actionItems,
  }
}

function suspectRootCause(
  inc: Incident,
  events: { type: EventType; instanceId: string | null; payload: EventPayload }[],
): IncidentReport['suspectedRootCause'] {
  const evidence: string[] = []
  const providerSaid = inc.timeline.filter((t) => t.kind === 'provider-status').map((t) => t.text)
  evidence.push(...providerSaid)
  // One instance degrades, then fails: it went bad once. Its reasons are those of its first event.
  const firstBad = new Map<string, string>()
  for (const e of events) {
    if (e.type !== 'INSTANCE_DEGRADED' && e.type !== 'INSTANCE_FAILED') continue
    const key = e.instanceId ?? `event:${firstBad.size}`
    if (!firstBad.has(key))
      firstBad.set(key, ((e.payload.data?.reasons as string[] | undefined) ?? []).join('; '))
  }
  const reasons = [...firstBad.values()]
  const unreachable = reasons.filter((r) => /vps\.health unavailable/.test(r)).length
  const serviceOnly = reasons.filter((r) => /OpenClaw/.test(r) && !/vps\.health unavailable/.test(r)).length
  if (firstBad.size) {
    evidence.push(
      `${firstBad.size} instance(s) went bad: ${unreachable} with the host unreachable, ${serviceOnly} with only OpenClaw failing`,
    )
  }
  const scope = inc.region ? `${inc.provider}/${inc.region}` : (inc.provider ?? 'the fleet')
  const confirmed = providerSaid.some((t) => /provider says/.test(t))
  let summary: string
  if (confirmed) summary = `Provider-side outage in ${scope}, reported by the provider's status page`
  else if (unreachable > serviceOnly) {
    summary = `Hosts in ${scope} became unreachable together (network or host failure at the provider, not reported on its status page)`
  } else if (serviceOnly > 0) {
    summary = `OpenClaw failing on reachable hosts in ${scope}: a software or configuration cause on our side is more likely than the provider`
  } else summary = `Health scores in ${scope} dropped; the cause is not visible in the probes`
  return { summary, evidence }
}
