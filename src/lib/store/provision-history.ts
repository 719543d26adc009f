/**
 * One row per member provisioned: where, how long each phase took (create, boot, join, first
 * healthy), how many create calls and servers it needed, or where it failed. Provider health scores and
 * capacity plans read it; provisioning writes it when a member is ACTIVE or given up, and keeps each
 * running member's progress (provision_members) so a resume continues the same try.
 */
import type { Role } from '../domain/instance.js'
import type { Provider } from '../domain/provider.js'
import type { Tier } from '../domain/tier.js'
import { newId } from '../ids.js'
import type { Store } from './store.js'

export interface ProvisionAttempt {
  id: string
  provider: Provider
  region: string
  tier: Tier
  role: Role
  instanceId: string | null
  pairId: string | null
  opId: string | null
  startedAt: string
  finishedAt: string
  outcome: 'ok' | 'failed'
  /** Provider create calls it took over all its tries (1 = clean; more = retried). */
  attempts: number
  /** Servers it took: a server that never came up is replaced (1 = the first one served). */
  tries?: number
  errorCode: string | null
  /** Milliseconds of each phase of the try that finished (null: not reached, or not measured). */
  phases?: PhaseTimings
  /** Where the last try failed. */
  failedPhase?: ProvisionPhase | null
}

export const PROVISION_PHASES = ['create', 'boot', 'join', 'health'] as const
export type ProvisionPhase = (typeof PROVISION_PHASES)[number]
export type PhaseTimings = Partial<Record<ProvisionPhase, number>>

const COLUMNS = `id, provider, region, tier, role, instance_id AS "instanceId", pair_id AS "pairId", op_id AS "opId",
  started_at AS "startedAt", finished_at AS "finishedAt", outcome, attempts, tries, error_code AS "errorCode",
  create_ms AS "createMs", boot_ms AS "bootMs", join_ms AS "joinMs", health_ms AS "healthMs",
  failed_phase AS "failedPhase"`

interface Row extends Omit<ProvisionAttempt, 'phases'> {
  createMs: number | null
  bootMs: number | null
  joinMs: number | null
  healthMs: number | null
}

function fromRow({ createMs, bootMs, joinMs, healthMs, ...r }: Row): ProvisionAttempt {
  const phases: PhaseTimings = {}
  if (createMs !== null) phases.create = createMs
  if (bootMs !== null) phases.boot = bootMs
  if (joinMs !== null) phases.join = joinMs
  if (healthMs !== null) phases.health = healthMs
  return { ...r, phases }
}

export class ProvisionHistory {
  constructor(private readonly store: Store) {}

  /** Records attempts; an id seen before is replaced, so a resumed operation can record again. */
  record(rows: readonly (Omit<ProvisionAttempt, 'id'> & { id?: string })[]): void {
    this.store.tx(() => {
      this.store.db.batch(
        `INSERT INTO provision_attempts (id, provider, region, tier, role, instance_id, pair_id, op_id,
           started_at, finished_at, outcome, attempts, tries, error_code, create_ms, boot_ms, join_ms, health_ms,
           failed_phase) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET provider = excluded.provider, region = excluded.region, tier = excluded.tier,
           role = excluded.role, instance_id = excluded.instance_id, pair_id = excluded.pair_id, op_id = excluded.op_id,
           started_at = excluded.started_at, finished_at = excluded.finished_at, outcome = excluded.outcome,
           attempts = excluded.attempts, tries = excluded.tries, error_code = excluded.error_code,
           create_ms = excluded.create_ms, boot_ms = excluded.boot_ms, join_ms = excluded.join_ms,
           health_ms = excluded.health_ms, failed_phase = excluded.failed_phase`,
        rows.map((r) => {
          const ms = (p: ProvisionPhase) => (r.phases?.[p] === undefined ? null : Math.round(r.phases[p]!))
          return [
            r.id ?? newId('prov'),
            r.provider,
            r.region,
            r.tier,
            r.role,
            r.instanceId,
            r.pairId,
            r.opId,
            r.startedAt,
            r.finishedAt,
            r.outcome,
            r.attempts,
            r.tries ?? 1,
            r.errorCode,
            ms('create'),
            ms('boot'),
            ms('join'),
            ms('health'),
            r.failedPhase ?? null,
          ]
        }),
      )
    })
  }

  /** Attempts started in [since, until). */
  between(since: string, until: string): ProvisionAttempt[] {
    return (
      this.store.db
        .prepare(
          `SELECT ${COLUMNS} FROM provision_attempts WHERE started_at >= ? AND started_at < ? ORDER BY started_at`,
        )
        .all(since, until) as unknown as Row[]
    ).map(fromRow)
  }

  /** The median of each phase over a provider's successful provisions since a time (null: none measured). */
  phaseMedians(provider: string, since: string): Record<ProvisionPhase, number | null> {
    const out = {} as Record<ProvisionPhase, number | null>
    for (const p of PROVISION_PHASES) {
      const col = `${p}_ms`
      const rows = this.store.db
        .prepare(
          `SELECT ${col} AS ms FROM provision_attempts WHERE provider = ? AND started_at >= ? AND outcome = 'ok'
           AND ${col} IS NOT NULL ORDER BY ${col}`,
        )
        .all(provider, since) as { ms: number }[]
      out[p] = rows.length ? rows[Math.floor(rows.length / 2)]!.ms : null
    }
    return out
  }
}

/** A member's progress while its provisioning runs: its try, the create calls so far, its phases. */
export interface MemberProgress {
  opId: string
  instanceId: string
  try: number
  createCalls: number
  /** The server of a failed try still being deleted before the next try starts. */
  retiring: string | null
  phases: PhaseTimings
  failures: { try: number; phase: ProvisionPhase; serverId: string | null; error: string }[]
  startedAt: string
}

export class ProvisionProgress {
  constructor(private readonly store: Store) {}

  get(opId: string, instanceId: string): MemberProgress | null {
    const r = this.store.db
      .prepare(
        `SELECT op_id AS "opId", instance_id AS "instanceId", try, create_calls AS "createCalls", retiring, phases,
           failures, started_at AS "startedAt" FROM provision_members WHERE op_id = ? AND instance_id = ?`,
      )
      .get(opId, instanceId) as
      | (Omit<MemberProgress, 'phases' | 'failures'> & { phases: string; failures: string })
      | undefined
    return r ? { ...r, phases: JSON.parse(r.phases), failures: JSON.parse(r.failures) } : null
  }

  /** The member's progress, started now if this is its first run. */
  begin(opId: string, instanceId: string): MemberProgress {
    const now = this.store.now()
    this.store.db
      .prepare(
        `INSERT INTO provision_members (op_id, instance_id, started_at, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT DO NOTHING`,
      )
      .run(opId, instanceId, now, now)
    return this.get(opId, instanceId)!
  }

  save(p: MemberProgress): void {
    this.store.db
      .prepare(
        `UPDATE provision_members SET try = ?, create_calls = ?, retiring = ?, phases = ?, failures = ?, updated_at = ?
         WHERE op_id = ? AND instance_id = ?`,
      )
      .run(
        p.try,
        p.createCalls,
        p.retiring,
        JSON.stringify(p.phases),
        JSON.stringify(p.failures),
        this.store.now(),
        p.opId,
        p.instanceId,
      )
  }
}

/**
 * For the provision operation: record how bringing one member up went. `attempts` counts provider
 * create calls (a retry after a 5xx or a server that never booted counts), `tries` the servers.
 */
export function recordProvision(store: Store, attempt: Omit<ProvisionAttempt, 'id'> & { id?: string }): void {
  store.repo(ProvisionHistory).record([attempt])
}
