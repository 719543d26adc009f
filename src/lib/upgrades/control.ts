/**
 * `clawops openclaw|clawnode upgrade pause|resume <rolloutId>` and `clawops openclaw upgrade rollback`.
 *
 * - pause: the rollout stops before its next batch (the batch in flight finishes); one no process
 *   runs is marked paused at once. Pausing never adds to what a rollout does, so it needs only the
 *   right to pause rollouts (Guardian has it: a rollout hurting health is stopped by the watchdog).
 * - resume: continues from the first unfinished batch in this process: a paused or interrupted
 *   rollout goes on, a halted one goes on with the failures so far accepted. Rows a crash left
 *   `upgrading` are settled by asking their node again under the same key; nothing is upgraded twice.
 * - rollback: the openclaw.rollback operation through the engine (plan, policy, confirmation).
 * All go through the engine's gate and are audited.
 */
import type { Context } from '../context.js'
import type { Plan } from '../domain/plan.js'
import type { Engine } from '../engine/engine.js'
import { holderGone } from '../engine/lease.js'
import type { MutationOptions, MutationResult, OperationView } from '../engine/types.js'
import { UserError } from '../errors.js'
import type { PolicyDecision } from '../policy/check.js'
import { leaseHeld } from '../rollout/liveness.js'
import { AuditTrail } from '../store/audit-trail.js'
import { Operations } from '../store/operations.js'
import { type UpgradeRollout, UpgradeRollouts } from '../store/upgrade-rollouts.js'
import openclawRollbackKind from './rollback-kind.js'
import { interruptedUpgrade, settleUpgrade, type UpgradeOutcome } from './upgrade.js'
import { findUpgrade, type UpgradeView, upgradeStateOf, viewUpgrade } from './view.js'

const actionOf = (r: UpgradeRollout) => (r.kind === 'clawnode' ? 'clawnode.upgrade' : 'openclaw.upgrade')
const cmdOf = (r: UpgradeRollout) =>
  r.kind === 'clawnode' ? 'clawops clawnode upgrade' : 'clawops openclaw upgrade'

export async function pauseUpgrade(
  ctx: Context,
  engine: Engine,
  ref: string,
  reason?: string,
): Promise<UpgradeView> {
  const store = ctx.store()
  const rollouts = store.repo(UpgradeRollouts)
  const r = findUpgrade(ctx, ref)
  await engine.authorize(ctx, r.opId, { control: 'pause' })
  const state = upgradeStateOf(ctx, r)
  if (state === 'paused' || state === 'pausing') return viewUpgrade(ctx, r)
  if (state !== 'running' && state !== 'interrupted') {
    throw new UserError('CONFLICT', `rollout ${r.id} is ${state}; only a running rollout can be paused`, {
      hint: state === 'halted' ? `It is stopped already: ${cmdOf(r)} resume ${r.id}.` : undefined,
      details: { rolloutId: r.id, status: state },
    })
  }
  const why = reason?.trim() || `paused by ${ctx.actor}`
  store.tx(() => {
    rollouts.setStatus(r.id, state === 'running' ? 'pausing' : 'paused', why)
    store.repo(AuditTrail).append({
      ...ctx.who,
      action: `${actionOf(r)}.pause`,
      target: r.id,
      opId: r.opId,
      planId: r.planId,
      outcome: 'ok',
      details: { was: state, batch: r.currentBatch, of: r.batches, reason: why },
    })
  })
  return viewUpgrade(ctx, findUpgrade(ctx, r.id))
}

/** A lease a killed clawops process of this host left is released now rather than after its expiry. */
function releaseDeadLease(ctx: Context, opId: string): void {
  const ops = ctx.store().repo(Operations)
  const owner = ops.get(opId)?.leaseOwner
  if (owner && holderGone(owner)) ops.releaseLease(opId, owner)
}

