/**
 * Config rollouts (`clawops config push`) and their per-instance rows: where each instance of a push
 * stands, what happened to it, and the hashes that let a resumed push tell "applied" from "not yet"
 * and a rollback undo exactly what the push did. The operations journal says which batch step ran;
 * these rows say what happened inside it.
 */

import type { Role } from '../domain/instance.js'
import type { FailureBudget, RestartPolicy } from '../domain/rollout.js'
import type { Change } from '../gateway/config-diff.js'
import { cached } from './statement-cache.js'
import type { Store } from './store.js'

export type RolloutKind = 'push' | 'rollback'
export const ROLLOUT_STATUSES = [
  'running',
  'pausing',
  'paused',
  'halted',
  'complete',
  'rolling-back',
  'rolled-back',
] as const
export type RolloutStatus = (typeof ROLLOUT_STATUSES)[number]

export interface RolloutSettings {
  batchSize: number
  canary: number
  pauseMs: number
  maxFailures: FailureBudget
  allAtOnce: boolean
  restart: RestartPolicy
  /** Instances of one batch in flight at once. */
  concurrency: number
}

export interface BudgetAccepted {
  processed: number
  failed: number
}

export interface Rollout {
  id: string
  opId: string
  planId: string
  kind: RolloutKind
  version: number
  /** A rollback: the push rollout it undoes. */
  revertsRollout: string | null
  status: RolloutStatus
  settings: RolloutSettings
  batches: number
  currentBatch: number
  /** Failures an operator accepted by resuming after a halt; the budget judges what came after. */
  accepted: BudgetAccepted | null
  reason: string | null
  actor: string
  createdAt: string
  updatedAt: string
  finishedAt: string | null
}

export type TargetState = 'pending' | 'pushing' | 'done'
export type TargetOutcome = 'applied' | 'unchanged' | 'skipped' | 'failed'
export type RevertState = 'reverting' | 'reverted' | 'superseded' | 'failed'

export interface RolloutTarget {
  rolloutId: string
  instanceId: string
  batch: number
  pos: number
  pairId: string
  userId: string
  role: Role
  state: TargetState
  outcome: TargetOutcome | null
  /** Why, in one word: malformed, no-config, invalid, patch, unhealthy, unreachable, timeout, conflict, … */
  reason: string | null
  detail: string | null
  preHash: string | null
  prePrevHash: string | null
  candidateDigest: string | null
  changeDigest: string | null
  postHash: string | null
  restart: boolean | null
  healthy: boolean | null
  revertState: RevertState | null
  revertDetail: string | null
  attempts: number
  updatedAt: string
}

export interface TargetSeed {
  instanceId: string
  batch: number
  pos: number
  pairId: string
  userId: string
  role: Role
}

export interface OutcomeCounts {
  total: number
  pending: number
  inFlight: number
  applied: number
  unchanged: number
  skipped: number
  failed: number
  reverted: number
}

interface RolloutRow {
  id: string
  op_id: string
  plan_id: string
  kind: RolloutKind
  version: number
  reverts_rollout: string | null
  status: RolloutStatus
  settings: string
  batches: number
  current_batch: number
  accepted: string | null
  reason: string | null
  actor: string
  created_at: string
  updated_at: string
  finished_at: string | null
}

interface TargetRow {
  rollout_id: string
  instance_id: string
  batch: number
  pos: number
  pair_id: string
  user_id: string
  role: Role
  state: TargetState
  outcome: TargetOutcome | null
  reason: string | null
  detail: string | null
  pre_hash: string | null
  pre_prev_hash: string | null
  candidate_digest: string | null
  change_digest: string | null
  post_hash: string | null
  restart: number | null
  healthy: number | null
  revert_state: RevertState | null
  revert_detail: string | null
  attempts: number
  updated_at: string
}

function rolloutFromRow(r: RolloutRow): Rollout {
  return {
    id: r.id,
    opId: r.op_id,
    planId: r.plan_id,
    kind: r.kind,
    version: r.version,
    revertsRollout: r.reverts_rollout,
    status: r.status,
    settings: JSON.parse(r.settings) as RolloutSettings,
    batches: r.batches,
    currentBatch: r.current_batch,
    accepted: r.accepted ? (JSON.parse(r.accepted) as BudgetAccepted) : null,
    reason: r.reason,
    actor: r.actor,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    finishedAt: r.finished_at,
  }
}

const bool = (v: number | null) => (v === null ? null : v === 1)

