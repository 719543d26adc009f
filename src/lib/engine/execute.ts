/**
 * Runs a journaled operation: each step is marked running and audited before it starts and marked
 * done (or failed) and audited after, each in one transaction. The same function resumes an
 * operation that a crash left behind; a lease keeps two processes from running it at once.
 *
 * Policy is judged again here, not only when the plan was made:
 * - the actor running the operation now (its starter, or whoever resumes it) must hold the action,
 *   and a plan that needs a confirmation for that actor needs one that has not lapsed;
 * - before each step, the kind's `recheck` gives the facts as the fleet stands now, and a rule that
 *   denies them fails the step before it touches anything.
 */
import { hostname } from 'node:os'
import pMap from 'p-map'
import type { Context } from '../context.js'
import type { Actor } from '../domain/actor.js'
import type { Operation, OperationState, OperationStep } from '../domain/operation.js'
import type { PlanBody } from '../domain/plan.js'
import { type ErrorBody, toErrorBody, UserError } from '../errors.js'
import { emitOperationEvent } from '../events/operation.js'
import { newId } from '../ids.js'
import { check, type PolicyDecision } from '../policy/check.js'
import { grantOf, ROLES } from '../policy/roles.js'
import { AuditTrail } from '../store/audit-trail.js'
import { Operations } from '../store/operations.js'
import { Plans, type StoredPlan } from '../store/plans.js'
import type { EngineHandle, OperationKind, StepRun } from './kind.js'
import { holderGone } from './lease.js'
import { claimLocks } from './locks.js'
import type { KindRegistry } from './registry.js'
import type { OperationView, RunOptions } from './types.js'

const LEASE_TTL_MS = 30_000
const LEASE_RENEW_MS = 10_000

export function viewOperation(ctx: Context, op: Operation): OperationView {
  const ops = ctx.store().repo(Operations)
  const stored = ctx.store().repo(Plans).get(op.planId)
  const c = stored?.confirmation
  return {
    id: op.id,
    kind: op.kind,
    planId: op.planId,
    actor: op.actor,
    identity: op.identity,
    plannedBy: stored ? { actor: stored.plan.actor, identity: stored.plan.identity } : null,
    confirmedBy: c ? { actor: c.by, identity: c.identity, at: c.at } : null,
    state: op.state,
    summary: op.summary,
    counts: ops.stepCounts(op.id),
    steps: ops.steps(op.id).map((s) => ({
      seq: s.seq,
      name: s.name,
      target: s.target,
      state: s.state,
      attempts: s.attempts,
      result: s.result,
      error: s.error,
    })),
    createdAt: op.createdAt,
    finishedAt: op.finishedAt,
  }
}

/** Has the plan's confirmation lapsed? A confirmation holds for `policy.confirmationTtlMinutes`. */
function confirmationLive(ctx: Context, stored: StoredPlan | undefined): boolean {
  const c = stored?.confirmation
  if (!c) return false
  const ttlMs = ctx.config().policy.confirmationTtlMinutes * 60_000
  return Date.parse(c.at) + ttlMs >= ctx.clock().getTime()
}

/**
 * May `ctx.actor` run this operation now? Refuses (audited) a role without the action, and a plan
 * that needs a confirmation for this actor when none is live; stamps a fresh one when the actor gives
 * it (`--confirm <planId>` by a role that may confirm, or the operator's yes). A `control` (pausing a
 * rollout) needs the action only, or for a pause the `rollout.pause` right: it never adds to what the
 * operation does.
 */
