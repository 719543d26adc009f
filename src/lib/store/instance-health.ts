/**
 * The monitor's memory per instance: last probe and score, since when it has been bad (to time
 * DEGRADED → FAILED), what presence last said, and the last heal (so heals are not repeated every
 * cycle).
 */
import type { InstanceState } from '../domain/instance.js'
import { cached } from './statement-cache.js'
import type { Store } from './store.js'

export interface HealthMemory {
  instanceId: string
  lastProbeAt: string | null
  lastScore: number | null
  /** Start of the current run of bad probes (score below the DEGRADED threshold); null when good. */
  badSince: string | null
  /** What presence said last: true connected, false disconnected, null never heard. */
  connected: boolean | null
  presenceAt: string | null
  lastHealAt: string | null
  lastHealOp: string | null
  lastError: string | null
}

interface Row {
  instance_id: string
  last_probe_at: string | null
  last_score: number | null
  bad_since: string | null
  connected: number | null
  presence_at: string | null
  last_heal_at: string | null
  last_heal_op: string | null
  last_error: string | null
}

const fromRow = (r: Row): HealthMemory => ({
  instanceId: r.instance_id,
  lastProbeAt: r.last_probe_at,
  lastScore: r.last_score,
  badSince: r.bad_since,
  connected: r.connected === null ? null : r.connected === 1,
  presenceAt: r.presence_at,
  lastHealAt: r.last_heal_at,
  lastHealOp: r.last_heal_op,
  lastError: r.last_error,
})

const EMPTY = (instanceId: string): HealthMemory => ({
  instanceId,
  lastProbeAt: null,
  lastScore: null,
  badSince: null,
  connected: null,
  presenceAt: null,
  lastHealAt: null,
  lastHealOp: null,
  lastError: null,
})

export class InstanceHealth {
  constructor(private readonly store: Store) {}

  get(instanceId: string): HealthMemory {
    const r = cached(this.store.db, 'SELECT * FROM instance_health WHERE instance_id = ?').get(instanceId) as
      | Row
      | undefined
    return r ? fromRow(r) : EMPTY(instanceId)
  }

  /** Every remembered instance, for a sweep (one query instead of one per instance). */
  all(): Map<string, HealthMemory> {
    const rows = this.store.db.prepare('SELECT * FROM instance_health').all() as unknown as Row[]
    return new Map(rows.map((r) => [r.instance_id, fromRow(r)]))
  }

  /** Merges `patch` into the instance's memory. */
  update(instanceId: string, patch: Partial<Omit<HealthMemory, 'instanceId'>>): HealthMemory {
    const next = { ...this.get(instanceId), ...patch }
    cached(
      this.store.db,
      `INSERT INTO instance_health (instance_id, last_probe_at, last_score, bad_since, connected, presence_at,
           last_heal_at, last_heal_op, last_error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (instance_id) DO UPDATE SET last_probe_at = excluded.last_probe_at,
           last_score = excluded.last_score, bad_since = excluded.bad_since, connected = excluded.connected,
           presence_at = excluded.presence_at, last_heal_at = excluded.last_heal_at,
           last_heal_op = excluded.last_heal_op, last_error = excluded.last_error`,
    ).run(
      instanceId,
      next.lastProbeAt,
      next.lastScore,
      next.badSince,
      next.connected === null ? null : Number(next.connected),
      next.presenceAt,
      next.lastHealAt,
      next.lastHealOp,
      next.lastError,
    )
    return next
  }

  /** The health side of an instance row, read with a cached statement (the sweep reads one per instance). */
  instanceRow(id: string): HealthRow | undefined {
    return cached(
      this.store.db,
      `SELECT id, pair_id AS "pairId", role, provider, region, state, health_score AS "healthScore",
         last_heartbeat_at AS "lastHeartbeatAt", created_at AS "createdAt" FROM instances WHERE id = ?`,
    ).get(id) as HealthRow | undefined
  }

  /** Writes an instance's score, heartbeat and state (the sweep writes one per instance). */
  setInstanceHealth(
    id: string,
    h: { healthScore: number; lastHeartbeatAt: string | null; state: InstanceState },
  ): void {
    cached(
      this.store.db,
      'UPDATE instances SET health_score = ?, last_heartbeat_at = ?, state = ?, updated_at = ? WHERE id = ?',
    ).run(h.healthScore, h.lastHeartbeatAt, h.state, this.store.now(), id)
  }
}

export interface HealthRow {
  id: string
  pairId: string
  role: string
  provider: string
  region: string
  state: InstanceState
  healthScore: number | null
  lastHeartbeatAt: string | null
  createdAt: string
}
