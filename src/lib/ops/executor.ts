/**
 * Runs a journaled operation: each step is marked running and audited before it starts and marked
 * done (or failed) and audited after, each in one transaction. The same function resumes an
 * operation that a crash left behind; a lease keeps two processes from running it at once.
 */
import { hostname } from 'node:os'
import pMap from 'p-map'
import { AuditTrail } from '../audit/trail.js'
import type { Context } from '../context.js'
import type { Operation, OperationState, OperationStep } from '../domain/operation.js'
import { toErrorBody, UserError } from '../errors.js'
import { newId } from '../ids.js'
import { Operations } from '../store/operations.js'
import type { OperationKind, StepRun } from './kind.js'
import './kinds.js'
import { loadKind } from './registry.js'

const LEASE_TTL_MS = 30_000
const LEASE_RENEW_MS = 10_000

export interface StepView {
  seq: number
  name: string
  target: string | null
  state: OperationStep['state']
  attempts: number
  result: unknown
  error: unknown
}

export interface OperationView {
  id: string
  kind: string
  planId: string
  actor: string
  state: OperationState
  summary: string
  counts: Record<OperationStep['state'], number>
  steps: StepView[]
  createdAt: string
  finishedAt: string | null
}

export function viewOperation(ctx: Context, op: Operation): OperationView {
  const ops = ctx.store().repo(Operations)
  return {
    id: op.id,
    kind: op.kind,
    planId: op.planId,
    actor: op.actor,
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

function leaseHolderGone(owner: string): boolean {
  const [host, pid] = owner.split(':')
  if (host !== hostname() || !pid) return false
  try {
    process.kill(Number(pid), 0)
    return false
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH'
  }
}

export interface RunOptions {
  /** Retry steps that failed in an earlier run (resume). */
  retryFailed?: boolean
  onProgress?: (message: string, data?: Record<string, unknown>) => void
}

export async function runOperation(
  ctx: Context,
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
  const kind = await loadKind(op.kind)
  const params = kind.parseParams(op.params)

  const owner = `${hostname()}:${process.pid}:${newId('run', 6)}`
  // A lease held by a process of this host that no longer exists (a crash) is taken over at once.
  if (op.leaseOwner && leaseHolderGone(op.leaseOwner)) ops.releaseLease(opId, op.leaseOwner)
  if (!ops.acquireLease(opId, owner, LEASE_TTL_MS)) {
    throw new UserError('CONFLICT', `operation ${opId} is being run by another clawops process`, {
      hint: 'Wait for it, or resume after its lease expires (30 s after that process stops).',
      details: { leaseOwner: op.leaseOwner, leaseUntil: op.leaseUntil },
    })
  }
  const renew = setInterval(() => ops.acquireLease(opId, owner, LEASE_TTL_MS), LEASE_RENEW_MS)
  renew.unref()

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
    const runOne = async (step: OperationStep) => {
      store.tx(() => {
        ops.startStep(opId, step.seq)
        audit.append({
          actor: op.actor,
          action: `${op.kind}.${step.name}`,
          target: step.target,
          opId,
          planId: op.planId,
          outcome: 'intent',
          details: { step: step.seq, input: step.input },
        })
      })
      const run: StepRun = {
        ctx,
        opId,
        planId: op.planId,
        actor: op.actor,
        step: { ...step, state: 'running', attempts: step.attempts + 1 },
        checkpoint: (data) => ops.checkpoint(opId, step.seq, data),
        audit: (e) =>
          audit.append({
            actor: op.actor,
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
            actor: op.actor,
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
        const body = toErrorBody(err)
        store.tx(() => {
          ops.finishStep(opId, step.seq, { state: 'failed', error: body })
          audit.append({
            actor: op.actor,
            action: `${op.kind}.${step.name}`,
            target: step.target,
            opId,
            planId: op.planId,
            outcome: 'failed',
            details: { step: step.seq, error: body },
          })
        })
        opts.onProgress?.(`${step.name} ${step.target ?? ''} failed: ${body.message}`.trim(), {
          step: step.seq,
          state: 'failed',
        })
        if (!kind.continueOnFailure) stop = true
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
      }
      audit.append({
        actor: op.actor,
        action: op.kind,
        target: null,
        opId,
        planId: op.planId,
        outcome: state === 'done' ? 'ok' : 'failed',
        details: { counts, interrupted, ...(heldBack !== null ? { heldBack } : {}) },
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
