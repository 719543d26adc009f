/** Rows of the `instances` table and the queries the commands need. */
import type { Instance, InstanceState, Role } from '../domain/instance.js'
import type { Provider } from '../domain/provider.js'
import type { Tier } from '../domain/tier.js'
import { cached } from './statement-cache.js'
import type { Store } from './store.js'

interface InstanceRow {
  id: string
  pair_id: string
  user_id: string
  provider: string
  region: string
  tier: string
  role: string
  state: string
  provider_id: string | null
  ip: string | null
  tailscale_name: string | null
  node_id: string | null
  labels: string
  health_score: number | null
  last_heartbeat_at: string | null
  created_at: string
  updated_at: string
  gateway: string | null
}

function fromRow(r: InstanceRow): Instance {
  return {
    id: r.id,
    pairId: r.pair_id,
    userId: r.user_id,
    provider: r.provider as Provider,
    region: r.region,
    tier: r.tier as Tier,
    role: r.role as Role,
    state: r.state as InstanceState,
    providerId: r.provider_id,
    ip: r.ip,
    tailscaleName: r.tailscale_name,
    nodeId: r.node_id,
    labels: JSON.parse(r.labels),
    healthScore: r.health_score,
    lastHeartbeatAt: r.last_heartbeat_at,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    gateway: r.gateway,
  }
}

/** Column filters the store applies in SQL; label selectors are applied by the caller. */
export interface InstanceFilter {
  ids?: readonly string[]
  states?: readonly InstanceState[]
  providers?: readonly Provider[]
  regions?: readonly string[]
  tiers?: readonly Tier[]
  roles?: readonly Role[]
  pairId?: string
  userId?: string
  includeDeleted?: boolean
}

