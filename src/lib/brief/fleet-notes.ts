/**
 * What is being done about each instance that is not well, in the words of the morning briefing
 * ("2 degraded (auto-healing in progress), 1 failed (failover complete, reprovisioning standby)"),
 * read from the store: the heal and failover operations running in the journal, watch's memory of its
 * last heal, escalations it announced, the pair partner, and the reprovision queue.
 */

import type { Context } from '../context.js'
import type { InstanceBrief } from '../fleet/status.js'
import { FleetEvents } from '../store/fleet-events.js'
import { InstanceHealth } from '../store/instance-health.js'
import { Instances } from '../store/instances.js'
import { Operations } from '../store/operations.js'
import { ReprovisionQueue } from '../store/reprovision-queue.js'

export type TroubleStatus =
  | 'auto-healing in progress'
  | 'escalated to Commander'
  | 'awaiting heal'
  | 'failing over'
  | 'leaving the user without a gateway'
  | 'awaiting failover'
  | 'standby down, primary serving'
  | 'reprovisioning standby'
  | 'failover complete, reprovisioning standby'
  | 'failover complete'

export interface TroubleNote extends InstanceBrief {
  status: TroubleStatus
}

export interface QuarantinedNote {
  id: string
  pairId: string
  provider: string
  region: string
  status: TroubleStatus
}

const DAY = 86_400_000

export class FleetNotes {
  private readonly healing = new Set<string>()
  private readonly failingOver = new Set<string>()
  private readonly escalated = new Set<string>()
  private readonly requeued = new Set<string>()

  constructor(private readonly ctx: Context) {
    const store = ctx.store()
    for (const op of store.repo(Operations).list({ states: ['running'], limit: 10_000 })) {
      const p = op.params as { instance?: string; pairs?: string[] } | null
      if (op.kind === 'heal' && p?.instance) this.healing.add(p.instance)
      if (op.kind === 'failover') for (const id of p?.pairs ?? []) this.failingOver.add(id)
    }
    const now = ctx.clock().getTime()
    const since = new Date(now - DAY).toISOString()
    for (const e of store.repo(FleetEvents).list({ since, types: ['HEAL_ESCALATED'] })) {
      if (e.instanceId && (e.severity === 'critical' || e.severity === 'high'))
        this.escalated.add(e.instanceId)
    }
    for (const q of store.repo(ReprovisionQueue).list({ states: ['waiting', 'ready', 'claimed'] }))
      this.requeued.add(q.replacesInstanceId)
  }

  /** A heal runs in the journal, or watch started one within its cooldown (it heals in the background). */
  private isHealing(id: string): boolean {
    if (this.healing.has(id)) return true
    const last = this.ctx.store().repo(InstanceHealth).get(id).lastHealAt
    const cooldown = this.ctx.watchSettings().heal.cooldownMs
    return last !== null && this.ctx.clock().getTime() - Date.parse(last) < cooldown
  }

  degraded(i: InstanceBrief): TroubleNote {
    const status: TroubleStatus = this.isHealing(i.id)
      ? 'auto-healing in progress'
      : this.escalated.has(i.id)
        ? 'escalated to Commander'
        : 'awaiting heal'
    return { ...i, status }
  }

  failed(i: InstanceBrief): TroubleNote {
    const partner = this.ctx
      .store()
      .repo(Instances)
      .list({ pairId: i.pairId })
      .find((m) => m.id !== i.id)
    let status: TroubleStatus
    if (i.role === 'standby') {
      status = this.requeued.has(i.id)
        ? 'reprovisioning standby'
        : partner?.state === 'ACTIVE'
          ? 'standby down, primary serving'
          : 'leaving the user without a gateway'
    } else if (this.failingOver.has(i.pairId) || partner?.state === 'STANDBY_PROMOTING') {
      status = 'failing over'
    } else if (this.isHealing(i.id)) status = 'auto-healing in progress'
    else if (this.escalated.has(i.id)) status = 'escalated to Commander'
    else if (partner?.state !== 'ACTIVE') status = 'leaving the user without a gateway'
    else status = 'awaiting failover'
    return { ...i, status }
  }

  /** An old primary quarantined by a failover: its pair is served by the promoted standby. */
  quarantined(i: { id: string; pairId: string; provider: string; region: string }): QuarantinedNote {
    return {
      ...i,
      status: this.requeued.has(i.id) ? 'failover complete, reprovisioning standby' : 'failover complete',
    }
  }
}

/**
 * "auto-healing in progress" when every instance shares one status; else "2 auto-healing in progress;
 * 1 escalated to Commander", most frequent first (semicolons: a status may hold a comma).
 */
export function statusPhrase(notes: readonly { status: TroubleStatus }[]): string {
  const counts = new Map<TroubleStatus, number>()
  for (const n of notes) counts.set(n.status, (counts.get(n.status) ?? 0) + 1)
  const sorted = [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
  if (sorted.length === 1) return sorted[0]![0]
  return sorted.map(([s, n]) => `${n} ${s}`).join('; ')
}
