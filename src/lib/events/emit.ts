/**
 * Emitting a fleet event: the event row and one outbox row per target agent, in one transaction, so
 * an event is either durably queued for every agent that should hear it or not recorded at all.
 * Deduplication is by the event's dedupe key (the identity of the condition's episode), per target;
 * silences in force turn a row `silenced` (kept for the record, never sent). Team feeds (`team.feeds`)
 * are targets like the agents: a feed that hears the event's type at its severity gets its own row.
 */

import { type AgentName, SEVERITY_PRIORITY, type WatchSettings } from '../config/watch-settings.js'
import type { EventType, FleetEvent, Severity } from '../domain/event.js'
import { newId } from '../ids.js'
import { FleetEvents } from '../store/fleet-events.js'
import { Outbox } from '../store/outbox.js'
import { Silences } from '../store/silences.js'
import type { Store } from '../store/store.js'
import { matchingSilence } from './silence-match.js'

export interface EmitInput {
  type: EventType
  severity: Severity
  instanceId?: string | null
  pairId?: string | null
  provider?: string | null
  region?: string | null
  /** One line an agent can act on. */
  summary: string
  /** clawops commands the agent may run next. */
  suggest?: string[]
  data?: Record<string, unknown>
  /** The identity of the condition (its episode): queued once per target. */
  dedupeKey: string
  /** Overrides the configured routes for this event. */
  targets?: readonly AgentName[]
}

/** Targets are agent names and feed targets (`feed:<name>`). */
export interface EmitResult {
  eventId: string | null
  queued: string[]
  duplicates: string[]
  silenced: { target: string; silenceId: string }[]
}

export interface EventPayload {
  summary: string
  suggest: string[]
  data: Record<string, unknown>
  dedupeKey: string
}

export function emitEvent(store: Store, settings: WatchSettings, e: EmitInput, now: string): EmitResult {
  const feeds = settings.feeds
    .filter(
      (f) => f.events.includes(e.type) && SEVERITY_PRIORITY[e.severity] >= SEVERITY_PRIORITY[f.minSeverity],
    )
    .map((f) => f.target)
  const targets: string[] = [...new Set([...(e.targets ?? settings.routes[e.type] ?? []), ...feeds])]
  return store.tx(() => {
    const outbox = store.repo(Outbox)
    const fresh = targets.filter((t) => !outbox.has(t, e.dedupeKey))
    const result: EmitResult = {
      eventId: null,
      queued: [],
      duplicates: targets.filter((t) => !fresh.includes(t)),
      silenced: [],
    }
    if (fresh.length === 0 && targets.length > 0) return result
    const event: FleetEvent = {
      id: newId('ev'),
      type: e.type,
      severity: e.severity,
      instanceId: e.instanceId ?? null,
      pairId: e.pairId ?? null,
      provider: e.provider ?? null,
      region: e.region ?? null,
      payload: {
        summary: e.summary,
        suggest: e.suggest ?? [],
        data: e.data ?? {},
        dedupeKey: e.dedupeKey,
      } satisfies EventPayload,
      createdAt: now,
    }
    store.repo(FleetEvents).insert(event)
    result.eventId = event.id
    const silence = matchingSilence(store.repo(Silences).active(now), {
      type: e.type,
      severity: e.severity,
      provider: event.provider,
      region: event.region,
      instanceId: event.instanceId,
    })
    for (const target of fresh) {
      outbox.enqueue({
        id: newId('ob'),
        eventId: event.id,
        target,
        dedupeKey: e.dedupeKey,
        priority: SEVERITY_PRIORITY[e.severity],
        state: silence ? 'silenced' : 'pending',
        silenceId: silence?.id ?? null,
        createdAt: now,
      })
      if (silence) result.silenced.push({ target, silenceId: silence.id })
      else result.queued.push(target)
    }
    return result
  })
}
