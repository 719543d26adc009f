/**
 * Operation events for team feeds: an operation started, finished or failed, with the role and the
 * identity that ran it. Written in the transaction that journals the change, and only when a feed
 * hears that type, so a fleet without team feeds records no extra events.
 */
import type { WatchSettings } from '../config/watch-settings.js'
import type { EventType, Severity } from '../domain/event.js'
import type { OperationState } from '../domain/operation.js'
import type { Store } from '../store/store.js'
import { emitEvent } from './emit.js'

export interface OperationFacts {
  id: string
  kind: string
  planId: string
  summary: string
  actor: string
  identity: string
}

type Phase =
  | { phase: 'started' }
  | { phase: 'ended'; state: Exclude<OperationState, 'running'>; counts: object }

export function emitOperationEvent(
  store: Store,
  settings: WatchSettings,
  op: OperationFacts,
  p: Phase,
  now: string,
): void {
  const type: EventType =
    p.phase === 'started'
      ? 'OPERATION_STARTED'
      : p.state === 'done'
        ? 'OPERATION_FINISHED'
        : 'OPERATION_FAILED'
  if (!settings.feeds.some((f) => f.events.includes(type))) return
  const severity: Severity =
    p.phase === 'started' || p.state === 'done' ? 'info' : p.state === 'partial' ? 'warning' : 'high'
  const verb = p.phase === 'started' ? 'started' : p.state === 'done' ? 'finished' : `ended ${p.state}`
  emitEvent(
    store,
    settings,
    {
      type,
      severity,
      summary: `${op.kind} ${op.id} ${verb} (${op.identity} as ${op.actor}): ${op.summary}`,
      data: {
        opId: op.id,
        kind: op.kind,
        planId: op.planId,
        actor: op.actor,
        identity: op.identity,
        ...(p.phase === 'ended' ? { state: p.state, counts: p.counts } : {}),
      },
      suggest: [`clawops ops show ${op.id}`],
      // Started once; an ending per run (a resumed operation can fail, then finish).
      dedupeKey: p.phase === 'started' ? `op:${op.id}:started` : `op:${op.id}:${p.state}:${now}`,
      targets: [],
    },
    now,
  )
}
