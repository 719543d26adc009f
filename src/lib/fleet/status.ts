/**
 * `clawops fleet status`: counts by state, provider, region and tier; the degraded and failed
 * instances; the fleet's monthly cost; pairs without an ACTIVE primary, each with its condition.
 */
import type { Context } from '../context.js'
import { type Currency, monthlyUsdCents } from '../domain/catalog.js'
import type { Instance } from '../domain/instance.js'
import { FleetStats, type PairGap } from '../store/fleet-stats.js'
import { Instances } from '../store/instances.js'

export interface InstanceBrief {
  id: string
  pairId: string
  userId: string
  provider: string
  region: string
  role: string
  state: string
  healthScore: number | null
  lastHeartbeatAt: string | null
}

export interface FleetStatus {
  pairs: number
  instances: number
  byState: Record<string, number>
  byProvider: Record<string, number>
  byRegion: Record<string, number>
  byTier: Record<string, number>
  degraded: InstanceBrief[]
  failed: InstanceBrief[]
  /** Pairs whose primary role is not held by an ACTIVE instance (at-risk, unserved, degraded, …). */
  pairsWithoutActivePrimary: PairGap[]
  monthlyCost: { usdCents: number; byProvider: Record<string, number>; rates: Record<string, number> }
}

function brief(i: Instance): InstanceBrief {
  return {
    id: i.id,
    pairId: i.pairId,
    userId: i.userId,
    provider: i.provider,
    region: i.region,
    role: i.role,
    state: i.state,
    healthScore: i.healthScore,
    lastHeartbeatAt: i.lastHeartbeatAt,
  }
}

function add(map: Record<string, number>, key: string, n: number): void {
  map[key] = (map[key] ?? 0) + n
}

export function fleetStatus(ctx: Context): FleetStatus {
  const store = ctx.store()
  const stats = store.repo(FleetStats)
  const rates = ctx.config().currency.rates as Record<Currency, number>
  const status: FleetStatus = {
    pairs: stats.pairCount(),
    instances: 0,
    byState: {},
    byProvider: {},
    byRegion: {},
    byTier: {},
    degraded: [],
    failed: [],
    pairsWithoutActivePrimary: stats.pairsWithoutActivePrimary(),
    monthlyCost: { usdCents: 0, byProvider: {}, rates },
  }
  for (const b of stats.buckets()) {
    status.instances += b.n
    add(status.byState, b.state, b.n)
    add(status.byProvider, b.provider, b.n)
    add(status.byRegion, `${b.provider}/${b.region}`, b.n)
    add(status.byTier, b.tier, b.n)
    const cost = b.n * monthlyUsdCents(b.provider, b.tier, rates)
    status.monthlyCost.usdCents += cost
    add(status.monthlyCost.byProvider, b.provider, cost)
  }
  const instances = store.repo(Instances)
  status.degraded = instances.list({ states: ['DEGRADED'] }).map(brief)
  status.failed = instances.list({ states: ['FAILED'] }).map(brief)
  return status
}
