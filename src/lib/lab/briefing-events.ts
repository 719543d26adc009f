/**
 * A day of fleet events for briefings on a lab fleet (`clawops lab seed --briefing-events`),
 * deterministic from the seed and written through the real repositories, so `clawops brief` reads
 * them exactly as it would read what watch, heal and failover record:
 *
 * - a Hetzner incident (the region with most Hetzner primaries, Nuremberg when it has any) 5 hours
 *   ago, resolved after 40 minutes, during which up to 3 pairs failed over (old primaries
 *   QUARANTINED, standbys promoted, replacement standbys queued and ready once it resolved); and an
 *   earlier incident in the same region 6 days ago, so the Briefer sees a pattern;
 * - 3 heals by restart through the day; the DEGRADED instances' episode, with a heal started by
 *   watch 2 minutes ago (auto-healing in progress); a heal escalation for a FAILED primary;
 * - an SLA breach 9 hours ago: a pair without an ACTIVE member for 18 minutes until a heal;
 * - provisioning: 12 servers created through the day, 2 after retries, and 1 that failed after 3
 *   attempts at Hostinger Boston, with its PROVISION_FAILED event.
 *
 * Every event is older than an hour, so operator alerts (which look back one hour) do not page
 * anyone for lab history. Ids carry `-lab-` prefixes; `LabRows.clear` (src/lib/store/lab-rows.ts) removes them.
 */

import type { FleetEvent } from '../domain/event.js'
import type { Instance } from '../domain/instance.js'
import { Failovers } from '../store/failovers.js'
import { FleetEvents } from '../store/fleet-events.js'
import { Incidents } from '../store/incidents.js'
import { InstanceHealth } from '../store/instance-health.js'
import { Instances } from '../store/instances.js'
import { ProvisionHistory } from '../store/provision-history.js'
import { ReprovisionQueue } from '../store/reprovision-queue.js'
import type { Store } from '../store/store.js'

const MIN = 60_000
const HOUR = 60 * MIN
const DAY = 24 * HOUR
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz'

/** mulberry32, seeded apart from the fleet generator so the fleet stays the same with or without events. */
class Rand {
  private s: number
  constructor(seed: number) {
    this.s = (seed ^ 0x5bd1e995) >>> 0
  }
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0
    let t = this.s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  int(a: number, b: number): number {
    return a + Math.floor(this.next() * (b - a + 1))
  }
  id(prefix: string): string {
    let s = ''
    for (let i = 0; i < 10; i++) s += ALPHABET[this.int(0, 31)]
    return `${prefix}-${s}`
  }
  pick<T>(items: readonly T[]): T | undefined {
    return items.length ? items[this.int(0, items.length - 1)] : undefined
  }
}

export interface BriefingEventsManifest {
  incident: { id: string; provider: string; region: string; openedAt: string; resolvedAt: string } | null
  earlierIncident: string | null
  failedOverPairs: string[]
  healed: string[]
  healing: string[]
  escalated: string[]
  slaBreachPair: string | null
  provisions: { ok: number; retried: number; failed: number }
  events: number
}

const iso = (t: number) => new Date(t).toISOString()

