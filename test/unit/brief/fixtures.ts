/** A tiny fleet written through the repositories, and events as watch would record them. */
import type { EventType, Severity } from '../../../src/lib/domain/event.js'
import type { Instance, InstanceState } from '../../../src/lib/domain/instance.js'
import { FleetEvents } from '../../../src/lib/store/fleet-events.js'
import { Instances } from '../../../src/lib/store/instances.js'
import { Pairs } from '../../../src/lib/store/pairs.js'
import type { Store } from '../../../src/lib/store/store.js'

let n = 0

export function pair(
  store: Store,
  id: string,
  states: [InstanceState, InstanceState],
  o: { provider?: Instance['provider']; region?: string; heartbeat?: string | null } = {},
): { primary: Instance; standby: Instance } {
  const created = '2026-10-01T00:00:00.000Z'
  store.repo(Pairs).insert({ id, userId: `u-${id}`, labels: {}, createdAt: created, updatedAt: created })
  const mk = (role: 'primary' | 'standby', state: InstanceState): Instance => ({
    id: `i-${id}-${role[0]}`,
    pairId: id,
    userId: `u-${id}`,
    provider: role === 'primary' ? (o.provider ?? 'hetzner') : 'vultr',
    region: role === 'primary' ? (o.region ?? 'nbg1') : 'ams',
    tier: 'standard',
    role,
    state,
    providerId: null,
    ip: null,
    tailscaleName: null,
    nodeId: null,
    labels: {},
    healthScore: null,
    lastHeartbeatAt: o.heartbeat === undefined ? null : o.heartbeat,
    createdAt: created,
    updatedAt: created,
  })
  const primary = mk('primary', states[0])
  const standby = mk('standby', states[1])
  store.repo(Instances).insertMany([primary, standby])
  return { primary, standby }
}

export function event(
  store: Store,
  type: EventType,
  at: string,
  o: {
    pairId?: string
    instanceId?: string
    severity?: Severity
    provider?: string
    region?: string
    data?: object
  } = {},
): string {
  const id = `ev-t-${++n}`
  store.repo(FleetEvents).insert({
    id,
    type,
    severity: o.severity ?? 'info',
    instanceId: o.instanceId ?? null,
    pairId: o.pairId ?? null,
    provider: o.provider ?? 'hetzner',
    region: o.region ?? 'nbg1',
    payload: { summary: `${type} ${o.pairId ?? ''}`.trim(), suggest: [], data: o.data ?? {}, dedupeKey: id },
    createdAt: at,
  })
  return id
}
