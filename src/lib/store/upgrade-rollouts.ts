/**
 * Upgrade rollouts (`clawops openclaw upgrade`, `clawops clawnode upgrade`) and their per-instance
 * rows: where each instance stands, under which key its node was asked, what happened, and the
 * versions it reported. The operations journal says which batch step ran; these rows say what
 * happened inside it. Also the last versions each instance reported.
 */
import type { Role } from '../domain/instance.js'
import type { FailureBudget } from '../domain/rollout.js'
import { cached } from './statement-cache.js'
import type { Store } from './store.js'

export type UpgradeKind = 'openclaw' | 'clawnode' | 'rollback'
export type UpgradeStatus =
  | 'running'
  | 'pausing'
  | 'paused'
  | 'halted'
  | 'complete'
  | 'rolling-back'
  | 'rolled-back'

export interface UpgradeSettings {
  batchSize: number
  canary: number
  pauseMs: number
  maxFailures: FailureBudget
  concurrency: number
}

/** The release an upgrade installs, as the release location's index names it. */
export interface ReleaseRef {
  version: string
  path: string
  sha256: string
  size: number
}

export interface UpgradeBudgetAccepted {
  processed: number
  failed: number
}

export interface UpgradeRollout {
  id: string
  opId: string
  planId: string
  kind: UpgradeKind
  targetVersion: string
  release: ReleaseRef | null
  revertsRollout: string | null
  status: UpgradeStatus
  settings: UpgradeSettings
  batches: number
  currentBatch: number
  accepted: UpgradeBudgetAccepted | null
  reason: string | null
  actor: string
  createdAt: string
  updatedAt: string
  finishedAt: string | null
}

export type UpgradeTargetState = 'pending' | 'upgrading' | 'done'
export type UpgradeOutcome = 'upgraded' | 'unchanged' | 'skipped' | 'blocked' | 'failed'
export type UpgradeRevertState = 'reverting' | 'reverted' | 'superseded' | 'failed' | 'not-applied'

export interface UpgradeTarget {
  rolloutId: string
  instanceId: string
  batch: number
  pos: number
  pairId: string
  userId: string
  role: Role
  state: UpgradeTargetState
  outcome: UpgradeOutcome | null
  reason: string | null
  detail: string | null
  fromVersion: string | null
  version: string | null
  rolledBack: boolean | null
  stateIntact: boolean | null
  healthy: boolean | null
  ms: number | null
  revertState: UpgradeRevertState | null
  revertDetail: string | null
  attempts: number
  updatedAt: string
}

export interface UpgradeSeed {
  instanceId: string
  batch: number
  pos: number
  pairId: string
  userId: string
  role: Role
}

export interface UpgradeCounts {
  total: number
  pending: number
  inFlight: number
  upgraded: number
  unchanged: number
  skipped: number
  blocked: number
  failed: number
  reverted: number
}

interface RolloutRow {
  id: string
  op_id: string
  plan_id: string
  kind: UpgradeKind
  target_version: string
  release: string | null
  reverts_rollout: string | null
  status: UpgradeStatus
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
  state: UpgradeTargetState
  outcome: UpgradeOutcome | null
  reason: string | null
  detail: string | null
  from_version: string | null
  version: string | null
  rolled_back: number | null
  state_intact: number | null
  healthy: number | null
  ms: number | null
  revert_state: UpgradeRevertState | null
  revert_detail: string | null
  attempts: number
  updated_at: string
}

const bool = (v: number | null) => (v === null ? null : v === 1)

function rolloutOf(r: RolloutRow): UpgradeRollout {
  return {
    id: r.id,
    opId: r.op_id,
    planId: r.plan_id,
    kind: r.kind,
    targetVersion: r.target_version,
    release: r.release ? (JSON.parse(r.release) as ReleaseRef) : null,
    revertsRollout: r.reverts_rollout,
    status: r.status,
    settings: JSON.parse(r.settings) as UpgradeSettings,
    batches: r.batches,
    currentBatch: r.current_batch,
    accepted: r.accepted ? (JSON.parse(r.accepted) as UpgradeBudgetAccepted) : null,
    reason: r.reason,
    actor: r.actor,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    finishedAt: r.finished_at,
  }
}

function targetOf(r: TargetRow): UpgradeTarget {
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
    fromVersion: r.from_version,
    version: r.version,
    rolledBack: bool(r.rolled_back),
    stateIntact: bool(r.state_intact),
    healthy: bool(r.healthy),
    ms: r.ms,
    revertState: r.revert_state,
    revertDetail: r.revert_detail,
    attempts: r.attempts,
    updatedAt: r.updated_at,
  }
}

