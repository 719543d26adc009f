/**
 * One row per provisioning attempt of a server: where, how long it took, whether it needed retries or
 * failed. Provider health scores and capacity plans read it; the provision operation writes it when a
 * server reaches its first state (ACTIVE, or given up).
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
  /** Provider create calls it took (1 = clean; more = retried). */
  attempts: number
  errorCode: string | null
}

const COLUMNS = `id, provider, region, tier, role, instance_id AS "instanceId", pair_id AS "pairId", op_id AS "opId",
  started_at AS "startedAt", finished_at AS "finishedAt", outcome, attempts, error_code AS "errorCode"`

export class ProvisionHistory {
  constructor(private readonly store: Store) {}

  /** Records attempts; an id seen before is replaced, so a resumed operation can record again. */
  record(rows: readonly (Omit<ProvisionAttempt, 'id'> & { id?: string })[]): void {
    this.store.tx(() => {
      this.store.db.batch(
        `INSERT INTO provision_attempts (id, provider, region, tier, role, instance_id, pair_id, op_id,
           started_at, finished_at, outcome, attempts, error_code) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET provider = excluded.provider, region = excluded.region, tier = excluded.tier,
           role = excluded.role, instance_id = excluded.instance_id, pair_id = excluded.pair_id, op_id = excluded.op_id,
           started_at = excluded.started_at, finished_at = excluded.finished_at, outcome = excluded.outcome,
           attempts = excluded.attempts, error_code = excluded.error_code`,
        rows.map((r) => [
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
          r.errorCode,
        ]),
      )
    })
  }

  /** Attempts started in [since, until). */
  between(since: string, until: string): ProvisionAttempt[] {
    return this.store.db
      .prepare(
        `SELECT ${COLUMNS} FROM provision_attempts WHERE started_at >= ? AND started_at < ? ORDER BY started_at`,
      )
      .all(since, until) as unknown as ProvisionAttempt[]
  }
}

/**
 * For the provision operation: record how creating one server went. `attempts` counts provider
 * create calls (a retry after a 5xx or a server that never booted counts).
 */
export function recordProvision(store: Store, attempt: Omit<ProvisionAttempt, 'id'> & { id?: string }): void {
  store.repo(ProvisionHistory).record([attempt])
}
