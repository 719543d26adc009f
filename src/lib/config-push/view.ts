/**
 * What `clawops config push` and its status, pause, resume and rollback commands return: one view of
 * a rollout with every instance's outcome, the diff it made (grouped: each distinct change list
 * once, with how many instances got it), its batches and what to run next. Read-only; no zod.
 */
import type { Context } from '../context.js'
import { UserError } from '../errors.js'
import type { Change } from '../gateway/config-diff.js'
import { describeBudget } from '../rollout/budget.js'
import { liveStatus } from '../rollout/liveness.js'
import {
  ConfigRollouts,
  type OutcomeCounts,
  type RevertState,
  type Rollout,
  type RolloutStatus,
  type RolloutTarget,
  type TargetOutcome,
  type TargetState,
} from '../store/config-rollouts.js'
import { ConfigVersions } from '../store/config-versions.js'
import { Operations } from '../store/operations.js'
import type { DocChange } from './doc-change.js'

/** A rollout whose status says running but that no clawops process runs any more was interrupted. */
export type RolloutState = RolloutStatus | 'interrupted'

export interface InstanceOutcome {
  instanceId: string
  pairId: string
  userId: string
  role: string
  batch: number
  state: TargetState
  outcome: TargetOutcome | null
  reason: string | null
  detail: string | null
  restarted: boolean | null
  healthy: boolean | null
  revert: RevertState | null
  revertDetail: string | null
}

export interface BatchView {
  batch: number
  size: number
  applied: number
  unchanged: number
  skipped: number
  failed: number
  pending: number
}

export interface RolloutView {
  rolloutId: string
  opId: string
  planId: string
  kind: Rollout['kind']
  version: number
  /** A rollback: the push it undoes. */
  reverts: string | null
  /** Rollbacks of this push. */
  rolledBackBy: string[]
  status: RolloutState
  reason: string | null
  actor: string
  createdAt: string
  finishedAt: string | null
  settings: {
    batchSize: number
    canary: number
    pauseSeconds: number
    maxFailures: string
    allAtOnce: boolean
    restart: string
    concurrency: number
  }
  batches: { total: number; current: number; list: BatchView[] }
  counts: OutcomeCounts
  users: number
  diff: { document: DocChange[] | null; applied: { instances: number; changes: Change[] }[] }
  /** Instances left alone for a human to look at (a malformed or missing config). */
  flagged: string[]
  instances: InstanceOutcome[]
  next: string[]
}

const VERSION_REF = /^v?(\d+)$/

/** A rollout by its id (r-…), its operation id (op-…) or its config version (v12, 12). */
export function findRollout(ctx: Context, ref: string): Rollout {
  const store = ctx.store()
  const rollouts = store.repo(ConfigRollouts)
  const v = VERSION_REF.exec(ref)
  const found = v
    ? (() => {
        const version = store.repo(ConfigVersions).get(Number(v[1]))
        return version ? rollouts.get(version.rolloutId) : undefined
      })()
    : ref.startsWith('op-')
      ? rollouts.byOp(ref)
      : rollouts.get(ref)
  if (!found) {
    throw new UserError('NOT_FOUND', `no rollout ${ref}`, {
      hint: 'Name a rollout by its id (r-…), its operation (op-…) or its config version (v12); see clawops config history.',
    })
  }
  return found
}

export function stateOf(ctx: Context, r: Rollout): RolloutState {
  return liveStatus(ctx, r.status, r.opId)
}

function instanceOutcome(t: RolloutTarget): InstanceOutcome {
  return {
    instanceId: t.instanceId,
    pairId: t.pairId,
    userId: t.userId,
    role: t.role,
    batch: t.batch,
    state: t.state,
    outcome: t.outcome,
    reason: t.reason,
    detail: t.detail,
    restarted: t.restart,
    healthy: t.healthy,
    revert: t.revertState,
    revertDetail: t.revertDetail,
  }
}

