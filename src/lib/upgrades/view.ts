/**
 * What `clawops openclaw upgrade`, `clawops clawnode upgrade` and their status, pause, resume and
 * rollback return: one view of an upgrade rollout with every instance's outcome, its batches, the
 * instances flagged for a human (a version that does not parse) and what to run next. Read-only.
 */
import type { Context } from '../context.js'
import { UserError } from '../errors.js'
import { describeBudget } from '../rollout/budget.js'
import { liveStatus } from '../rollout/liveness.js'
import { Operations } from '../store/operations.js'
import {
  type UpgradeCounts,
  type UpgradeRollout,
  UpgradeRollouts,
  type UpgradeStatus,
  type UpgradeTarget,
} from '../store/upgrade-rollouts.js'

export type UpgradeState = UpgradeStatus | 'interrupted'

export interface UpgradeInstanceView {
  instanceId: string
  pairId: string
  userId: string
  role: string
  batch: number
  state: UpgradeTarget['state']
  outcome: UpgradeTarget['outcome']
  reason: string | null
  detail: string | null
  from: string | null
  version: string | null
  /** The node put the previous version and state back after a failed upgrade. */
  rolledBack: boolean | null
  /** After that: the state's digest matched the snapshot's. */
  stateIntact: boolean | null
  healthy: boolean | null
  ms: number | null
  revert: UpgradeTarget['revertState']
  revertDetail: string | null
}

export interface UpgradeBatchView {
  batch: number
  size: number
  canary: boolean
  upgraded: number
  unchanged: number
  skipped: number
  blocked: number
  failed: number
  pending: number
}

export interface UpgradeView {
  rolloutId: string
  opId: string
  planId: string
  kind: UpgradeRollout['kind']
  target: string
  release: UpgradeRollout['release']
  reverts: string | null
  rolledBackBy: string[]
  status: UpgradeState
  reason: string | null
  actor: string
  createdAt: string
  finishedAt: string | null
  settings: {
    batchSize: number
    canary: number
    pauseSeconds: number
    maxFailures: string
    concurrency: number
  }
  batches: { total: number; current: number; list: UpgradeBatchView[] }
  counts: UpgradeCounts
  users: number
  /** Instances left alone for a human: a running version that is not an OpenClaw version. */
  flagged: string[]
  /** Per-instance time of the upgraded instances (ms): median and slowest. */
  timing: { medianMs: number | null; maxMs: number | null }
  instances: UpgradeInstanceView[]
  next: string[]
}

const REF = /^(u|op)-[0-9a-z]+$/

/** An upgrade rollout by its id (u-…) or its operation id (op-…). */
export function findUpgrade(ctx: Context, ref: string): UpgradeRollout {
  const rollouts = ctx.store().repo(UpgradeRollouts)
  const found = REF.test(ref) ? (ref.startsWith('op-') ? rollouts.byOp(ref) : rollouts.get(ref)) : undefined
  if (!found)
    throw new UserError('NOT_FOUND', `no upgrade rollout ${ref}`, {
      hint: 'Name it by its id (u-…) or its operation (op-…); see clawops ops list.',
    })
  return found
}

export function upgradeStateOf(ctx: Context, r: UpgradeRollout): UpgradeState {
  return liveStatus(ctx, r.status, r.opId)
}

function commandOf(r: Pick<UpgradeRollout, 'kind'>): string {
  return r.kind === 'clawnode' ? 'clawops clawnode upgrade' : 'clawops openclaw upgrade'
}

function instanceView(t: UpgradeTarget): UpgradeInstanceView {
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
    from: t.fromVersion,
    version: t.version,
    rolledBack: t.rolledBack,
    stateIntact: t.stateIntact,
    healthy: t.healthy,
    ms: t.ms,
    revert: t.revertState,
    revertDetail: t.revertDetail,
  }
}

