/**
 * What a probe means for an instance's state (design: ACTIVE ⇄ DEGRADED → FAILED).
 * - bad: score below `degradedBelow` (50), or heartbeat missing longer than `heartbeatMissingMs` (3 min).
 * - good: score above `recoveredAbove` (70) with a fresh heartbeat. Between the two an instance keeps
 *   its state (hysteresis: no flapping around one threshold).
 * - ACTIVE + bad → DEGRADED. DEGRADED/FAILED + good → ACTIVE.
 * - FAILED, precisely: bad continuously for `failedAfterMs` (10 min: two sweep cadences), or, set by the
 *   heal tree, OpenClaw still down after a restart and the wait (or the node unreachable to restart).
 *   A FAILED instance stays FAILED until it is good again (or is quarantined by a failover).
 */

import type { WatchSettings } from '../config/watch-settings.js'
import type { InstanceState } from '../domain/instance.js'

/** The states the health sweep measures and moves; others belong to provisioning, resize, failover. */
export const MONITORED_STATES = ['ACTIVE', 'DEGRADED', 'FAILED'] as const satisfies readonly InstanceState[]

export function isMonitored(state: InstanceState): boolean {
  return (MONITORED_STATES as readonly string[]).includes(state)
}

export interface StateInput {
  current: InstanceState
  score: number
  heartbeatAgeS: number | null
  badSince: string | null
  now: Date
  thresholds: WatchSettings['thresholds']
}

export interface StateDecision {
  next: InstanceState
  badSince: string | null
  bad: boolean
  heartbeatMissing: boolean
}

export function decideState(i: StateInput): StateDecision {
  const t = i.thresholds
  const heartbeatMissing = i.heartbeatAgeS !== null && i.heartbeatAgeS * 1000 > t.heartbeatMissingMs
  const bad = i.score < t.degradedBelow || heartbeatMissing
  const good = i.score > t.recoveredAbove && !heartbeatMissing
  const badSince = bad ? (i.badSince ?? i.now.toISOString()) : null
  const badForMs = badSince ? i.now.getTime() - Date.parse(badSince) : 0
  let next: InstanceState = i.current
  if (i.current === 'ACTIVE' && bad) next = badForMs >= t.failedAfterMs ? 'FAILED' : 'DEGRADED'
  else if (i.current === 'DEGRADED' && good) next = 'ACTIVE'
  else if (i.current === 'DEGRADED' && bad && badForMs >= t.failedAfterMs) next = 'FAILED'
  else if (i.current === 'FAILED' && good) next = 'ACTIVE'
  return { next, badSince, bad, heartbeatMissing }
}
