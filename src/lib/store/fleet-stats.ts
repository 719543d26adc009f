/** Aggregate queries over the fleet, computed in SQL so `fleet status` stays fast on 10,000 pairs. */
import type { InstanceState, Role } from '../domain/instance.js'
import { type PairCondition, pairView } from '../domain/pair.js'
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

/** A pair whose primary role is not held by an ACTIVE instance, with what that means for its user. */
export interface PairGap {
  pairId: string
  userId: string
  condition: PairCondition
  members: GapMember[]
}

export interface GapMember {
  id: string
  role: Role
  state: InstanceState
  provider: Provider
  region: string
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

  /**
   * Pairs with live members whose primary role is not held by an ACTIVE instance, each with its
   * condition (domain/pair.ts: degraded, promoting, at-risk, unserved, creating), and among them those
   * with no ACTIVE member at all (users without a working gateway). One pass: the subquery finds the
   * few such pairs, then only their members are read.
   */
  pairGaps(f: FleetFilter = {}): { withoutActive: PairGap[]; withoutActivePrimary: PairGap[] } {
    const s = pairScope(f)
    const rows = this.store.db
      .prepare(
        `SELECT pair_id AS "pairId", user_id AS "userId", id, role, state, provider, region FROM instances
         WHERE state <> 'DELETED' AND pair_id IN (
           SELECT pair_id FROM instances WHERE state <> 'DELETED'${s.sql} GROUP BY pair_id
           HAVING count(CASE WHEN role = 'primary' AND state = 'ACTIVE' THEN 1 END) = 0)
         ORDER BY pair_id, role, id`,
      )
      .all(...s.params) as unknown as (GapMember & { pairId: string; userId: string })[]
    const gaps = new Map<string, PairGap>()
    for (const { pairId, userId, ...m } of rows) {
      let g = gaps.get(pairId)
      if (!g) {
        g = { pairId, userId, condition: 'unserved', members: [] }
        gaps.set(pairId, g)
      }
      g.members.push(m)
    }
    for (const g of gaps.values()) g.condition = pairView(g.members).condition
    const withoutActivePrimary = [...gaps.values()]
    return {
      withoutActivePrimary,
      withoutActive: withoutActivePrimary.filter((g) => g.members.every((m) => m.state !== 'ACTIVE')),
    }
  }

  /** Pairs with live members and no ACTIVE primary, each with its condition. */
  pairsWithoutActivePrimary(): PairGap[] {
    return this.pairGaps().withoutActivePrimary
  }

  regionHealth(f: FleetFilter = {}): RegionHealth[] {
    const w = where(f)
    return (
      this.store.db
        .prepare(
          `SELECT provider, region, count(*) AS instances, count(CASE WHEN state = 'ACTIVE' THEN 1 END) AS active,
             count(CASE WHEN state = 'DEGRADED' THEN 1 END) AS degraded,
             count(CASE WHEN state = 'FAILED' THEN 1 END) AS failed, avg(health_score) AS "avgHealth"
           FROM instances WHERE ${w.sql} GROUP BY provider, region ORDER BY provider, region`,
        )
        .all(...w.params) as unknown as RegionHealth[]
    ).map((r) => ({ ...r, avgHealth: r.avgHealth === null ? null : Math.round(r.avgHealth * 10) / 10 }))
  }
}
