/**
 * Whether a rollout is still being run: its status says running, but only a clawops process holding
 * the operation's lease runs it. One that nobody runs any more (killed, crashed) is interrupted.
 */
import type { Context } from '../context.js'
import { holderGone } from '../engine/lease.js'
import { Operations } from '../store/operations.js'

/** A clawops process is running this operation right now. */
export function leaseHeld(ctx: Context, opId: string): boolean {
  const op = ctx.store().repo(Operations).get(opId)
  return Boolean(
    op?.leaseOwner && op.leaseUntil && op.leaseUntil > ctx.store().sharedNow() && !holderGone(op.leaseOwner),
  )
}

/** A status as stored, with `interrupted` for a running rollout no process runs any more. */
export function liveStatus<S extends string>(ctx: Context, status: S, opId: string): S | 'interrupted' {
  if ((status === 'running' || status === 'pausing') && !leaseHeld(ctx, opId)) return 'interrupted'
  return status
}
