/**
 * `clawops ops resume`: continues journaled operations. Without --retry-failed, operations left
 * `running` (a crash or an interrupt) are picked up, and failed or partial ones that left rows in a
 * transitional state (a teardown's ARCHIVING, a resize whose old server's delete began: half done,
 * and only finishing the operation settles them), their failed steps run again; with it, every failed and partial one. Resuming is an action of its own (`ops.resume`), and each operation is then run by
 * the engine as the resuming actor: a role resumes only what it could have started, and every step is
 * judged again against the fleet as it stands.
 */
import type { Context } from '../context.js'
import type { Operation } from '../domain/operation.js'
import { UserError } from '../errors.js'
import { grantOf } from '../policy/roles.js'
import { AuditTrail } from '../store/audit-trail.js'
import { Operations } from '../store/operations.js'
import { viewOperation } from './execute.js'
import type { EngineHandle } from './kind.js'
import type { OperationView, RunOptions } from './types.js'

export interface ResumeOptions extends Pick<RunOptions, 'confirm' | 'yes' | 'onProgress'> {
  opId?: string
  retryFailed?: boolean
}

export interface ResumeSkip {
  opId: string
  code: string
  message: string
}

export interface ResumeResult {
  operations: OperationView[]
  /** Operations left as they were, and why (held by another process, not this role's to run …). */
  skipped: ResumeSkip[]
}

export async function resumeOperations(
  ctx: Context,
  engine: EngineHandle,
  opts: ResumeOptions,
): Promise<ResumeResult> {
  const audit = ctx.store().repo(AuditTrail)
  if (grantOf(ctx.actor, 'ops.resume') === 'deny') {
    audit.append({
      ...ctx.who,
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
  /** Operations to run with their failed steps again: asked for, or needed to settle their rows. */
  const retry = new Set<string>()
  const resumable = async (o: Operation) => {
    if (o.state === 'running') return true
    if (o.state === 'done') return false
    if (opts.retryFailed === true || (await engine.unsettled(ctx, o)).length > 0) {
      retry.add(o.id)
      return true
    }
    return false
  }
  let targets: Operation[]
  if (opts.opId) {
    const op = ops.get(opts.opId)
    if (!op) throw new UserError('NOT_FOUND', `no operation ${opts.opId}`, { hint: 'See clawops ops list.' })
    if (!(await resumable(op))) {
      throw new UserError('CONFLICT', `operation ${op.id} is ${op.state}; nothing to resume`, {
        hint: op.state === 'done' ? undefined : 'Add --retry-failed to run its failed steps again.',
      })
    }
    targets = [op]
  } else {
    targets = []
    for (const o of ops.list({ states: ['running', 'failed', 'partial'], limit: 10_000 }).reverse())
      if (await resumable(o)) targets.push(o)
  }
  const results: OperationView[] = []
  const skipped: ResumeSkip[] = []
  for (const op of targets) {
    audit.append({
      ...ctx.who,
      action: 'ops.resume',
      target: null,
      opId: op.id,
      planId: op.planId,
      outcome: 'intent',
      details: {
        retryFailed: retry.has(op.id),
        ...(retry.has(op.id) && !opts.retryFailed ? { why: 'rows left in a transitional state' } : {}),
        was: op.state,
        startedBy: op.actor,
      },
    })
    try {
      results.push(
        await engine.run(ctx, op.id, {
          retryFailed: retry.has(op.id),
          ...(opts.confirm !== undefined ? { confirm: opts.confirm } : {}),
          ...(opts.yes !== undefined ? { yes: opts.yes } : {}),
          ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
        }),
      )
    } catch (err) {
      // Resuming everything: one operation this actor may not (or cannot now) run must not stop the
      // others; it is reported, and the refusal is in the audit trail.
      if (
        !opts.opId &&
        err instanceof UserError &&
        ['CONFLICT', 'POLICY_DENIED', 'CONFIRMATION_REQUIRED'].includes(err.code)
      ) {
        ctx.warn(`${op.id}: ${err.message}`)
        skipped.push({ opId: op.id, code: err.code, message: err.message })
        results.push(viewOperation(ctx, op))
        continue
      }
      throw err
    }
  }
  return { operations: results, skipped }
}
