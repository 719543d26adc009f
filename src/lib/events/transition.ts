/**
 * The events a state change of an instance announces: INSTANCE_DEGRADED (Guardian), INSTANCE_FAILED
 * (Guardian, high) and INSTANCE_RECOVERED. The dedupe key names the bad episode (its start), so the
 * same degradation is announced once however many sweeps see it.
 */

import type { WatchSettings } from '../config/watch-settings.js'
import type { Instance, InstanceState } from '../domain/instance.js'
import type { Store } from '../store/store.js'
import { type EmitResult, emitEvent } from './emit.js'

export interface TransitionFacts {
  instance: Instance
  from: InstanceState
  to: InstanceState
  score: number
  reasons: string[]
  badSince: string | null
  now: string
}

export function announceTransition(
  store: Store,
  settings: WatchSettings,
  f: TransitionFacts,
): EmitResult | null {
  const i = f.instance
  const where = `${i.provider}/${i.region}`
  const base = {
    instanceId: i.id,
    pairId: i.pairId,
    provider: i.provider,
    region: i.region,
    data: { role: i.role, userId: i.userId, from: f.from, to: f.to, score: f.score, reasons: f.reasons },
  }
  const episode = f.badSince ?? f.now
  if (f.to === 'DEGRADED') {
    return emitEvent(
      store,
      settings,
      {
        ...base,
        type: 'INSTANCE_DEGRADED',
        severity: 'warning',
        summary: `${i.role} ${i.id} of pair ${i.pairId} (${where}) is DEGRADED: score ${f.score}; ${f.reasons.join('; ') || 'heartbeat missing'}`,
        suggest: [`clawops heal ${i.id} --json`, `clawops instance show ${i.id} --json`],
        dedupeKey: `INSTANCE_DEGRADED:${i.id}@${episode}`,
      },
      f.now,
    )
  }
  if (f.to === 'FAILED') {
    return emitEvent(
      store,
      settings,
      {
        ...base,
        type: 'INSTANCE_FAILED',
        severity: 'high',
        summary: `${i.role} ${i.id} of pair ${i.pairId} (${where}) is FAILED: score ${f.score}; ${f.reasons.join('; ')}`,
        suggest: [`clawops heal ${i.id} --json`, `clawops pair status ${i.pairId} --json`],
        dedupeKey: `INSTANCE_FAILED:${i.id}@${episode}`,
      },
      f.now,
    )
  }
  if (f.to === 'ACTIVE' && (f.from === 'DEGRADED' || f.from === 'FAILED')) {
    return emitEvent(
      store,
      settings,
      {
        ...base,
        type: 'INSTANCE_RECOVERED',
        severity: 'info',
        summary: `${i.role} ${i.id} of pair ${i.pairId} (${where}) recovered: ${f.from} → ACTIVE, score ${f.score}`,
        dedupeKey: `INSTANCE_RECOVERED:${i.id}@${f.now}`,
      },
      f.now,
    )
  }
  return null
}