export async function resumeUpgrade(
  ctx: Context,
  engine: Engine,
  ref: string,
  opts: { onProgress?: (message: string, data?: Record<string, unknown>) => void } = {},
): Promise<UpgradeOutcome> {
  const store = ctx.store()
  const rollouts = store.repo(UpgradeRollouts)
  const r = findUpgrade(ctx, ref)
  await engine.authorize(ctx, r.opId, { retryFailed: true })
  releaseDeadLease(ctx, r.opId)
  const state = upgradeStateOf(ctx, r)
  if (state === 'complete' || state === 'rolled-back' || state === 'rolling-back') {
    throw new UserError('CONFLICT', `rollout ${r.id} is ${state}; nothing to resume`, {
      details: { rolloutId: r.id, status: state },
    })
  }
  if (state === 'pausing' && leaseHeld(ctx, r.opId)) {
    // The process running it has not reached the batch boundary yet: it simply goes on.
    store.tx(() => {
      rollouts.setStatus(r.id, 'running', null)
      store.repo(AuditTrail).append({
        ...ctx.who,
        action: `${actionOf(r)}.resume`,
        target: r.id,
        opId: r.opId,
        planId: r.planId,
        outcome: 'ok',
        details: { was: state, batch: r.currentBatch, of: r.batches, pauseCancelled: true },
      })
    })
    const view = viewUpgrade(ctx, findUpgrade(ctx, r.id))
    return { status: view.status, rollout: view }
  }
  if (leaseHeld(ctx, r.opId)) {
    throw new UserError('CONFLICT', `rollout ${r.id} is being run by another clawops process`, {
      hint: `Watch it with ${cmdOf(r)} status ${r.id}.`,
      details: { rolloutId: r.id, status: state },
    })
  }
  store.tx(() => {
    if (state === 'halted') {
      // Resuming after a halt accepts the failures so far; the budget judges the batches after.
      const c = rollouts.counts(r.id)
      rollouts.accept(r.id, {
        processed: c.upgraded + c.unchanged + c.skipped + c.blocked + c.failed,
        failed: c.failed,
      })
    }
    rollouts.setStatus(r.id, 'running', null)
    store.repo(AuditTrail).append({
      ...ctx.who,
      action: `${actionOf(r)}.resume`,
      target: r.id,
      opId: r.opId,
      planId: r.planId,
      outcome: 'intent',
      details: { was: state, batch: r.currentBatch, of: r.batches },
    })
  })
  let view: OperationView
  try {
    view = await engine.run(ctx, r.opId, {
      retryFailed: true,
      ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
    })
  } catch (err) {
    interruptedUpgrade(ctx, err, r.opId)
  }
  return settleUpgrade(ctx, view)
}

export async function rollbackUpgrade(
  ctx: Context,
  engine: Engine,
  ref: string,
  opts: Omit<MutationOptions, 'prompt'> & { reason?: string; ask?: (question: string) => Promise<boolean> },
): Promise<
  | UpgradeOutcome
  | { status: 'dry-run'; plan: { summary: string; instances: number; users: number; policy: PolicyDecision } }
> {
  const up = findUpgrade(ctx, ref)
  releaseDeadLease(ctx, up.opId)
  const ask = opts.ask
  let r: MutationResult
  try {
    r = await engine.mutate(
      ctx,
      openclawRollbackKind,
      { rollout: up.id, reason: opts.reason ?? null },
      {
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
      },
    )
  } catch (err) {
    if (err instanceof UserError && err.code === 'INTERRUPTED')
      interruptedUpgrade(ctx, err, (err.details as { opId?: string } | undefined)?.opId ?? null)
    throw err
  }
  if (r.status === 'dry-run')
    return {
      status: 'dry-run',
      plan: {
        summary: r.plan.summary,
        instances: r.plan.targets.length,
        users: r.plan.affectedUsers,
        policy: r.policy,
      },
    }
  return settleUpgrade(ctx, r.operation)
}
