/**
 * Applies one probe to the store: the instance's score, heartbeat and state (through `decideState`),
 * the monitor's memory, an audit entry and an event for every state change. The instance is read
 * again here, not trusted from when the probe started: a failover may have moved it meanwhile, and a
 * state the sweep does not own (STANDBY_PROMOTING, QUARANTINED, ...) is never overwritten.
 */

import type { WatchSettings } from '../config/watch-settings.js'
import type { Context } from '../context.js'
import { canTransition, type InstanceState } from '../domain/instance.js'
import { announceTransition } from '../events/transition.js'
import { AuditTrail } from '../store/audit-trail.js'
import { InstanceHealth } from '../store/instance-health.js'
import { Instances } from '../store/instances.js'
import type { Probe } from './probe.js'
import { scoreProbe } from './score.js'
import { decideState, isSwept } from './state.js'

export interface InstanceHealthResult {
  instanceId: string
  pairId: string
  role: string
  provider: string
  region: string
  score: number
  reasons: string[]
  previousState: InstanceState
  state: InstanceState
  changed: boolean
  heartbeatAgeS: number | null
  openclaw: Probe['openclaw']
  vps: Probe['vps']
  errors: Probe['errors']
  /** Why the state was left alone, when it was. */
  note?: string
}

export function applyProbe(ctx: Context, settings: WatchSettings, probe: Probe): InstanceHealthResult | null {
  const store = ctx.store()
  const { score, reasons } = scoreProbe(probe)
  return store.tx(() => {
    const memory = store.repo(InstanceHealth)
    const inst = memory.instanceRow(probe.instanceId)
    if (!inst) return null
    const mem = memory.get(inst.id)
    const now = new Date(probe.at)
    const result: InstanceHealthResult = {
      instanceId: inst.id,
      pairId: inst.pairId,
      role: inst.role,
      provider: inst.provider,
      region: inst.region,
      score,
      reasons,
      previousState: inst.state,
      state: inst.state,
      changed: false,
      heartbeatAgeS: probe.heartbeatAgeS === null ? null : Math.round(probe.heartbeatAgeS),
      openclaw: probe.openclaw,
      vps: probe.vps,
      errors: probe.errors,
    }
    const heartbeat = probe.reached ? probe.at : inst.lastHeartbeatAt
    if (!isSwept(inst.state)) {
      memory.setInstanceHealth(inst.id, { healthScore: score, lastHeartbeatAt: heartbeat, state: inst.state })
      memory.update(inst.id, { lastProbeAt: probe.at, lastScore: score })
      result.note = `state ${inst.state} is not the monitor's to change`
      return result
    }
    const d = decideState({
      current: inst.state,
      score,
      heartbeatAgeS: probe.heartbeatAgeS,
      badSince: mem.badSince,
      createdAt: inst.createdAt,
      now,
      thresholds: settings.thresholds,
    })
    const next = canTransition(inst.state, d.next) ? d.next : inst.state
    memory.setInstanceHealth(inst.id, { healthScore: score, lastHeartbeatAt: heartbeat, state: next })
    memory.update(inst.id, {
      lastProbeAt: probe.at,
      lastScore: score,
      badSince: d.badSince,
      lastError: probe.errors.length
        ? probe.errors.map((e) => `${e.command}: ${e.message}`).join('; ')
        : null,
    })
    result.state = next
    result.changed = next !== inst.state
    if (!result.changed) return result
    const changed = store.repo(Instances).get(inst.id)!
    store.repo(AuditTrail).append({
      ...ctx.who,
      action: 'health.transition',
      target: inst.id,
      outcome: 'ok',
      details: { from: inst.state, to: next, score, reasons, heartbeatAgeS: result.heartbeatAgeS },
    })
    announceTransition(store, settings, {
      instance: changed,
      from: inst.state,
      to: next,
      score,
      reasons,
      badSince: d.badSince,
      now: probe.at,
    })
    return result
  })
}
