/**
 * `clawops openclaw upgrade` and `clawops clawnode upgrade`: the use case behind the commands. Flags
 * become the operation's parameters (defaults from the config's `upgrades` section), the kind runs
 * through the engine, and the rollout's end becomes the result: complete without a failure or a
 * flagged instance is success; anything else is an error whose details hold the same rollout view.
 */
import type { Context } from '../context.js'
import type { Plan } from '../domain/plan.js'
import type { Engine } from '../engine/engine.js'
import { throwIfFailed } from '../engine/step-errors.js'
import type { MutationOptions, MutationResult, OperationView } from '../engine/types.js'
import { type ErrorBody, UserError } from '../errors.js'
import type { PolicyDecision } from '../policy/check.js'
import { parseBudget } from '../rollout/budget.js'
import { Plans } from '../store/plans.js'
import { UpgradeRollouts } from '../store/upgrade-rollouts.js'
import type { UpgradeWhat } from './releases.js'
import { upgradeSettings } from './settings.js'
import { clawnodeUpgradeKind, NAMES, openclawUpgradeKind, type UpgradeBatchInput } from './upgrade-kind.js'
import { type UpgradeState, type UpgradeView, upgradeStateOf, viewUpgrade } from './view.js'

export interface UpgradeRequest {
  version: string
  selector?: string
  batchSize?: number
  canary?: number
  pauseMs?: number
  /** "2%" or "3". */
  maxFailures?: string
  concurrency?: number
  reason?: string
}

export interface UpgradePreview {
  planId: string | null
  summary: string
  policy: PolicyDecision
  target: string
  release: { path: string; sha256: string; size: number }
  instances: number
  users: number
  from: { version: string; instances: number }[]
  unknownVersions: number
  alreadyAtTarget: number
  notUpgradable: number
  batches: { batch: number; size: number; standbys: number; primaries: number; canary: boolean }[]
  settings: { batchSize: number; canary: number; pauseSeconds: number; maxFailures: string }
}

export type UpgradeOutcome =
  | { status: 'dry-run'; preview: UpgradePreview }
  | { status: UpgradeState; rollout: UpgradeView }

export function kindOf(what: UpgradeWhat) {
  return what === 'openclaw' ? openclawUpgradeKind : clawnodeUpgradeKind
}

export function upgradeParams(ctx: Context, req: UpgradeRequest) {
  const s = upgradeSettings(ctx.config())
  return {
    version: req.version,
    selector: req.selector ?? null,
    batchSize: req.batchSize ?? null,
    canary: req.canary ?? 0,
    pauseMs: req.pauseMs ?? s.pauseMs,
    maxFailures: req.maxFailures ? parseBudget(req.maxFailures) : s.maxFailures,
    concurrency: req.concurrency ?? s.concurrency,
    reason: req.reason ?? null,
  }
}

export function previewOf(
  plan: Plan | (Omit<Plan, 'id'> & { id: null }),
  policy: PolicyDecision,
): UpgradePreview {
  const f = plan.facts.upgrade as {
    target: string
    release: UpgradePreview['release']
    from: UpgradePreview['from']
    unknownVersions: number
    alreadyAtTarget: number
    notUpgradable: number
    batchSize: number
    canary: number
    pauseMs: number
    maxFailures: string
  }
  const batches = plan.steps.filter((s) => s.name === 'batch').map((s) => s.input as UpgradeBatchInput)
  return {
    planId: plan.id,
    summary: plan.summary,
    policy,
    target: f.target,
    release: f.release,
    instances: plan.targets.length,
    users: plan.affectedUsers,
    from: f.from,
    unknownVersions: f.unknownVersions,
    alreadyAtTarget: f.alreadyAtTarget,
    notUpgradable: f.notUpgradable,
    batches: batches.map((b) => ({
      batch: b.batch,
      size: b.instances.length,
      standbys: b.instances.filter((i) => i.role === 'standby').length,
      primaries: b.instances.filter((i) => i.role === 'primary').length,
      canary: b.canary,
    })),
    settings: {
      batchSize: f.batchSize,
      canary: f.canary,
      pauseSeconds: Math.round(f.pauseMs / 1000),
      maxFailures: f.maxFailures,
    },
  }
}

