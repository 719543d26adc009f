/**
 * What a probe means for an instance's state (design: BOOTSTRAPPING → ACTIVE ⇄ DEGRADED → FAILED).
 * - bad: score below `degradedBelow` (50), or heartbeat missing longer than `heartbeatMissingMs` (3 min).
 * - good: score above `recoveredAbove` (70) with a fresh heartbeat. Between the two an instance keeps
 *   its state (hysteresis: no flapping around one threshold).
 * - ACTIVE + bad → DEGRADED. DEGRADED/FAILED + good → ACTIVE.
 * - FAILED, precisely: bad continuously for `failedAfterMs` (10 min: two sweep cadences), or, set by the
 *   heal tree, OpenClaw still down after a restart and the wait (or the node unreachable to restart).
 *   A FAILED instance stays FAILED until it is good again (or is quarantined by a failover).
 * - BOOTSTRAPPING (a new instance whose node joined but whose OpenClaw is still starting: warming up)
 *   + good → ACTIVE. Not good yet: it stays BOOTSTRAPPING until `bootGraceMs` (20 min) after it was
 *   created; after that a bad probe makes it DEGRADED (its bad episode starts then), any other ACTIVE.
 */

import type { WatchSettings } from '../config/watch-settings.js'
import type { InstanceState } from '../domain/instance.js'

/** The states the health sweep measures and moves; others belong to provisioning, resize, failover. */
export const MONITORED_STATES = ['ACTIVE', 'DEGRADED', 'FAILED'] as const satisfies readonly InstanceState[]

export function isMonitored(state: InstanceState): boolean {
  return (MONITORED_STATES as readonly string[]).includes(state)
}

/**
 * The states a sweep probes and moves: the monitored ones, and BOOTSTRAPPING once the instance's node
 * has joined (before that, provisioning owns it).
 */
export const SWEPT_STATES = ['BOOTSTRAPPING', ...MONITORED_STATES] as const satisfies readonly InstanceState[]

export function isSwept(state: InstanceState): boolean {
  return (SWEPT_STATES as readonly string[]).includes(state)
}

export interface StateInput {
  current: InstanceState
  score: number
  heartbeatAgeS: number | null
  badSince: string | null
  /** When the instance was created (the start of a BOOTSTRAPPING instance's grace). */
  createdAt?: string
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
  if (i.current === 'BOOTSTRAPPING') {
    if (good) return { next: 'ACTIVE', badSince: null, bad: false, heartbeatMissing }
    const graceOver = i.createdAt !== undefined && i.now.getTime() - Date.parse(i.createdAt) >= t.bootGraceMs
    if (!graceOver) return { next: 'BOOTSTRAPPING', badSince: null, bad, heartbeatMissing }
    return bad
      ? { next: 'DEGRADED', badSince: i.badSince ?? i.now.toISOString(), bad, heartbeatMissing }
      : { next: 'ACTIVE', badSince: null, bad, heartbeatMissing }
  }
  const badSince = bad ? (i.badSince ?? i.now.toISOString()) : null
  const badForMs = badSince ? i.now.getTime() - Date.parse(badSince) : 0
  let next: InstanceState = i.current
  if (i.current === 'ACTIVE' && bad) next = badForMs >= t.failedAfterMs ? 'FAILED' : 'DEGRADED'
  else if (i.current === 'DEGRADED' && good) next = 'ACTIVE'
  else if (i.current === 'DEGRADED' && bad && badForMs >= t.failedAfterMs) next = 'FAILED'
  else if (i.current === 'FAILED' && good) next = 'ACTIVE'
  return { next, badSince, bad, heartbeatMissing }
}
