/**
 * Who an outage in a provider (or one of its regions) touches, from the store: the primaries that ran
 * there when the window began (an outage's failovers move them away; they still count), the
 * failovers out of there, pairs mid-promotion, users left without an ACTIVE primary (the condition
 * of src/lib/domain/pair.ts), failover plans waiting for a confirmation, replacement standbys owed.
 * Shared by `incident exposure` and `incident report`, so both give the same numbers.
 */
import type { Instance } from '../domain/instance.js'
import { type PairCondition, pairView, userAffected } from '../domain/pair.js'
import { type FailoverRecord, Failovers } from '../store/failovers.js'
import { Instances } from '../store/instances.js'
import { Plans } from '../store/plans.js'
import { type ReprovisionItem, ReprovisionQueue } from '../store/reprovision-queue.js'
import type { Store } from '../store/store.js'

export interface ScopeFacts {
  provider: string
  region: string | null
  since: string
  /**
   * The pairs this scope serves: those whose primary ran here when the window began (failed over out
   * of here since or not), and those whose primary runs here now. Every other count is a part of it.
   */
  pairs: number
  /** The primaries that ran here when the window began, by their state now (not today's placement). */
  primaries: { total: number; active: number; degraded: number; failed: number; failedOver: number }
  /** Pairs whose primary here (as of the window's start) is DEGRADED/FAILED now, or failed over since. */
  primariesAffected: number
  failoversComplete: number
  failoversFailed: number
  stillPromoting: { pairId: string; instanceId: string }[]
  /** Users without an ACTIVE primary now: down and not yet failed over, promoting, at-risk, unserved. */
  usersWithoutActiveGateway: { userId: string; pairId: string; condition: PairCondition }[]
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
  /** When the primaries are counted: the incident's start; without one, now (plus those failed over since). */
  at: string = now,
): ScopeFacts {
  const instances = store.repo(Instances)
  const here = instances.list({
    providers: [provider as Instance['provider']],
    ...(region ? { regions: [region] } : {}),
  })
  const failovers = store.repo(Failovers).list({ since, provider, ...(region ? { region } : {}) })
  // Primaries that came here by a failover after the window began were elsewhere at its start.
  const cameHere = new Set(
    store
      .repo(Failovers)
      .list({ since })
      .filter((f) => f.provider !== provider || (region !== null && f.region !== region))
      .map((f) => f.toInstanceId),
  )
  const primariesNow = here.filter((i) => i.role === 'primary' && i.state !== 'DELETED')
  const atStartIds = new Set([
    ...primariesNow.filter((i) => i.createdAt <= at && !cameHere.has(i.id)).map((i) => i.id),
    ...failovers.map((f) => f.fromInstanceId),
  ])
  const atStart = atStartIds.size ? instances.list({ ids: [...atStartIds], includeDeleted: true }) : []
  const pairIds = new Set([...atStart.map((i) => i.pairId), ...primariesNow.map((i) => i.pairId)])
  const byPair = new Map<string, Instance[]>()
  for (const p of pairIds) byPair.set(p, instances.list({ pairId: p }))
  const members = [...byPair.values()].flat()
  const failedOver = new Set(failovers.filter((f) => f.state === 'complete').map((f) => f.fromInstanceId))
  const affected = new Set([
    ...atStart.filter((i) => i.state === 'DEGRADED' || i.state === 'FAILED').map((i) => i.pairId),
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
    pairs: pairIds.size,
    primaries: {
      total: atStart.length,
      active: atStart.filter((i) => i.state === 'ACTIVE' && i.role === 'primary').length,
      degraded: atStart.filter((i) => i.state === 'DEGRADED').length,
      failed: atStart.filter((i) => i.state === 'FAILED').length,
      failedOver: atStart.filter((i) => failedOver.has(i.id)).length,
    },
    primariesAffected: affected.size,
    failoversComplete: failovers.filter((f) => f.state === 'complete').length,
    failoversFailed: failovers.filter((f) => f.state === 'failed').length,
    stillPromoting: members
      .filter((m) => m.state === 'STANDBY_PROMOTING')
      .map((m) => ({ pairId: m.pairId, instanceId: m.id })),
    usersWithoutActiveGateway: [...byPair.entries()]
      .map(([pairId, ms]) => ({ pairId, userId: ms[0]!.userId, condition: pairView(ms).condition }))
      .filter((u) => userAffected(u.condition))
      .sort((x, y) => x.pairId.localeCompare(y.pairId)),
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