function targetFromRow(r: TargetRow): RolloutTarget {
  return {
    rolloutId: r.rollout_id,
    instanceId: r.instance_id,
    batch: r.batch,
    pos: r.pos,
    pairId: r.pair_id,
    userId: r.user_id,
    role: r.role,
    state: r.state,
    outcome: r.outcome,
    reason: r.reason,
    detail: r.detail,
    preHash: r.pre_hash,
    prePrevHash: r.pre_prev_hash,
    candidateDigest: r.candidate_digest,
    changeDigest: r.change_digest,
    postHash: r.post_hash,
    restart: bool(r.restart),
    healthy: bool(r.healthy),
    revertState: r.revert_state,
    revertDetail: r.revert_detail,
    attempts: r.attempts,
    updatedAt: r.updated_at,
  }
}

/** Columns a target update may set, by their field names. */
const TARGET_COLUMNS = {
  state: 'state',
  outcome: 'outcome',
  reason: 'reason',
  detail: 'detail',
  preHash: 'pre_hash',
  prePrevHash: 'pre_prev_hash',
  candidateDigest: 'candidate_digest',
  changeDigest: 'change_digest',
  postHash: 'post_hash',
  restart: 'restart',
  healthy: 'healthy',
  revertState: 'revert_state',
  revertDetail: 'revert_detail',
  attempts: 'attempts',
} as const
export type TargetPatch = Partial<Pick<RolloutTarget, keyof typeof TARGET_COLUMNS>>

/** Rollout ids follow the operation's id (op-7k2m… → r-7k2m…), so either names the rollout. */
export function rolloutIdOf(opId: string): string {
  return `r-${opId.replace(/^op-/, '')}`
}

export class ConfigRollouts {
  constructor(private readonly store: Store) {}

