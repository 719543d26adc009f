/**
 * Who an outage in a provider (or one of its regions) touches, from the store: the primaries there,
 * the failovers out of there, pairs mid-promotion, users left without an ACTIVE member, failover
 * plans waiting for a confirmation, replacement standbys owed. Shared by `incident exposure` and
 * `incident report`.
 */
import type { Instance } from '../domain/instance.js'
import { type FailoverRecord, Failovers } from '../store/failovers.js'
import { Instances } from '../store/instances.js'
import { Plans } from '../store/plans.js'
import { type ReprovisionItem, ReprovisionQueue } from '../store/reprovision-queue.js'
import type { Store } from '../store/store.js'

export interface ScopeFacts {
  provider: string
  region: string | null
  since: string
  primaries: { total: number; active: number; degraded: number; failed: number }
  /** Pairs whose primary here is DEGRADED/FAILED now, or failed over out of here since `since`. */
  primariesAffected: number
  failoversComplete: number
  failoversFailed: number
  stillPromoting: { pairId: string; instanceId: string }[]
  usersWithoutActiveGateway: { userId: string; pairId: string }[]
  quarantined: string[]
  awaitingConfirmation: { planId: string; pairs: string[]; expiresAt: string }[]
  reprovision: { waiting: number; ready: number; claimed: number; done: number; items: ReprovisionItem[] }
  failovers: FailoverRecord[]
}

export function scopeFacts(
  store: Store,
  provider: string,
  region: string | null,
  since: string,
  now: string,
): ScopeFacts {
  const instances = store.repo(Instances)
  const here = instances.list({
    providers: [provider as Instance['provider']],
    ...(region ? { regions: [region] } : {}),
  })
  const primaries = here.filter((i) => i.role === 'primary')
  const failovers = store.repo(Failovers).list({ since, provider, ...(region ? { region } : {}) })
  const pairIds = new Set([...here.map((i) => i.pairId), ...failovers.map((f) => f.pairId)])
  const members = [...pairIds].flatMap((p) => instances.list({ pairId: p }))
  const byPair = new Map<string, Instance[]>()
  for (const m of members) byPair.set(m.pairId, [...(byPair.get(m.pairId) ?? []), m])
  const affected = new Set([
    ...primaries.filter((i) => i.state === 'DEGRADED' || i.state === 'FAILED').map((i) => i.pairId),
    ...failovers.map((f) => f.pairId),
  ])
  const plans = store
    .repo(Plans)
    .awaitingConfirmation('failover', now)
    .map((p) => ({
      planId: p.id,
      expiresAt: p.expiresAt,
      pairs: ((p.facts?.failover ?? []) as { pairId: string; primaryId: string }[])
        .filter((f) => here.some((i) => i.id === f.primaryId))
        .map((f) => f.pairId),
    }))
    .filter((p) => p.pairs.length > 0)
  const queue = store.repo(ReprovisionQueue).list({ provider, ...(region ? { region } : {}) })
  const count = (s: string) => queue.filter((q) => q.state === s).length
  return {
    provider,
    region,
    since,
    primaries: {
      total: primaries.length,
      active: primaries.filter((i) => i.state === 'ACTIVE').length,
      degraded: primaries.filter((i) => i.state === 'DEGRADED').length,
      failed: primaries.filter((i) => i.state === 'FAILED').length,
    },
    primariesAffected: affected.size,
    failoversComplete: failovers.filter((f) => f.state === 'complete').length,
    failoversFailed: failovers.filter((f) => f.state === 'failed').length,
    stillPromoting: members
      .filter((m) => m.state === 'STANDBY_PROMOTING')
      .map((m) => ({ pairId: m.pairId, instanceId: m.id })),
    usersWithoutActiveGateway: [...byPair.entries()]
      .filter(
        ([, ms]) => !ms.some((m) => m.state === 'ACTIVE') && !ms.some((m) => m.state === 'STANDBY_PROMOTING'),
      )
      .filter(([, ms]) => ms.some((m) => ['DEGRADED', 'FAILED', 'QUARANTINED'].includes(m.state)))
      .map(([pairId, ms]) => ({ pairId, userId: ms[0]!.userId })),
    quarantined: here.filter((i) => i.state === 'QUARANTINED').map((i) => i.id),
    awaitingConfirmation: plans,
    reprovision: {
      waiting: count('waiting'),
      ready: count('ready'),
      claimed: count('claimed'),
      done: count('done'),
      items: queue.filter((q) => q.state !== 'done' && q.state !== 'cancelled'),
    },
    failovers,
  }
}
