/**
 * `clawops ops resume`: continues journaled operations. Without --retry-failed only operations left
 * `running` (a crash or an interrupt) are picked up; with it, failed and partial ones too, their failed
 * steps run again.
 */
import { AuditTrail } from '../audit/trail.js'
import type { Context } from '../context.js'
import type { Operation } from '../domain/operation.js'
import { UserError } from '../errors.js'
import { grantOf } from '../policy/roles.js'
import { Operations } from '../store/operations.js'
import { type OperationView, runOperation, viewOperation } from './executor.js'
import './kinds.js'

export interface ResumeOptions {
  opId?: string
  retryFailed?: boolean
  onProgress?: (message: string, data?: Record<string, unknown>) => void
}

export interface ResumeResult {
  operations: OperationView[]
}

export async function resumeOperations(ctx: Context, opts: ResumeOptions): Promise<ResumeResult> {
  if (grantOf(ctx.actor, 'ops.resume') === 'deny') {
    ctx
      .store()
      .repo(AuditTrail)
      .append({
        actor: ctx.actor,
        action: 'ops.resume',
        target: opts.opId ?? null,
        outcome: 'denied',
        details: { rule: 'role-permission' },
      })
    throw new UserError('POLICY_DENIED', `${ctx.actor} may not resume operations`, {
      details: { rules: ['role-permission'] },
    })
  }
  const ops = ctx.store().repo(Operations)
  const resumable = (o: Operation) =>
    o.state === 'running' || (opts.retryFailed === true && o.state !== 'done')
  let targets: Operation[]
  if (opts.opId) {
    const op = ops.get(opts.opId)
    if (!op) throw new UserError('NOT_FOUND', `no operation ${opts.opId}`, { hint: 'See clawops ops list.' })
    if (!resumable(op)) {
      throw new UserError('CONFLICT', `operation ${op.id} is ${op.state}; nothing to resume`, {
        hint: op.state === 'done' ? undefined : 'Add --retry-failed to run its failed steps again.',
      })
    }
    targets = [op]
  } else {
    targets = ops
      .list({ states: opts.retryFailed ? ['running', 'failed', 'partial'] : ['running'], limit: 10_000 })
      .reverse()
  }
  const results: OperationView[] = []
  for (const op of targets) {
    ctx
      .store()
      .repo(AuditTrail)
      .append({
        actor: ctx.actor,
        action: 'ops.resume',
        target: null,
        opId: op.id,
        planId: op.planId,
        outcome: 'intent',
        details: { retryFailed: opts.retryFailed === true, was: op.state },
      })
    try {
      results.push(
        await runOperation(ctx, op.id, { retryFailed: opts.retryFailed, onProgress: opts.onProgress }),
      )
    } catch (err) {
      // One operation held by another process must not stop the others from resuming.
      if (!opts.opId && err instanceof UserError && err.code === 'CONFLICT') {
        ctx.warn(`${op.id}: ${err.message}`)
        results.push(viewOperation(ctx, op))
        continue
      }
      throw err
    }
  }
  return { operations: results }
}