function nextSteps(v: Pick<UpgradeView, 'rolloutId' | 'status' | 'kind' | 'counts'>): string[] {
  const cmd = commandOf(v)
  const id = v.rolloutId
  switch (v.status) {
    case 'running':
    case 'pausing':
      return [`${cmd} status ${id}`, `${cmd} pause ${id}`]
    case 'paused':
    case 'halted':
    case 'interrupted':
      return v.kind === 'openclaw'
        ? [`${cmd} resume ${id}`, `${cmd} rollback ${id}`]
        : [`${cmd} resume ${id}`]
    case 'complete':
      return v.kind === 'openclaw' && v.counts.upgraded > 0 ? [`${cmd} rollback ${id}`] : []
    default:
      return []
  }
}

function median(xs: number[]): number | null {
  if (xs.length === 0) return null
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor((s.length - 1) / 2)]!
}

export function viewUpgrade(ctx: Context, r: UpgradeRollout): UpgradeView {
  const store = ctx.store()
  const rollouts = store.repo(UpgradeRollouts)
  const base = r.kind === 'rollback' && r.revertsRollout ? rollouts.get(r.revertsRollout) : r
  let rows = base ? rollouts.targets(base.id) : []
  if (r.kind === 'rollback') {
    const mine = new Set(
      store
        .repo(Operations)
        .steps(r.opId)
        .filter((s) => s.name === 'batch')
        .flatMap((s) => (s.input as { instances: string[] }).instances),
    )
    rows = rows.filter((t) => mine.has(t.instanceId))
  }
  const counts: UpgradeCounts =
    r.kind === 'rollback'
      ? {
          total: rows.length,
          pending: rows.filter((t) => t.revertState === null || t.revertState === 'reverting').length,
          inFlight: 0,
          upgraded: 0,
          unchanged: 0,
          skipped: rows.filter((t) => t.revertState === 'superseded' || t.revertState === 'not-applied')
            .length,
          blocked: 0,
          failed: rows.filter((t) => t.revertState === 'failed').length,
          reverted: rows.filter((t) => t.revertState === 'reverted').length,
        }
      : rollouts.counts(r.id)
  const canaryBatch = r.settings.canary > 0 ? 1 : 0
  const list: UpgradeBatchView[] =
    r.kind === 'rollback'
      ? []
      : Array.from({ length: r.batches }, (_, i) => ({
          batch: i + 1,
          size: 0,
          canary: i + 1 === canaryBatch,
          upgraded: 0,
          unchanged: 0,
          skipped: 0,
          blocked: 0,
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
  const times = rows.filter((t) => t.outcome === 'upgraded' && t.ms !== null).map((t) => t.ms!)
  const view: UpgradeView = {
    rolloutId: r.id,
    opId: r.opId,
    planId: r.planId,
    kind: r.kind,
    target: r.targetVersion,
    release: r.release,
    reverts: r.revertsRollout,
    rolledBackBy: r.kind === 'rollback' ? [] : rollouts.rollbacksOf(r.id).map((x) => x.id),
    status: upgradeStateOf(ctx, r),
    reason: r.reason,
    actor: r.actor,
    createdAt: r.createdAt,
    finishedAt: r.finishedAt,
    settings: {
      batchSize: r.settings.batchSize,
      canary: r.settings.canary,
      pauseSeconds: Math.round(r.settings.pauseMs / 1000),
      maxFailures: describeBudget(r.settings.maxFailures),
      concurrency: r.settings.concurrency,
    },
    batches: { total: r.batches, current: r.currentBatch, list },
    counts,
    users: new Set(rows.map((t) => t.userId)).size,
    flagged: rows.filter((t) => t.outcome === 'blocked').map((t) => t.instanceId),
    timing: { medianMs: median(times), maxMs: times.length ? Math.max(...times) : null },
    instances: rows.map(instanceView),
    next: [],
  }
  view.next = nextSteps(view)
  return view
}
