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

  /** Pairs with live members but none ACTIVE: users without a working gateway. */
  pairsWithoutActive(): PairGap[] {
    return this.store.db
      .prepare(
        `SELECT pair_id AS pairId, user_id AS userId, group_concat(role || ':' || state, ',') AS states
         FROM instances WHERE state <> 'DELETED'
         GROUP BY pair_id HAVING sum(state = 'ACTIVE') = 0 ORDER BY pair_id`,
      )
      .all() as unknown as PairGap[]
  }
}
