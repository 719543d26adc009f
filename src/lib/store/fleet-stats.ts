/** Aggregate queries over the fleet, computed in SQL so `fleet status` stays fast on 10,000 pairs. */
import type { InstanceState } from '../domain/instance.js'
import type { Provider } from '../domain/provider.js'
import type { Tier } from '../domain/tier.js'
import type { Store } from './store.js'

export interface Bucket {
  provider: Provider
  region: string
  tier: Tier
  state: InstanceState
  n: number
}

export interface PairGap {
  pairId: string
  userId: string
  states: string
}

/** Live instances of one provider region, by health. */
export interface RegionHealth {
  provider: Provider
  region: string
  instances: number
  active: number
  degraded: number
  failed: number
  /** Mean health score of the instances that have one; null when none has. */
  avgHealth: number | null
}

/** Narrows the live instances (and the pairs with a member among them). */
export interface FleetFilter {
  provider?: string
  region?: string
  state?: string
}

function where(f: FleetFilter): { sql: string; params: string[] } {
  const parts = ["state <> 'DELETED'"]
  const params: string[] = []
  if (f.provider) {
    parts.push('provider = ?')
    params.push(f.provider)
  }
  if (f.region) {
    parts.push('region = ?')
    params.push(f.region)
  }
  if (f.state) {
    parts.push('state = ?')
    params.push(f.state)
  }
  return { sql: parts.join(' AND '), params }
}

/** Pairs with a live member matching the filter (every live pair when there is none). */
function pairScope(f: FleetFilter): { sql: string; params: string[] } {
  if (!f.provider && !f.region && !f.state) return { sql: '', params: [] }
  const w = where(f)
  return { sql: ` AND pair_id IN (SELECT pair_id FROM instances WHERE ${w.sql})`, params: w.params }
}

/**
 * Members primary first (role:state sorts so). Sorted here for the few pairs returned: an ORDER BY
 * inside group_concat costs SQLite a sort per group, 10× the query on 10,000 pairs.
 */
function membersInOrder(g: PairGap): PairGap {
  return { ...g, states: g.states.split(',').sort().join(',') }
}

export class FleetStats {
  constructor(private readonly store: Store) {}

  /** Live instances counted by every dimension at once; callers fold the buckets as they need. */
  buckets(f: FleetFilter = {}): Bucket[] {
    const w = where(f)
    return this.store.db
      .prepare(
        `SELECT provider, region, tier, state, count(*) AS n FROM instances
         WHERE ${w.sql} GROUP BY provider, region, tier, state`,
      )
      .all(...w.params) as unknown as Bucket[]
  }

  pairCount(f: FleetFilter = {}): number {
    const w = where(f)
    return (
      this.store.db
        .prepare(`SELECT count(DISTINCT pair_id) AS n FROM instances WHERE ${w.sql}`)
        .get(...w.params) as { n: number }
    ).n
  }

  /** Pairs with live members but none ACTIVE: users without a working gateway. */
  pairsWithoutActive(f: FleetFilter = {}): PairGap[] {
    const s = pairScope(f)
    return (
      this.store.db
        .prepare(
          `SELECT pair_id AS pairId, user_id AS userId, group_concat(role || ':' || state, ',') AS states
         FROM instances WHERE state <> 'DELETED'${s.sql}
         GROUP BY pair_id HAVING sum(state = 'ACTIVE') = 0 ORDER BY pair_id`,
        )
        .all(...s.params) as unknown as PairGap[]
    ).map(membersInOrder)
  }

  /**
   * Both gap lists in one pass over the pairs (the snapshot's): pairs with live members whose primary
   * is not ACTIVE (FAILED, DEGRADED, promoting, or none: the user is served by the standby, by a sick
   * primary, or not at all), and among them those with no ACTIVE member at all.
   */
  pairGaps(f: FleetFilter = {}): { withoutActive: PairGap[]; withoutActivePrimary: PairGap[] } {
    const s = pairScope(f)
    const rows = this.store.db
      .prepare(
        `SELECT pair_id AS pairId, user_id AS userId, group_concat(role || ':' || state, ',') AS states,
           sum(state = 'ACTIVE') AS active
         FROM instances WHERE state <> 'DELETED'${s.sql}
         GROUP BY pair_id HAVING sum(role = 'primary' AND state = 'ACTIVE') = 0 ORDER BY pair_id`,
      )
      .all(...s.params) as unknown as (PairGap & { active: number })[]
    const withoutActivePrimary = rows.map(({ active: _, ...g }) => membersInOrder(g))
    return {
      withoutActivePrimary,
      withoutActive: withoutActivePrimary.filter((_, i) => rows[i]!.active === 0),
    }
  }

  regionHealth(f: FleetFilter = {}): RegionHealth[] {
    const w = where(f)
    return (
      this.store.db
        .prepare(
          `SELECT provider, region, count(*) AS instances, sum(state = 'ACTIVE') AS active,
             sum(state = 'DEGRADED') AS degraded, sum(state = 'FAILED') AS failed, avg(health_score) AS avgHealth
           FROM instances WHERE ${w.sql} GROUP BY provider, region ORDER BY provider, region`,
        )
        .all(...w.params) as unknown as RegionHealth[]
    ).map((r) => ({ ...r, avgHealth: r.avgHealth === null ? null : Math.round(r.avgHealth * 10) / 10 }))
  }
}