export function writeBriefingEvents(
  store: Store,
  o: { seed: number; now: Date; instances: readonly Instance[] },
): BriefingEventsManifest {
  const rnd = new Rand(o.seed)
  const now = o.now.getTime()
  const events = store.repo(FleetEvents)
  const instances = store.repo(Instances)
  let count = 0
  const emit = (
    e: Omit<FleetEvent, 'id' | 'payload' | 'instanceId' | 'pairId' | 'provider' | 'region'> & {
      instanceId?: string | null
      pairId?: string | null
      provider?: string | null
      region?: string | null
      summary: string
      suggest?: string[]
      data?: Record<string, unknown>
    },
  ) => {
    const id = rnd.id('ev-lab')
    events.insert({
      id,
      type: e.type,
      severity: e.severity,
      instanceId: e.instanceId ?? null,
      pairId: e.pairId ?? null,
      provider: e.provider ?? null,
      region: e.region ?? null,
      payload: {
        summary: e.summary,
        suggest: e.suggest ?? [],
        data: { lab: true, ...e.data },
        dedupeKey: `lab:${id}`,
      },
      createdAt: e.createdAt,
    })
    count++
  }

  const byPair = Map.groupBy(o.instances, (i) => i.pairId)
  const healthyPairs = [...byPair.values()]
    .filter((m) => m.length === 2 && m.every((i) => i.state === 'ACTIVE'))
    .map((m) => ({
      primary: m.find((i) => i.role === 'primary')!,
      standby: m.find((i) => i.role === 'standby')!,
    }))
    .filter((p) => p.primary && p.standby)
  const used = new Set<string>()

  // The incident and its failovers.
  const hetzner = healthyPairs.filter((p) => p.primary.provider === 'hetzner')
  const regions = Map.groupBy(hetzner, (p) => p.primary.region)
  const region =
    (regions.has('nbg1')
      ? 'nbg1'
      : [...regions].sort((a, b) => b[1].length - a[1].length || a[0].localeCompare(b[0]))[0]?.[0]) ?? 'nbg1'
  const opened = now - 5 * HOUR - 10 * MIN
  const resolved = opened + 40 * MIN
  const incidentId = `inc-lab-brief-${o.seed}-hetzner-${region}`
  const incidents = store.repo(Incidents)
  incidents.insert({
    id: incidentId,
    provider: 'hetzner',
    region,
    kind: 'provider-outage',
    status: 'open',
    severity: 'high',
    title: `Hetzner ${region}: network issues (lab)`,
    openedAt: iso(opened),
    timeline: [
      {
        at: iso(opened),
        kind: 'opened',
        text: 'health scores below 75 and the status page reports an incident',
      },
    ],
  })
  emit({
    type: 'INCIDENT_OPENED',
    severity: 'high',
    provider: 'hetzner',
    region,
    createdAt: iso(opened),
    summary: `Hetzner ${region}: network issues (lab). Status page: investigating`,
    data: { incidentId },
  })
  const failedOver: string[] = []
  for (const [k, p] of (regions.get(region) ?? []).slice(0, 3).entries()) {
    const started = opened + 3 * MIN + k * 20_000
    const opId = rnd.id('op-lab')
    used.add(p.primary.pairId)
    const failovers = store.repo(Failovers)
    failovers.insert({
      id: rnd.id('fo-lab'),
      opId,
      pairId: p.primary.pairId,
      userId: p.primary.userId,
      fromInstanceId: p.primary.id,
      toInstanceId: p.standby.id,
      provider: p.primary.provider,
      region: p.primary.region,
      state: 'promoting',
      reason: `lab: Hetzner ${region} incident`,
      actor: 'guardian',
      startedAt: iso(started),
    })
    failovers.setState(opId, p.primary.pairId, 'complete', iso(started + 75_000))
    instances.update(p.primary.id, { role: 'standby', state: 'QUARANTINED' })
    instances.update(p.standby.id, { role: 'primary', state: 'ACTIVE' })
    const queueId = rnd.id('rq-lab')
    store.repo(ReprovisionQueue).enqueue({
      id: queueId,
      pairId: p.primary.pairId,
      replacesInstanceId: p.primary.id,
      provider: p.primary.provider,
      region: p.primary.region,
      tier: p.primary.tier,
      reason: `failover of ${p.primary.pairId}`,
      incidentId,
      opId,
      createdAt: iso(started + 75_000),
    })
    store.repo(ReprovisionQueue).markReady(queueId, iso(resolved))
    emit({
      type: 'FAILOVER_COMPLETE',
      severity: 'high',
      instanceId: p.standby.id,
      pairId: p.primary.pairId,
      provider: p.primary.provider,
      region: p.primary.region,
      createdAt: iso(started + 75_000),
      summary: `pair ${p.primary.pairId} failed over: ${p.standby.id} (${p.standby.provider}/${p.standby.region}) is the ACTIVE primary; ${p.primary.id} quarantined`,
      data: { newPrimary: p.standby.id, quarantined: p.primary.id, queueId, opId },
    })
    failedOver.push(p.primary.pairId)
  }
  incidents.update(incidentId, (i) => ({
    status: 'resolved',
    resolvedAt: iso(resolved),
    rootCause: 'upstream network in the region (lab)',
    timeline: [
      ...i.timeline,
      { at: iso(resolved), kind: 'resolved', text: 'scores and the status page agree: recovered' },
    ],
  }))
  emit({
    type: 'INCIDENT_RESOLVED',
    severity: 'info',
    provider: 'hetzner',
    region,
    createdAt: iso(resolved),
    summary: `Hetzner ${region}: network issues (lab): resolved`,
    data: { incidentId },
  })
  const earlierId = `inc-lab-brief-${o.seed}-hetzner-${region}-earlier`
  const earlierAt = now - 6 * DAY - 3 * HOUR
  incidents.insert({
    id: earlierId,
    provider: 'hetzner',
    region,
    kind: 'provider-outage',
    status: 'resolved',
    severity: 'warning',
    title: `Hetzner ${region}: packet loss (lab)`,
    openedAt: iso(earlierAt),
    timeline: [{ at: iso(earlierAt), kind: 'opened', text: 'packet loss' }],
  })
  incidents.update(earlierId, () => ({ resolvedAt: iso(earlierAt + 25 * MIN) }))

  // Heals by restart through the day.
  const healed: string[] = []
  for (let k = 0; k < 3; k++) {
    const p = rnd.pick(healthyPairs.filter((x) => !used.has(x.primary.pairId)))
    if (!p) break
    used.add(p.primary.pairId)
    const at = now - rnd.int(2 * 60, 22 * 60) * MIN
    const i = p.primary
    emit({
      type: 'INSTANCE_DEGRADED',
      severity: 'warning',
      instanceId: i.id,
      pairId: i.pairId,
      provider: i.provider,
      region: i.region,
      createdAt: iso(at - 3 * MIN),
      summary: `primary ${i.id} of pair ${i.pairId} (${i.provider}/${i.region}) is DEGRADED: score 35; openclaw not answering`,
    })
    emit({
      type: 'HEAL_COMPLETE',
      severity: 'info',
      instanceId: i.id,
      pairId: i.pairId,
      provider: i.provider,
      region: i.region,
      createdAt: iso(at),
      summary: `HEALED primary ${i.id} of pair ${i.pairId}: OpenClaw restarted and answering; score 92, state ACTIVE`,
    })
    healed.push(i.id)
  }

  // The instances degraded now: watch saw them go bad and started a heal two minutes ago.
  const healing: string[] = []
  for (const i of o.instances.filter((x) => x.state === 'DEGRADED')) {
    const since = now - rnd.int(70, 110) * MIN
    emit({
      type: 'INSTANCE_DEGRADED',
      severity: 'warning',
      instanceId: i.id,
      pairId: i.pairId,
      provider: i.provider,
      region: i.region,
      createdAt: iso(since),
      summary: `${i.role} ${i.id} of pair ${i.pairId} (${i.provider}/${i.region}) is DEGRADED: heartbeat missing`,
    })
    store.repo(InstanceHealth).update(i.id, { badSince: iso(since), lastHealAt: iso(now - 2 * MIN) })
    healing.push(i.id)
  }

  // A FAILED primary whose failover waits for a confirmation.
  const escalated: string[] = []
  const failedPrimary = o.instances.find(
    (i) =>
      i.state === 'FAILED' &&
      i.role === 'primary' &&
      byPair.get(i.pairId)?.some((m) => m.role === 'standby' && m.state === 'ACTIVE'),
  )
  if (failedPrimary) {
    emit({
      type: 'HEAL_ESCALATED',
      severity: 'high',
      instanceId: failedPrimary.id,
      pairId: failedPrimary.pairId,
      provider: failedPrimary.provider,
      region: failedPrimary.region,
      createdAt: iso(now - 3 * HOUR),
      summary: `primary ${failedPrimary.id} of pair ${failedPrimary.pairId} needs a failover, but it waits for a confirmation: failover-blast-radius`,
      suggest: [`clawops failover ${failedPrimary.pairId} --json`],
    })
    escalated.push(failedPrimary.id)
  }

  // The SLA breach: no ACTIVE member for 18 minutes, until a restart brought the primary back.
  const breach = rnd.pick(
    healthyPairs.filter((x) => !used.has(x.primary.pairId) && x.primary.provider !== 'hetzner'),
  )
  if (breach) {
    used.add(breach.primary.pairId)
    const at = now - 9 * HOUR
    const i = breach.primary
    const base = { instanceId: i.id, pairId: i.pairId, provider: i.provider, region: i.region }
    emit({
      ...base,
      type: 'INSTANCE_FAILED',
      severity: 'high',
      createdAt: iso(at - MIN),
      summary: `primary ${i.id} of pair ${i.pairId} (${i.provider}/${i.region}) is FAILED: host unreachable`,
    })
    emit({
      ...base,
      type: 'PAIR_FAILED',
      severity: 'critical',
      createdAt: iso(at),
      summary: `pair ${i.pairId} (user ${i.userId}) has no ACTIVE member: primary ${i.id} FAILED, standby ${breach.standby.id} DEGRADED`,
      data: { userId: i.userId },
    })
    emit({
      ...base,
      type: 'HEAL_COMPLETE',
      severity: 'info',
      createdAt: iso(at + 18 * MIN),
      summary: `HEALED primary ${i.id} of pair ${i.pairId}: OpenClaw restarted and answering; score 88, state ACTIVE`,
    })
  }

  // Provisioning through the day.
  const provisions = store.repo(ProvisionHistory)
  const spots = [
    ['hetzner', 'fsn1'],
    ['vultr', 'fra'],
    ['digitalocean', 'nyc3'],
    ['hetzner', 'ash'],
    ['vultr', 'ewr'],
    ['digitalocean', 'ams3'],
  ] as const
  const rows = []
  for (let k = 0; k < 11; k++) {
    const [provider, reg] = spots[k % spots.length]!
    const start = now - rnd.int(90, 23 * 60) * MIN
    const attempts = k === 2 || k === 7 ? 2 : 1
    rows.push({
      id: `prov-lab-brief-${o.seed}-${k}`,
      provider,
      region: reg,
      tier: 'standard' as const,
      role: k % 2 ? ('standby' as const) : ('primary' as const),
      instanceId: null,
      pairId: null,
      opId: null,
      startedAt: iso(start),
      finishedAt: iso(start + rnd.int(2, 6) * MIN),
      outcome: 'ok' as const,
      attempts,
      errorCode: null,
    })
  }
  const failedAt = now - 4 * HOUR
  rows.push({
    id: `prov-lab-brief-${o.seed}-failed`,
    provider: 'hostinger' as const,
    region: 'us-bos',
    tier: 'standard' as const,
    role: 'standby' as const,
    instanceId: null,
    pairId: null,
    opId: null,
    startedAt: iso(failedAt - 15 * MIN),
    finishedAt: iso(failedAt),
    outcome: 'failed' as const,
    attempts: 3,
    errorCode: 'server_never_running',
  })
  provisions.record(rows)
  emit({
    type: 'PROVISION_FAILED',
    severity: 'high',
    provider: 'hostinger',
    region: 'us-bos',
    createdAt: iso(failedAt),
    summary:
      'forge: provisioning of a standby at hostinger/us-bos failed after 3 attempts: server_never_running',
    data: { attempts: 3, error: 'server_never_running', provider: 'hostinger', region: 'us-bos' },
  })

  return {
    incident: {
      id: incidentId,
      provider: 'hetzner',
      region,
      openedAt: iso(opened),
      resolvedAt: iso(resolved),
    },
    earlierIncident: earlierId,
    failedOverPairs: failedOver,
    healed,
    healing,
    escalated,
    slaBreachPair: breach?.primary.pairId ?? null,
    provisions: { ok: 11, retried: 2, failed: 1 },
    events: count,
  }
}