export function authorizeRun(
  ctx: Context,
  op: Operation,
  kind: Pick<OperationKind<unknown>, 'action'>,
  stored: StoredPlan | undefined,
  opts: RunOptions & { control?: string },
): { confirmed: boolean } {
  const store = ctx.store()
  const audit = store.repo(AuditTrail)
  const runner = ctx.actor
  const refuse = (code: 'POLICY_DENIED' | 'CONFIRMATION_REQUIRED', message: string, details: object) => {
    audit.append({
      actor: runner,
      identity: ctx.identity,
      action: opts.control ? `${kind.action}.${opts.control}` : kind.action,
      target: null,
      opId: op.id,
      planId: op.planId,
      outcome: code === 'POLICY_DENIED' ? 'denied' : 'confirmation-required',
      details: { kind: op.kind, startedBy: op.actor, ...details },
    })
    return new UserError(code, message, {
      hint:
        code === 'POLICY_DENIED'
          ? 'The rule is in details; nothing was changed.'
          : `The operator or Commander confirms it again: clawops ops resume ${op.id} --confirm ${op.planId}${opts.retryFailed ? ' --retry-failed' : ''}`,
      details: { opId: op.id, planId: op.planId, ...details },
    })
  }

  // Pausing a rollout never adds to what it does: the right to pause rollouts is enough for it.
  const mayPause = opts.control === 'pause' && grantOf(runner, 'rollout.pause') !== 'deny'
  if (grantOf(runner, kind.action) === 'deny' && !mayPause) {
    throw refuse(
      'POLICY_DENIED',
      `${runner} may not run ${op.kind} operation ${op.id} (${ROLES[runner].summary})`,
      {
        rules: ['role-permission'],
      },
    )
  }
  if (opts.control) return { confirmed: false }
  const judged: PolicyDecision = stored
    ? check(stored.plan, runner)
    : { decision: grantOf(runner, kind.action) === 'confirm' ? 'confirm' : 'allow', findings: [] }
  if (judged.decision === 'deny') {
    const deny = judged.findings.filter((f) => f.effect === 'deny')
    throw refuse('POLICY_DENIED', deny.map((f) => f.message).join('; '), {
      rules: deny.map((f) => f.rule),
      findings: deny,
    })
  }
  if (judged.decision !== 'confirm') return { confirmed: false }

  if (opts.confirm !== undefined) {
    if (opts.confirm !== op.planId) {
      throw new UserError('INVALID_INPUT', `operation ${op.id} runs plan ${op.planId}, not ${opts.confirm}`)
    }
    if (!ROLES[runner].canConfirm) {
      throw refuse(
        'POLICY_DENIED',
        `${runner} may not confirm plan ${op.planId}; the operator or Commander must`,
        {
          rules: ['confirm-authority'],
        },
      )
    }
    store.repo(Plans).confirm(op.planId, ctx.who, ctx.now())
    return { confirmed: true }
  }
  if (opts.yes && runner === 'operator') {
    store.repo(Plans).confirm(op.planId, ctx.who, ctx.now())
    return { confirmed: true }
  }
  if (confirmationLive(ctx, stored)) return { confirmed: true }
  throw refuse(
    'CONFIRMATION_REQUIRED',
    stored?.confirmation
      ? `operation ${op.id} was confirmed at ${stored.confirmation.at}; that confirmation has lapsed`
      : `operation ${op.id} needs a confirmation for ${runner}`,
    { findings: judged.findings, confirmation: stored?.confirmation ?? null },
  )
}

/** The plan's body with the facts a kind reports for one step as the fleet stands now. */
function stepBody(plan: PlanBody, step: OperationStep, facts: Record<string, unknown>): PlanBody {
  return { ...plan, targets: step.target ? [step.target] : [], facts }
}

