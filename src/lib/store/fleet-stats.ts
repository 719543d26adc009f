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

export class FleetStats {
  constructor(private readonly store: Store) {}

  /** Live instances counted by every dimension at once; callers fold the buckets as they need. */
  buckets(): Bucket[] {
    return this.store.db
      .prepare(
        `SELECT provider, region, tier, state, count(*) AS n FROM instances
         WHERE state <> 'DELETED' GROUP BY provider, region, tier, state`,
      )
      .all() as unknown as Bucket[]
  }

  pairCount(): number {
    return (
      this.store.db
        .prepare(`SELECT count(DISTINCT pair_id) AS n FROM instances WHERE state <> 'DELETED'`)
        .get() as { n: number }
    ).n
  }

  /** Pairs with live members and no ACTIVE primary, each with its condition (domain/pair.ts). */
  pairsWithoutActivePrimary(): PairGap[] {
    const rows = this.store.db
      .prepare(
        `SELECT pair_id AS pairId, user_id AS userId, id, role, state, provider, region FROM instances
         WHERE state <> 'DELETED' AND pair_id IN (
           SELECT pair_id FROM instances WHERE state <> 'DELETED' GROUP BY pair_id
           HAVING sum(role = 'primary' AND state = 'ACTIVE') = 0)
         ORDER BY pair_id, role, id`,
      )
      .all() as unknown as (GapMember & { pairId: string; userId: string })[]
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
    return [...gaps.values()]
  }
}