/** Turns a finished (or held-back) upgrade operation into the result, or the error that says why not. */
export function settleUpgrade(ctx: Context, op: OperationView): UpgradeOutcome {
  const rollout = ctx.store().repo(UpgradeRollouts).byOp(op.id)
  if (!rollout) {
    throwIfFailed({ status: op.state, operation: op } as Parameters<typeof throwIfFailed>[0])
    throw new Error(`operation ${op.id} ended without a rollout`)
  }
  const view = viewUpgrade(ctx, rollout)
  const c = view.counts
  const tally =
    view.kind === 'rollback'
      ? `${c.reverted} reverted, ${c.failed} failed, ${c.skipped} left alone`
      : `${c.upgraded} upgraded, ${c.failed} failed, ${c.blocked} blocked, ${c.skipped} skipped, ${c.unchanged} unchanged`
  if (op.state === 'running') return { status: view.status, rollout: view }
  if (op.state === 'done') {
    if (c.failed + c.blocked === 0) return { status: view.status, rollout: view }
    throw new UserError('PARTIAL_FAILURE', `rollout ${view.rolloutId} ${view.status}: ${tally}`, {
      hint: view.flagged.length
        ? `${view.flagged.length} instance(s) flagged: their version does not parse (left as they are); see ${view.next[0] ?? 'the status'}.`
        : `See clawops ${view.kind === 'clawnode' ? 'clawnode' : 'openclaw'} upgrade status ${view.rolloutId}.`,
      details: { rollout: view },
    })
  }
  const failed = op.steps.find((s) => s.state === 'failed')?.error as ErrorBody | undefined
  const code = failed?.code && failed.code !== 'INTERNAL' ? failed.code : 'PARTIAL_FAILURE'
  throw new UserError(
    code,
    `rollout ${view.rolloutId} ${view.status}: ${view.reason ?? failed?.message ?? op.state} (${tally})`,
    {
      hint: view.next.length ? `Next: ${view.next.join(' | ')}` : (failed?.hint ?? undefined),
      details: { rollout: view },
    },
  )
}

/** An interrupt (Ctrl-C) leaves the rollout resumable: say how, with the rollout's view. */
export function interruptedUpgrade(ctx: Context, err: unknown, opId: string | null): never {
  if (err instanceof UserError && err.code === 'INTERRUPTED' && opId) {
    const rollout = ctx.store().repo(UpgradeRollouts).byOp(opId)
    if (rollout) {
      const cmd = rollout.kind === 'clawnode' ? 'clawnode' : 'openclaw'
      throw new UserError('INTERRUPTED', `rollout ${rollout.id} was interrupted after the current batch`, {
        hint: `Continue it with: clawops ${cmd} upgrade resume ${rollout.id}`,
        details: { rollout: viewUpgrade(ctx, rollout) },
      })
    }
  }
  throw err
}

export async function startUpgrade(
  ctx: Context,
  engine: Engine,
  what: UpgradeWhat,
  req: UpgradeRequest,
  opts: Omit<MutationOptions, 'prompt'> & { ask?: (question: string) => Promise<boolean> },
): Promise<UpgradeOutcome> {
  for (const other of ctx.store().repo(UpgradeRollouts).unfinished()) {
    const state = upgradeStateOf(ctx, other)
    if (other.kind === what)
      ctx.warn(
        `rollout ${other.id} (${NAMES[what].noun} ${other.targetVersion}) is ${state}: resume it or roll it back (clawops ${what} upgrade status ${other.id})`,
      )
  }
  const ask = opts.ask
  let r: MutationResult
  try {
    r = await engine.mutate(ctx, kindOf(what), upgradeParams(ctx, req), {
      ...(opts.dryRun !== undefined ? { dryRun: opts.dryRun } : {}),
      ...(opts.confirm !== undefined ? { confirm: opts.confirm } : {}),
      ...(opts.yes !== undefined ? { yes: opts.yes } : {}),
      ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
      ...(ask
        ? {
            prompt: (plan: Plan, d: PolicyDecision) =>
              ask(`${plan.summary}\n${d.findings.map((f) => `  - ${f.message}`).join('\n')}\nProceed?`),
          }
        : {}),
    })
  } catch (err) {
    if (err instanceof UserError && err.code === 'CONFIRMATION_REQUIRED') {
      // The plan is stored; add what an agent needs to relay it: the versions and the batching.
      const d = err.details as { planId: string; findings: PolicyDecision['findings'] }
      const stored = ctx.store().repo(Plans).get(d.planId)
      if (stored)
        throw new UserError(err.code, err.message, {
          ...(err.hint ? { hint: err.hint } : {}),
          details: { ...d, preview: previewOf(stored.plan, { decision: 'confirm', findings: d.findings }) },
        })
    }
    if (err instanceof UserError && err.code === 'INTERRUPTED')
      interruptedUpgrade(ctx, err, (err.details as { opId?: string } | undefined)?.opId ?? null)
    throw err
  }
  if (r.status === 'dry-run') return { status: 'dry-run', preview: previewOf(r.plan, r.policy) }
  return settleUpgrade(ctx, r.operation)
}
