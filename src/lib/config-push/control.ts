/**
 * `clawops config push pause|resume|rollback <rolloutId>`.
 *
 * - pause: the rollout stops before its next batch (the batch in flight finishes). With no clawops
 *   process running it (interrupted), it is simply marked paused.
 * - resume: continues from the first unfinished batch, in this process: a paused or interrupted
 *   rollout goes on; a halted one goes on with the failures so far accepted (the budget judges what
 *   comes after). Instances already settled are never pushed again (see instance.ts).
 * - rollback: the config.rollback operation through the pipeline (plan, policy, confirmation).
 * Pause and resume go through the engine's gate: pausing needs the role's right to push (or roll
 * back) config; resuming is running the operation again, judged like any resume. Both are audited.
 */

import type { Context } from '../context.js'
import type { Action } from '../domain/actor.js'
import type { Engine } from '../engine/engine.js'
import { holderGone } from '../engine/lease.js'
import type { MutationOptions, MutationResult, OperationView, RunOptions } from '../engine/types.js'
import { UserError } from '../errors.js'
import type { PolicyDecision } from '../policy/check.js'
import { leaseHeld } from '../rollout/liveness.js'
import { AuditTrail } from '../store/audit-trail.js'
import { ConfigRollouts, type Rollout } from '../store/config-rollouts.js'
import { Operations } from '../store/operations.js'
import { interrupted, type PushOutcome, settleRollout } from './push.js'
import configRollbackKind from './rollback-kind.js'
import { findRollout, type RolloutView, stateOf, viewRollout } from './view.js'

function actionOf(r: Rollout): Action {
  return r.kind === 'push' ? 'config.push' : 'config.rollback'
}

export async function pauseRollout(
  ctx: Context,
  engine: Engine,
  ref: string,
  reason?: string,
): Promise<RolloutView> {
  const store = ctx.store()
  const rollouts = store.repo(ConfigRollouts)
  const r = findRollout(ctx, ref)
  await engine.authorize(ctx, r.opId, { control: 'pause' })
  const state = stateOf(ctx, r)
  if (state === 'paused' || state === 'pausing') return viewRollout(ctx, r)
  if (state !== 'running' && state !== 'interrupted') {
    throw new UserError('CONFLICT', `rollout ${r.id} is ${state}; only a running rollout can be paused`, {
      hint:
        state === 'halted'
          ? `It is stopped already: clawops config push resume ${r.id}, or rollback.`
          : undefined,
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
  return viewRollout(ctx, findRollout(ctx, r.id))
}

/**
 * A lease left by a clawops process on this host that no longer exists (killed) is released now
 * rather than after its 30 s expiry; a lease held elsewhere is left to expire.
 */
function releaseDeadLease(ctx: Context, opId: string): void {
  const ops = ctx.store().repo(Operations)
  const owner = ops.get(opId)?.leaseOwner
  if (owner && holderGone(owner)) ops.releaseLease(opId, owner)
}

export async function resumeRollout(
  ctx: Context,
  engine: Engine,
  ref: string,
  opts: Pick<RunOptions, 'confirm' | 'yes' | 'onProgress'> = {},
): Promise<PushOutcome> {
  const store = ctx.store()
  const rollouts = store.repo(ConfigRollouts)
  const r = findRollout(ctx, ref)
  // A confirmation given here (the plan id by the operator or Commander, or the operator's yes) is
  // stamped on the plan, so the run below finds it live.
  await engine.authorize(ctx, r.opId, {
    retryFailed: true,
    ...(opts.confirm !== undefined ? { confirm: opts.confirm } : {}),
    ...(opts.yes !== undefined ? { yes: opts.yes } : {}),
  })
  releaseDeadLease(ctx, r.opId)
  const state = stateOf(ctx, r)
  if (state === 'complete' || state === 'rolled-back' || state === 'rolling-back') {
    throw new UserError('CONFLICT', `rollout ${r.id} is ${state}; nothing to resume`, {
      hint:
        state === 'rolling-back'
          ? `Its rollback is unfinished: clawops config push resume ${rollouts.rollbacksOf(r.id).at(-1)?.id ?? ''}`.trim()
          : undefined,
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
    const view = viewRollout(ctx, findRollout(ctx, r.id))
    return { status: view.status, rollout: view }
  }
  if (leaseHeld(ctx, r.opId)) {
    throw new UserError('CONFLICT', `rollout ${r.id} is being run by another clawops process`, {
      hint: `Watch it with clawops config push status ${r.id}.`,
      details: { rolloutId: r.id, status: state },
    })
  }
  store.tx(() => {
    if (state === 'halted') {
      // Resuming after a halt accepts the failures so far; the budget judges the batches after.
      const c = rollouts.counts(r.id)
      rollouts.accept(r.id, { processed: c.applied + c.unchanged + c.skipped + c.failed, failed: c.failed })
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
    // A halted batch step failed in the journal: it runs again, and skips what it already settled.
    view = await engine.run(ctx, r.opId, {
      retryFailed: true,
      ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
    })
  } catch (err) {
    interrupted(ctx, err, r.opId)
  }
  return settleRollout(ctx, view)
}

export async function rollbackRollout(
  ctx: Context,
  engine: Engine,
  ref: string,
  opts: MutationOptions & { reason?: string },
): Promise<
  | PushOutcome
  | { status: 'dry-run'; plan: { summary: string; instances: number; users: number; policy: PolicyDecision } }
> {
  const push = findRollout(ctx, ref)
  if (push.kind !== 'push')
    throw new UserError('INVALID_INPUT', `${push.id} is a rollback; roll back the push it undid instead`)
  releaseDeadLease(ctx, push.opId)
  let r: MutationResult
  try {
    r = await engine.mutate(
      ctx,
      configRollbackKind,
      { rollout: push.id, reason: opts.reason ?? null },
      {
        ...(opts.dryRun !== undefined ? { dryRun: opts.dryRun } : {}),
        ...(opts.confirm !== undefined ? { confirm: opts.confirm } : {}),
        ...(opts.yes !== undefined ? { yes: opts.yes } : {}),
        ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
        ...(opts.prompt ? { prompt: opts.prompt } : {}),
      },
    )
  } catch (err) {
    if (err instanceof UserError && err.code === 'INTERRUPTED')
      interrupted(ctx, err, (err.details as { opId?: string } | undefined)?.opId ?? null)
    throw err
  }
  if (r.status === 'dry-run') {
    return {
      status: 'dry-run',
      plan: {
        summary: r.plan.summary,
        instances: r.plan.targets.length,
        users: r.plan.affectedUsers,
        policy: r.policy,
      },
    }
  }
  return settleRollout(ctx, r.operation)
}