export async function runOperation(
  ctx: Context,
  engine: EngineHandle,
  kinds: KindRegistry,
  opId: string,
  opts: RunOptions = {},
): Promise<OperationView> {
  const store = ctx.store()
  const ops = store.repo(Operations)
  const audit = store.repo(AuditTrail)
  const op = ops.get(opId)
  if (!op)
    throw new UserError('NOT_FOUND', `no operation ${opId}`, {
      hint: 'List operations with clawops ops list.',
    })
  const kind = await kinds.load(op.kind)
  const params = kind.parseParams(op.params)
  const stored = store.repo(Plans).get(op.planId)
  const runner: Actor = ctx.actor
  const { confirmed } = authorizeRun(ctx, op, kind, stored, opts)
  const startedBy = runner === op.actor ? {} : { startedBy: op.actor }

  const owner = `${hostname()}:${process.pid}:${newId('run', 6)}`
  // A lease held by a process of this host that no longer exists (a crash) is taken over at once.
  if (op.leaseOwner && holderGone(op.leaseOwner)) ops.releaseLease(opId, op.leaseOwner)
  if (!ops.acquireLease(opId, owner, LEASE_TTL_MS)) {
    throw new UserError('CONFLICT', `operation ${opId} is being run by another clawops process`, {
      hint: 'Wait for it, or resume after its lease expires (30 s after that process stops).',
      details: { leaseOwner: op.leaseOwner, leaseUntil: op.leaseUntil },
    })
  }
  const renew = setInterval(() => ops.renewLease(opId, owner, LEASE_TTL_MS), LEASE_RENEW_MS)
  renew.unref()
  // A resumed or retried operation holds its pairs again (a failed one gave them up when it ended).
  try {
    await claimLocks(ctx, opId, stored?.plan.locks ?? [], {
      ...(opts.parentOpId ? { parentOpId: opts.parentOpId } : {}),
      ...(opts.onProgress ? { onWait: opts.onProgress } : {}),
    })
  } catch (err) {
    clearInterval(renew)
    ops.releaseLease(opId, owner)
    throw err
  }

  let interrupted = false
  const onSigint = () => {
    interrupted = true
  }
  process.once('SIGINT', onSigint)
  try {
    store.tx(() => {
      if (opts.retryFailed) ops.retryFailed(opId)
      if (op.state !== 'running') ops.setState(opId, 'running')
    })
    const todo = ops.steps(opId).filter((s) => s.state === 'pending' || s.state === 'running')
    let stop = false
    let heldBack = null as string | null
    // Operations a step starts share what this one holds.
    const child: EngineHandle = {
      mutate: (c, k, p, o = {}) => engine.mutate(c, k, p, { ...o, parentOpId: opId }),
      run: (c, id, o = {}) => engine.run(c, id, { ...o, parentOpId: opId }),
      unsettled: (c, o) => engine.unsettled(c, o),
    }

    const fail = (
      step: OperationStep,
      body: ErrorBody,
      outcome: 'failed' | 'denied' | 'confirmation-required',
    ) => {
      store.tx(() => {
        ops.finishStep(opId, step.seq, { state: 'failed', error: body })
        audit.append({
          actor: runner,
          identity: ctx.identity,
          action: `${op.kind}.${step.name}`,
          target: step.target,
          opId,
          planId: op.planId,
          outcome,
          details: { step: step.seq, error: body, ...startedBy },
        })
      })
      opts.onProgress?.(`${step.name} ${step.target ?? ''} failed: ${body.message}`.trim(), {
        step: step.seq,
        state: 'failed',
      })
      if (!kind.continueOnFailure) stop = true
    }

    /** The rules over the step's facts as they stand now; a refusal fails the step untouched. */
    const refusedNow = (step: OperationStep): boolean => {
      let facts: Record<string, unknown> | null | undefined
      try {
        facts = stored && kind.recheck?.(ctx, params, step)
      } catch (err) {
        fail(step, toErrorBody(err), 'failed')
        return true
      }
      if (!stored || !facts) return false
      const d = check(stepBody(stored.plan, step, facts), runner)
      const deny = d.findings.filter((f) => f.effect === 'deny')
      if (deny.length > 0) {
        fail(
          step,
          toErrorBody(
            new UserError('POLICY_DENIED', deny.map((f) => f.message).join('; '), {
              hint: 'The fleet changed since the plan was made; the rule is in details. Nothing was changed by this step.',
              details: { rules: deny.map((f) => f.rule), findings: deny },
            }),
          ),
          'denied',
        )
        return true
      }
      if (d.decision === 'confirm' && !confirmed) {
        fail(
          step,
          toErrorBody(
            new UserError('CONFIRMATION_REQUIRED', d.findings.map((f) => f.message).join('; '), {
              hint: `The operator or Commander confirms it: clawops ops resume ${opId} --retry-failed --confirm ${op.planId}`,
              details: { findings: d.findings, planId: op.planId },
            }),
          ),
          'confirmation-required',
        )
        return true
      }
      return false
    }

    const runOne = async (step: OperationStep) => {
      if (refusedNow(step)) return
      store.tx(() => {
        ops.startStep(opId, step.seq)
        audit.append({
          actor: runner,
          identity: ctx.identity,
          action: `${op.kind}.${step.name}`,
          target: step.target,
          opId,
          planId: op.planId,
          outcome: 'intent',
          details: { step: step.seq, input: step.input, ...startedBy },
        })
      })
      const run: StepRun = {
        ctx,
        engine: child,
        opId,
        planId: op.planId,
        actor: runner,
        step: { ...step, state: 'running', attempts: step.attempts + 1 },
        checkpoint: (data) => ops.checkpoint(opId, step.seq, data),
        audit: (e) =>
          audit.append({
            actor: runner,
            identity: ctx.identity,
            action: e.action,
            target: e.target ?? step.target,
            opId,
            planId: op.planId,
            outcome: e.outcome ?? 'intent',
            details: e.details,
          }),
        progress: (message, data) =>
          opts.onProgress?.(message, { step: step.seq, target: step.target, ...data }),
      }
      try {
        const result = await (kind as OperationKind<unknown>).runStep(run, params)
        store.tx(() => {
          ops.finishStep(opId, step.seq, { state: 'done', result: result ?? null })
          audit.append({
            actor: runner,
            identity: ctx.identity,
            action: `${op.kind}.${step.name}`,
            target: step.target,
            opId,
            planId: op.planId,
            outcome: 'ok',
            details: { step: step.seq },
          })
        })
        opts.onProgress?.(`${step.name} ${step.target ?? ''} done`.trim(), { step: step.seq, state: 'done' })
      } catch (err) {
        fail(step, toErrorBody(err), 'failed')
      }
    }
    const limit = Math.max(
      1,
      (typeof kind.concurrency === 'function' ? kind.concurrency(params, ctx) : kind.concurrency) ?? 1,
    )
    await pMap(
      todo.filter((s) => !s.final),
      async (step) => {
        if (stop || interrupted) return
        // A kind may hold a step back (a paused rollout): it stays pending for a later resume.
        const hold = kind.holdBack?.(ctx, opId, step) ?? null
        if (hold !== null) {
          heldBack = hold
          stop = true
          return
        }
        await runOne(step)
      },
      { concurrency: limit },
    )
    // Final steps see every other step's outcome, so they wait for all of them (not for success);
    // an operation held back is not finished, so they wait for its resume.
    for (const step of todo.filter((s) => s.final)) if (!interrupted && heldBack === null) await runOne(step)

    const counts = ops.stepCounts(opId)
    const state: OperationState =
      counts.pending + counts.running + counts.failed === 0
        ? 'done'
        : counts.failed > 0 && counts.done > 0 && kind.continueOnFailure
          ? 'partial'
          : 'failed'
    const unfinished = counts.pending + counts.running
    store.tx(() => {
      if ((interrupted || heldBack !== null) && unfinished > 0) {
        ops.setState(opId, 'running')
      } else {
        ops.setState(opId, state, state === 'done' ? null : { failed: counts.failed, notRun: unfinished })
        emitOperationEvent(
          store,
          ctx.watchSettings(),
          { id: opId, kind: op.kind, planId: op.planId, summary: op.summary, ...ctx.who },
          { phase: 'ended', state, counts },
          ctx.now(),
        )
      }
      audit.append({
        actor: runner,
        identity: ctx.identity,
        action: op.kind,
        target: null,
        opId,
        planId: op.planId,
        outcome: state === 'done' ? 'ok' : 'failed',
        details: { counts, interrupted, ...(heldBack !== null ? { heldBack } : {}), ...startedBy },
      })
    })
    if (interrupted && unfinished > 0) {
      throw new UserError(
        'INTERRUPTED',
        `operation ${opId} was interrupted with ${unfinished} step(s) left`,
        {
          hint: `Continue it with: clawops ops resume ${opId}`,
          details: { opId, counts },
        },
      )
    }
    const fresh = ops.get(opId)
    if (!fresh) throw new Error(`operation ${opId} vanished from the journal`)
    return viewOperation(ctx, fresh)
  } finally {
    process.removeListener('SIGINT', onSigint)
    clearInterval(renew)
    ops.releaseLease(opId, owner)
  }
}