function batchesOf(rows: readonly RolloutTarget[], total: number): BatchView[] {
  const list: BatchView[] = Array.from({ length: total }, (_, i) => ({
    batch: i + 1,
    size: 0,
    applied: 0,
    unchanged: 0,
    skipped: 0,
    failed: 0,
    pending: 0,
  }))
  for (const t of rows) {
    const b = list[t.batch - 1]
    if (!b) continue
    b.size++
    if (t.state === 'done' && t.outcome) b[t.outcome]++
    else b.pending++
  }
  return list
}

function nextSteps(view: Pick<RolloutView, 'rolloutId' | 'status' | 'kind' | 'counts'>): string[] {
  const id = view.rolloutId
  switch (view.status) {
    case 'running':
    case 'pausing':
      return [`clawops config push status ${id}`, `clawops config push pause ${id}`]
    case 'paused':
    case 'halted':
    case 'interrupted':
      return view.kind === 'push'
        ? [`clawops config push resume ${id}`, `clawops config push rollback ${id}`]
        : [`clawops config push resume ${id}`]
    case 'complete':
      return view.kind === 'push' && view.counts.applied > 0 ? [`clawops config push rollback ${id}`] : []
    default:
      return []
  }
}

export function viewRollout(ctx: Context, r: Rollout): RolloutView {
  const store = ctx.store()
  const rollouts = store.repo(ConfigRollouts)
  const push = r.kind === 'push' ? r : r.revertsRollout ? rollouts.get(r.revertsRollout) : undefined
  let rows = push ? rollouts.targets(push.id) : []
  if (r.kind === 'rollback') {
    // A rollback acts on the rows of its push; its own instances are the ones its batches named.
    const mine = new Set(
      store
        .repo(Operations)
        .steps(r.opId)
        .filter((s) => s.name === 'batch')
        .flatMap((s) => (s.input as { instances: string[] }).instances),
    )
    rows = rows.filter((t) => mine.has(t.instanceId))
  }
  const counts =
    r.kind === 'push'
      ? rollouts.counts(r.id)
      : {
          total: rows.length,
          pending: rows.filter(
            (t) => t.revertState === 'reverting' || (t.revertState === null && t.reason !== 'not-applied'),
          ).length,
          inFlight: 0,
          applied: 0,
          unchanged: 0,
          // Left alone: changed since the push, or the push had not landed when it was rolled back.
          skipped: rows.filter((t) => t.revertState === 'superseded' || t.reason === 'not-applied').length,
          failed: rows.filter((t) => t.revertState === 'failed').length,
          reverted: rows.filter((t) => t.revertState === 'reverted').length,
        }
  const version = store.repo(ConfigVersions).byRollout(r.id)
  const status = stateOf(ctx, r)
  const view: RolloutView = {
    rolloutId: r.id,
    opId: r.opId,
    planId: r.planId,
    kind: r.kind,
    version: r.version,
    reverts: r.revertsRollout,
    rolledBackBy: r.kind === 'push' ? rollouts.rollbacksOf(r.id).map((x) => x.id) : [],
    status,
    reason: r.reason,
    actor: r.actor,
    createdAt: r.createdAt,
    finishedAt: r.finishedAt,
    settings: {
      batchSize: r.settings.batchSize,
      canary: r.settings.canary,
      pauseSeconds: Math.round(r.settings.pauseMs / 1000),
      maxFailures: describeBudget(r.settings.maxFailures),
      allAtOnce: r.settings.allAtOnce,
      restart: r.settings.restart,
      concurrency: r.settings.concurrency,
    },
    batches: {
      total: r.batches,
      current: r.currentBatch,
      list: r.kind === 'push' ? batchesOf(rows, r.batches) : [],
    },
    counts,
    users: new Set(rows.map((t) => t.userId)).size,
    diff: {
      document: r.kind === 'push' ? ((version?.diff as DocChange[] | undefined) ?? null) : null,
      applied: push ? rollouts.changeGroups(push.id) : [],
    },
    flagged: rows
      .filter((t) => t.outcome === 'skipped' && (t.reason === 'malformed' || t.reason === 'no-config'))
      .map((t) => t.instanceId),
    instances: rows.map(instanceOutcome),
    next: [],
  }
  view.next = nextSteps(view)
  return view
}