const INSERT = `INSERT INTO instances (id, pair_id, user_id, provider, region, tier, role, state, provider_id, ip,
  tailscale_name, node_id, labels, health_score, last_heartbeat_at, gateway, created_at, updated_at)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

/** The columns a health sweep needs of an instance. */
export interface ProbeTarget {
  id: string
  nodeId: string | null
  userId: string
  lastHeartbeatAt: string | null
  /** The gateway shard of its node (null: the operator's gateway). */
  gateway: string | null
}

/** The current health of the monitored instances of one provider region. */
export interface RegionHealth {
  provider: string
  region: string
  instances: number
  /** Instances scoring below the threshold asked for. */
  bad: number
  /** Mean current score (an instance never scored counts as 0). */
  score: number
}

/** The values of one row in column order (id first; created_at before updated_at for INSERT). */
function rowParams(i: Instance, withCreated = true): (string | number | null)[] {
  const v = [
    i.pairId,
    i.userId,
    i.provider,
    i.region,
    i.tier,
    i.role,
    i.state,
    i.providerId,
    i.ip,
    i.tailscaleName,
    i.nodeId,
    JSON.stringify(i.labels),
    i.healthScore,
    i.lastHeartbeatAt,
    i.gateway ?? null,
  ]
  return withCreated ? [i.id, ...v, i.createdAt, i.updatedAt] : [...v, i.updatedAt, i.id]
}

export class Instances {
  constructor(private readonly store: Store) {}

  insert(i: Instance): void {
    this.store.db.prepare(INSERT).run(...rowParams(i))
  }

  /** Inserts many rows in one transaction: all of them land or none. */
  insertMany(rows: readonly Instance[]): void {
    this.store.tx(() => {
      this.store.db.batch(
        INSERT,
        rows.map((i) => rowParams(i)),
      )
    })
  }

  get(id: string): Instance | undefined {
    const row = this.store.db.prepare('SELECT * FROM instances WHERE id = ?').get(id) as
      | InstanceRow
      | undefined
    return row && fromRow(row)
  }

  list(f: InstanceFilter = {}): Instance[] {
    const where: string[] = []
    const params: (string | number)[] = []
    const inList = (col: string, values: readonly string[] | undefined) => {
      if (!values) return
      if (values.length === 0) {
        where.push('1 = 0')
        return
      }
      where.push(`${col} IN (${values.map(() => '?').join(',')})`)
      params.push(...values)
    }
    inList('id', f.ids)
    inList('state', f.states)
    inList('provider', f.providers)
    inList('region', f.regions)
    inList('tier', f.tiers)
    inList('role', f.roles)
    if (f.pairId) {
      where.push('pair_id = ?')
      params.push(f.pairId)
    }
    if (f.userId) {
      where.push('user_id = ?')
      params.push(f.userId)
    }
    if (!f.includeDeleted && !f.states) where.push("state <> 'DELETED'")
    const sql = `SELECT * FROM instances${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY id`
    return (this.store.db.prepare(sql).all(...params) as unknown as InstanceRow[]).map(fromRow)
  }

  /** Sets fields of one instance; `updated_at` moves with every change. */
  update(id: string, patch: Partial<Omit<Instance, 'id' | 'createdAt' | 'updatedAt'>>): Instance {
    const current = this.get(id)
    if (!current) throw new Error(`instance ${id} does not exist`)
    const next: Instance = { ...current, ...patch, updatedAt: this.store.now() }
    this.store.db
      .prepare(
        `UPDATE instances SET pair_id = ?, user_id = ?, provider = ?, region = ?, tier = ?, role = ?, state = ?,
         provider_id = ?, ip = ?, tailscale_name = ?, node_id = ?, labels = ?, health_score = ?, last_heartbeat_at = ?,
         gateway = ?, updated_at = ? WHERE id = ?`,
      )
      .run(...rowParams(next, false))
    return next
  }

  /**
   * Users with an instance (not DELETED) that every given field matches; with no field, every user of
   * the fleet.
   */
  countUsers(scope: {
    provider?: string | null
    region?: string | null
    instanceId?: string | null
  }): number {
    const where = ["state <> 'DELETED'"]
    const params: string[] = []
    for (const [col, v] of [
      ['provider', scope.provider],
      ['region', scope.region],
      ['id', scope.instanceId],
    ] as const) {
      if (v == null) continue
      where.push(`${col} = ?`)
      params.push(v)
    }
    const sql = `SELECT count(DISTINCT user_id) AS n FROM instances WHERE ${where.join(' AND ')}`
    return (cached(this.store.db, sql).get(...params) as { n: number }).n
  }

  count(): number {
    return (
      this.store.db.prepare("SELECT count(*) AS n FROM instances WHERE state <> 'DELETED'").get() as {
        n: number
      }
    ).n
  }

  /**
   * The node and state of one instance, or undefined when it is not in the store. One cached
   * statement: a rollout asks this once per instance.
   */
  nodeAndState(id: string): { nodeId: string | null; state: InstanceState } | undefined {
    const row = cached(this.store.db, 'SELECT node_id, state FROM instances WHERE id = ?').get(id) as
      | { node_id: string | null; state: InstanceState }
      | undefined
    return row && { nodeId: row.node_id, state: row.state }
  }

  /** The live (not DELETED) instance that holds a provider's server, if any. */
  holderOfServer(provider: Provider, serverId: string): string | undefined {
    return (
      cached(
        this.store.db,
        "SELECT id FROM instances WHERE provider = ? AND provider_id = ? AND state <> 'DELETED'",
      ).get(provider, serverId) as { id: string } | undefined
    )?.id
  }

  /** The id of the instance a gateway node belongs to (cached: presence asks on every node event). */
  idOfNode(nodeId: string): string | undefined {
    return (
      cached(this.store.db, 'SELECT id FROM instances WHERE node_id = ?').get(nodeId) as
        | { id: string }
        | undefined
    )?.id
  }

  /**
   * What a sweep probes: the instances in `states`, optionally only `ids`, by id. Only the four
   * columns a probe uses are read (10,000 full rows with their labels are most of a sweep's garbage).
   */
  /**
   * What a health sweep probes: instances in `states`, and in `joinedStates` only once their node has
   * joined (a BOOTSTRAPPING instance before that is provisioning's), optionally only `ids`.
   */
  probeTargets(
    states: readonly InstanceState[],
    ids?: readonly string[],
    joinedStates: readonly InstanceState[] = [],
  ): ProbeTarget[] {
    const inStates = states.map(() => '?').join(',')
    const joined = joinedStates.length
      ? ` OR (state IN (${joinedStates.map(() => '?').join(',')}) AND node_id IS NOT NULL)`
      : ''
    const inIds = ids ? ` AND id IN (${ids.map(() => '?').join(',') || "''"})` : ''
    return this.store.db
      .prepare(
        `SELECT id, node_id AS "nodeId", user_id AS "userId", last_heartbeat_at AS "lastHeartbeatAt", gateway FROM instances
         WHERE (state IN (${inStates})${joined})${inIds} ORDER BY id`,
      )
      .all(...states, ...joinedStates, ...(ids ?? [])) as unknown as ProbeTarget[]
  }

  /** The gateway shard an instance's node is on (null: the operator's gateway; undefined: no such instance). */
  gatewayOf(id: string): string | null | undefined {
    const row = cached(this.store.db, 'SELECT gateway FROM instances WHERE id = ?').get(id) as
      | { gateway: string | null }
      | undefined
    return row ? row.gateway : undefined
  }

  /** Live (not DELETED) instances per gateway shard; `null` counts rows from before shards. */
  gatewayLoad(): Map<string | null, number> {
    const rows = this.store.db
      .prepare(`SELECT gateway, count(*) AS n FROM instances WHERE state <> 'DELETED' GROUP BY gateway`)
      .all() as { gateway: string | null; n: number }[]
    return new Map(rows.map((r) => [r.gateway, Number(r.n)]))
  }

  /** Primaries (not deleted) at a provider, or in one region of it. */
  primariesIn(provider: string, region?: string): number {
    const r = region
      ? this.store.db
          .prepare(
            "SELECT count(*) AS n FROM instances WHERE role = 'primary' AND provider = ? AND region = ? AND state <> 'DELETED'",
          )
          .get(provider, region)
      : this.store.db
          .prepare(
            "SELECT count(*) AS n FROM instances WHERE role = 'primary' AND provider = ? AND state <> 'DELETED'",
          )
          .get(provider)
    return (r as { n: number }).n
  }

  /** Current health per provider region over the monitored instances (ACTIVE, DEGRADED, FAILED). */
  healthByRegion(badBelow: number): RegionHealth[] {
    return this.store.db
      .prepare(
        `SELECT provider, region, count(*) AS instances, count(CASE WHEN coalesce(health_score, 0) < ? THEN 1 END) AS bad,
                avg(coalesce(health_score, 0)) AS score
         FROM instances WHERE state IN ('ACTIVE', 'DEGRADED', 'FAILED') GROUP BY provider, region`,
      )
      .all(badBelow) as unknown as RegionHealth[]
  }
}
