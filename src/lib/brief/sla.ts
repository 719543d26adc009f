/**
 * SLA breaches, defined precisely: a user (pair) without a working gateway for longer than
 * `briefer.sla.maxUnservedMinutes` (10). Without a working gateway means no ACTIVE primary and none
 * DEGRADED still holding the role: the pair is at-risk, unserved or promoting (src/lib/domain/pair.ts).
 *
 * An unserved stretch starts when watch announced PAIR_FAILED (no ACTIVE member) or PAIR_NO_PRIMARY
 * (an ACTIVE standby never promoted) for the pair (the detector, the heal tree and failover announce
 * them the moment they see it). It ends at the pair's next FAILOVER_COMPLETE, HEAL_COMPLETE or
 * INSTANCE_RECOVERED event (every way back to ACTIVE announces one of these), or it is still going
 * when the pair is unserved now. A pair that is unserved now without such an announcement (watch was
 * not running) started at watch's open `pair-failed:` or `pair-no-primary:` episode if any, else at
 * the last heartbeat any member sent. Pairs whose members are all still being created never had a
 * gateway: they are provisioning, not breaches.
 *
 * A breach that ended belongs to the window in which it crossed the limit (start + limit), so
 * consecutive daily briefings report it once; one still going is reported by every briefing.
 */
import type { Instance } from '../domain/instance.js'
import { userUnserved } from '../domain/pair.js'
import { Episodes } from '../store/episodes.js'
import { FleetEvents } from '../store/fleet-events.js'
import type { PairGap } from '../store/fleet-stats.js'
import { Instances } from '../store/instances.js'
import type { Store } from '../store/store.js'

const MINUTE = 60_000
const LOOKBACK_MS = 30 * 24 * 60 * MINUTE
const RESTORED = ['FAILOVER_COMPLETE', 'HEAL_COMPLETE', 'INSTANCE_RECOVERED'] as const
const STARTED = ['PAIR_FAILED', 'PAIR_NO_PRIMARY'] as const

export interface SlaBreach {
  pairId: string
  userId: string | null
  provider: string | null
  region: string | null
  startedAt: string
  /** null while it lasts. */
  endedAt: string | null
  minutes: number
  ongoing: boolean
  /** How the start is known: a PAIR_FAILED event, watch's open episode, or the last heartbeat. */
  startSource: 'event' | 'episode' | 'heartbeat'
}

export interface SlaFacts {
  maxUnservedMinutes: number
  breaches: SlaBreach[]
  /** Pairs without a working gateway now (at-risk, unserved or promoting; fleet status `pairsWithoutActivePrimary`). */
  unservedNow: number
}

interface Stretch {
  pairId: string
  userId: string | null
  provider: string | null
  region: string | null
  start: number
  end: number | null
  source: SlaBreach['startSource']
}

export function slaBreaches(
  store: Store,
  o: { since: string; until: string; maxUnservedMinutes: number; unservedPairs: readonly PairGap[] },
): SlaFacts {
  const limit = o.maxUnservedMinutes * MINUTE
  const sinceMs = Date.parse(o.since)
  const untilMs = Date.parse(o.until)
  const events = store.repo(FleetEvents)
  const instances = store.repo(Instances)
  const unserved = new Map<string, Instance[]>()
  for (const p of o.unservedPairs) {
    if (!userUnserved(p.condition)) continue
    unserved.set(p.pairId, instances.list({ pairId: p.pairId }))
  }

  // Announced stretches that could have crossed the limit inside the window.
  const failed = events.list({
    types: [...STARTED],
    since: new Date(Math.max(sinceMs - LOOKBACK_MS, 0)).toISOString(),
    until: o.until,
  })
  const stretches: Stretch[] = []
  const restoredByPair = new Map<string, number[]>()
  if (failed.length > 0) {
    const pairIds = [...new Set(failed.map((e) => e.pairId).filter((p): p is string => p !== null))]
    for (const e of events.list({ types: RESTORED, pairIds, since: failed[0]!.createdAt, until: o.until })) {
      if (e.pairId)
        restoredByPair.set(e.pairId, [...(restoredByPair.get(e.pairId) ?? []), Date.parse(e.createdAt)])
    }
  }
  const covered = new Set<string>()
  const lastEnd = new Map<string, number | null>()
  for (const e of failed) {
    if (!e.pairId) continue
    const start = Date.parse(e.createdAt)
    // PAIR_NO_PRIMARY then PAIR_FAILED (the standby went too) is one stretch, not two.
    const prev = lastEnd.get(e.pairId)
    if (prev === null || (prev !== undefined && start < prev)) continue
    const end = (restoredByPair.get(e.pairId) ?? []).find((t) => t >= start) ?? null
    if (end === null) {
      // Still unserved now: it lasts; served again without a recorded way back: its end is unknown.
      if (!unserved.has(e.pairId)) continue
      covered.add(e.pairId)
    }
    lastEnd.set(e.pairId, end)
    const data = (e.payload as { data?: { userId?: string } } | null)?.data
    stretches.push({
      pairId: e.pairId,
      userId: data?.userId ?? null,
      provider: e.provider,
      region: e.region,
      start,
      end,
      source: 'event',
    })
  }
  // Unserved now without an announcement.
  const episodes = store.repo(Episodes)
  for (const [pairId, members] of unserved) {
    if (covered.has(pairId)) continue
    const episode = episodes.get(`pair-failed:${pairId}`) ?? episodes.get(`pair-no-primary:${pairId}`)
    const beats = members.map((m) => m.lastHeartbeatAt).filter((h): h is string => h !== null)
    const start = episode ?? beats.sort().at(-1) ?? null
    if (start === null) continue
    const primary = members.find((m) => m.role === 'primary') ?? members[0]
    stretches.push({
      pairId,
      userId: primary?.userId ?? null,
      provider: primary?.provider ?? null,
      region: primary?.region ?? null,
      start: Date.parse(start),
      end: null,
      source: episode ? 'episode' : 'heartbeat',
    })
  }

  const breaches: SlaBreach[] = []
  for (const s of stretches) {
    const crossed = s.start + limit
    const lasted = (s.end ?? untilMs) - s.start
    if (lasted <= limit || crossed >= untilMs) continue
    // An ongoing breach is reported in every briefing while it lasts; an ended one once.
    if (s.end !== null && crossed < sinceMs) continue
    breaches.push({
      pairId: s.pairId,
      userId: s.userId,
      provider: s.provider,
      region: s.region,
      startedAt: new Date(s.start).toISOString(),
      endedAt: s.end === null ? null : new Date(s.end).toISOString(),
      minutes: Math.round(lasted / MINUTE),
      ongoing: s.end === null,
      startSource: s.source,
    })
  }
  breaches.sort((a, b) => a.startedAt.localeCompare(b.startedAt) || a.pairId.localeCompare(b.pairId))
  return { maxUnservedMinutes: o.maxUnservedMinutes, breaches, unservedNow: unserved.size }
}