  /** Creates the rollout and its target rows; the caller holds the transaction. */
  create(
    r: Omit<Rollout, 'createdAt' | 'updatedAt' | 'finishedAt' | 'currentBatch' | 'accepted' | 'reason'>,
    targets: readonly TargetSeed[],
  ): void {
    const now = this.store.now()
    this.store.db
      .prepare(
        `INSERT INTO config_rollouts (id, op_id, plan_id, kind, version, reverts_rollout, status, settings, batches,
           actor, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        r.id,
        r.opId,
        r.planId,
        r.kind,
        r.version,
        r.revertsRollout,
        r.status,
        JSON.stringify(r.settings),
        r.batches,
        r.actor,
        now,
        now,
      )
    this.store.db.batch(
      `INSERT INTO config_rollout_targets (rollout_id, instance_id, batch, pos, pair_id, user_id, role, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      targets.map((t) => [r.id, t.instanceId, t.batch, t.pos, t.pairId, t.userId, t.role, now]),
    )
  }

  get(id: string): Rollout | undefined {
    const row = cached(this.store.db, 'SELECT * FROM config_rollouts WHERE id = ?').get(id) as
      | RolloutRow
      | undefined
    return row && rolloutFromRow(row)
  }

  byOp(opId: string): Rollout | undefined {
    const row = cached(this.store.db, 'SELECT * FROM config_rollouts WHERE op_id = ?').get(opId) as
      | RolloutRow
      | undefined
    return row && rolloutFromRow(row)
  }

  list(limit = 50): Rollout[] {
    return (
      this.store.db
        .prepare('SELECT * FROM config_rollouts ORDER BY created_at DESC, id DESC LIMIT ?')
        .all(limit) as unknown as RolloutRow[]
    ).map(rolloutFromRow)
  }

  /** Rollouts not finished: running, pausing, paused, halted or rolling back (oldest first). */
  unfinished(): Rollout[] {
    return (
      this.store.db
        .prepare(
          `SELECT * FROM config_rollouts WHERE status IN ('running', 'pausing', 'paused', 'halted', 'rolling-back')
           ORDER BY created_at, id`,
        )
        .all() as unknown as RolloutRow[]
    ).map(rolloutFromRow)
  }

  /** Rollbacks that undid (part of) this push. */
  rollbacksOf(pushId: string): Rollout[] {
    return (
      this.store.db
        .prepare('SELECT * FROM config_rollouts WHERE reverts_rollout = ? ORDER BY created_at')
        .all(pushId) as unknown as RolloutRow[]
    ).map(rolloutFromRow)
  }

  setStatus(id: string, status: RolloutStatus, reason: string | null = null, finished = false): void {
    const now = this.store.now()
    this.store.db
      .prepare(
        'UPDATE config_rollouts SET status = ?, reason = ?, updated_at = ?, finished_at = ? WHERE id = ?',
      )
      .run(status, reason, now, finished ? now : null, id)
  }

  setCurrentBatch(id: string, batch: number): void {
    cached(this.store.db, 'UPDATE config_rollouts SET current_batch = ?, updated_at = ? WHERE id = ?').run(
      batch,
      this.store.now(),
      id,
    )
  }

  accept(id: string, counts: BudgetAccepted): void {
    this.store.db
      .prepare('UPDATE config_rollouts SET accepted = ?, updated_at = ? WHERE id = ?')
      .run(JSON.stringify(counts), this.store.now(), id)
  }

  targets(id: string, batch?: number): RolloutTarget[] {
    const rows =
      batch === undefined
        ? cached(
            this.store.db,
            'SELECT * FROM config_rollout_targets WHERE rollout_id = ? ORDER BY batch, pos',
          ).all(id)
        : cached(
            this.store.db,
            'SELECT * FROM config_rollout_targets WHERE rollout_id = ? AND batch = ? ORDER BY pos',
          ).all(id, batch)
    return (rows as unknown as TargetRow[]).map(targetFromRow)
  }

  target(id: string, instanceId: string): RolloutTarget | undefined {
    const row = cached(
      this.store.db,
      'SELECT * FROM config_rollout_targets WHERE rollout_id = ? AND instance_id = ?',
    ).get(id, instanceId) as TargetRow | undefined
    return row && targetFromRow(row)
  }

  updateTarget(id: string, instanceId: string, patch: TargetPatch): RolloutTarget {
    const sets: string[] = []
    const values: (string | number | null)[] = []
    for (const [k, v] of Object.entries(patch)) {
      const col = TARGET_COLUMNS[k as keyof typeof TARGET_COLUMNS]
      if (!col) continue
      sets.push(`${col} = ?`)
      values.push(typeof v === 'boolean' ? (v ? 1 : 0) : (v as string | number | null))
    }
    sets.push('updated_at = ?')
    values.push(this.store.now())
    cached(
      this.store.db,
      `UPDATE config_rollout_targets SET ${sets.join(', ')} WHERE rollout_id = ? AND instance_id = ?`,
    ).run(...values, id, instanceId)
    const t = this.target(id, instanceId)
    if (!t) throw new Error(`rollout ${id} has no target ${instanceId}`)
    return t
  }

  counts(id: string, throughBatch?: number): OutcomeCounts {
    const rows = cached(
      this.store.db,
      `SELECT state, outcome, revert_state AS rs, count(*) AS n FROM config_rollout_targets
       WHERE rollout_id = ? AND batch <= ? GROUP BY state, outcome, revert_state`,
    ).all(id, throughBatch ?? Number.MAX_SAFE_INTEGER) as {
      state: TargetState
      outcome: TargetOutcome | null
      rs: RevertState | null
      n: number
    }[]
    const c: OutcomeCounts = {
      total: 0,
      pending: 0,
      inFlight: 0,
      applied: 0,
      unchanged: 0,
      skipped: 0,
      failed: 0,
      reverted: 0,
    }
    for (const r of rows) {
      c.total += r.n
      if (r.state === 'pending') c.pending += r.n
      else if (r.state === 'pushing') c.inFlight += r.n
      else if (r.outcome) c[r.outcome] += r.n
      if (r.rs === 'reverted') c.reverted += r.n
    }
    return c
  }

  /** The distinct change lists of a push are stored once each, by digest. */
  recordChanges(id: string, digest: string, changes: readonly Change[]): void {
    cached(
      this.store.db,
      'INSERT INTO config_rollout_changes (rollout_id, digest, changes) VALUES (?, ?, ?) ON CONFLICT DO NOTHING',
    ).run(id, digest, JSON.stringify(changes))
  }

  /** What the push changed, grouped: each distinct change list with the number of instances it applied to. */
  changeGroups(id: string): { changes: Change[]; instances: number }[] {
    const rows = this.store.db
      .prepare(
        `SELECT c.changes AS changes, count(t.instance_id) AS n FROM config_rollout_changes c
         JOIN config_rollout_targets t ON t.rollout_id = c.rollout_id AND t.change_digest = c.digest
           AND t.outcome = 'applied'
         WHERE c.rollout_id = ? GROUP BY c.digest, c.changes ORDER BY n DESC, c.digest`,
      )
      .all(id) as { changes: string; n: number }[]
    return rows.map((r) => ({ changes: JSON.parse(r.changes) as Change[], instances: r.n }))
  }
}