const TARGET_COLUMNS = {
  state: 'state',
  outcome: 'outcome',
  reason: 'reason',
  detail: 'detail',
  fromVersion: 'from_version',
  version: 'version',
  rolledBack: 'rolled_back',
  stateIntact: 'state_intact',
  healthy: 'healthy',
  ms: 'ms',
  revertState: 'revert_state',
  revertDetail: 'revert_detail',
  attempts: 'attempts',
} as const
export type UpgradeTargetPatch = Partial<Pick<UpgradeTarget, keyof typeof TARGET_COLUMNS>>

/** Upgrade rollout ids follow the operation's id (op-7k2m… → u-7k2m…), so either names the rollout. */
export function upgradeIdOf(opId: string): string {
  return `u-${opId.replace(/^op-/, '')}`
}

export const UNFINISHED_UPGRADE: readonly UpgradeStatus[] = [
  'running',
  'pausing',
  'paused',
  'halted',
  'rolling-back',
]

export class UpgradeRollouts {
  constructor(private readonly store: Store) {}

  /** Creates the rollout and its rows; the caller holds the transaction. */
  create(
    r: Omit<
      UpgradeRollout,
      'createdAt' | 'updatedAt' | 'finishedAt' | 'currentBatch' | 'accepted' | 'reason'
    >,
    targets: readonly UpgradeSeed[],
  ): void {
    const now = this.store.now()
    this.store.db
      .prepare(
        `INSERT INTO upgrade_rollouts (id, op_id, plan_id, kind, target_version, release, reverts_rollout, status,
           settings, batches, actor, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        r.id,
        r.opId,
        r.planId,
        r.kind,
        r.targetVersion,
        r.release ? JSON.stringify(r.release) : null,
        r.revertsRollout,
        r.status,
        JSON.stringify(r.settings),
        r.batches,
        r.actor,
        now,
        now,
      )
    const ins = this.store.db.prepare(
      `INSERT INTO upgrade_targets (rollout_id, instance_id, batch, pos, pair_id, user_id, role, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    for (const t of targets) ins.run(r.id, t.instanceId, t.batch, t.pos, t.pairId, t.userId, t.role, now)
  }

  get(id: string): UpgradeRollout | undefined {
    const row = cached(this.store.db, 'SELECT * FROM upgrade_rollouts WHERE id = ?').get(id) as
      | RolloutRow
      | undefined
    return row && rolloutOf(row)
  }

  byOp(opId: string): UpgradeRollout | undefined {
    const row = cached(this.store.db, 'SELECT * FROM upgrade_rollouts WHERE op_id = ?').get(opId) as
      | RolloutRow
      | undefined
    return row && rolloutOf(row)
  }

  list(limit = 50): UpgradeRollout[] {
    return (
      this.store.db
        .prepare('SELECT * FROM upgrade_rollouts ORDER BY created_at DESC, id DESC LIMIT ?')
        .all(limit) as unknown as RolloutRow[]
    ).map(rolloutOf)
  }

  /** Rollouts not finished (oldest first). */
  unfinished(): UpgradeRollout[] {
    return (
      this.store.db
        .prepare(
          `SELECT * FROM upgrade_rollouts WHERE status IN ('running', 'pausing', 'paused', 'halted', 'rolling-back')
           ORDER BY created_at, id`,
        )
        .all() as unknown as RolloutRow[]
    ).map(rolloutOf)
  }

  /** Rollouts created or finished since `since` (briefings). */
  since(since: string): UpgradeRollout[] {
    return (
      this.store.db
        .prepare(
          'SELECT * FROM upgrade_rollouts WHERE created_at >= ? OR finished_at >= ? ORDER BY created_at, id',
        )
        .all(since, since) as unknown as RolloutRow[]
    ).map(rolloutOf)
  }

  rollbacksOf(id: string): UpgradeRollout[] {
    return (
      this.store.db
        .prepare('SELECT * FROM upgrade_rollouts WHERE reverts_rollout = ? ORDER BY created_at')
        .all(id) as unknown as RolloutRow[]
    ).map(rolloutOf)
  }

  setStatus(id: string, status: UpgradeStatus, reason: string | null = null, finished = false): void {
    const now = this.store.now()
    this.store.db
      .prepare(
        'UPDATE upgrade_rollouts SET status = ?, reason = ?, updated_at = ?, finished_at = ? WHERE id = ?',
      )
      .run(status, reason, now, finished ? now : null, id)
  }

  setCurrentBatch(id: string, batch: number): void {
    cached(this.store.db, 'UPDATE upgrade_rollouts SET current_batch = ?, updated_at = ? WHERE id = ?').run(
      batch,
      this.store.now(),
      id,
    )
  }

  accept(id: string, counts: UpgradeBudgetAccepted): void {
    this.store.db
      .prepare('UPDATE upgrade_rollouts SET accepted = ?, updated_at = ? WHERE id = ?')
      .run(JSON.stringify(counts), this.store.now(), id)
  }

  targets(id: string, batch?: number): UpgradeTarget[] {
    const rows =
      batch === undefined
        ? cached(this.store.db, 'SELECT * FROM upgrade_targets WHERE rollout_id = ? ORDER BY batch, pos').all(
            id,
          )
        : cached(
            this.store.db,
            'SELECT * FROM upgrade_targets WHERE rollout_id = ? AND batch = ? ORDER BY pos',
          ).all(id, batch)
    return (rows as unknown as TargetRow[]).map(targetOf)
  }

  target(id: string, instanceId: string): UpgradeTarget | undefined {
    const row = cached(
      this.store.db,
      'SELECT * FROM upgrade_targets WHERE rollout_id = ? AND instance_id = ?',
    ).get(id, instanceId) as TargetRow | undefined
    return row && targetOf(row)
  }

  updateTarget(id: string, instanceId: string, patch: UpgradeTargetPatch): UpgradeTarget {
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
      `UPDATE upgrade_targets SET ${sets.join(', ')} WHERE rollout_id = ? AND instance_id = ?`,
    ).run(...values, id, instanceId)
    const t = this.target(id, instanceId)
    if (!t) throw new Error(`rollout ${id} has no target ${instanceId}`)
    return t
  }

  counts(id: string, throughBatch?: number): UpgradeCounts {
    const rows = cached(
      this.store.db,
      `SELECT state, outcome, revert_state AS rs, count(*) AS n FROM upgrade_targets
       WHERE rollout_id = ? AND batch <= ? GROUP BY state, outcome, revert_state`,
    ).all(id, throughBatch ?? Number.MAX_SAFE_INTEGER) as {
      state: UpgradeTargetState
      outcome: UpgradeOutcome | null
      rs: UpgradeRevertState | null
      n: number
    }[]
    const c: UpgradeCounts = {
      total: 0,
      pending: 0,
      inFlight: 0,
      upgraded: 0,
      unchanged: 0,
      skipped: 0,
      blocked: 0,
      failed: 0,
      reverted: 0,
    }
    for (const r of rows) {
      c.total += r.n
      if (r.state === 'pending') c.pending += r.n
      else if (r.state === 'upgrading') c.inFlight += r.n
      else if (r.outcome) c[r.outcome] += r.n
      if (r.rs === 'reverted') c.reverted += r.n
    }
    return c
  }

  /** Records what an instance reported; a null leaves that version as it was. */
  recordVersions(instanceId: string, v: { openclaw?: string | null; clawnode?: string | null }): void {
    cached(
      this.store.db,
      `INSERT INTO instance_versions (instance_id, openclaw, clawnode, checked_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (instance_id) DO UPDATE SET openclaw = coalesce(excluded.openclaw, instance_versions.openclaw),
         clawnode = coalesce(excluded.clawnode, instance_versions.clawnode), checked_at = excluded.checked_at`,
    ).run(instanceId, v.openclaw ?? null, v.clawnode ?? null, this.store.now())
  }

  /** The last versions reported, by instance. */
  versions(
    ids?: readonly string[],
  ): Map<string, { openclaw: string | null; clawnode: string | null; checkedAt: string }> {
    const rows = this.store.db.prepare('SELECT * FROM instance_versions').all() as {
      instance_id: string
      openclaw: string | null
      clawnode: string | null
      checked_at: string
    }[]
    const want = ids ? new Set(ids) : null
    const out = new Map<string, { openclaw: string | null; clawnode: string | null; checkedAt: string }>()
    for (const r of rows)
      if (!want || want.has(r.instance_id))
        out.set(r.instance_id, { openclaw: r.openclaw, clawnode: r.clawnode, checkedAt: r.checked_at })
    return out
  }
}
