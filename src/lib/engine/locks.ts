/**
 * One operation per resource at a time: an operation claims the names its plan lists (`pair:<id>`,
 * `config:<instanceId>`) together with its journal entry, holds them while it is unfinished (a crash
 * included: the pair waits for `ops resume`), and gives them up when it ends. A second operation that
 * needs one waits while the holder is actively running (up to `policy.lockWaitSeconds`), and is
 * refused at once, naming the operation in the way, when the holder is stopped or held back. An
 * operation a step starts (heal's failover) shares what its parent holds.
 */
import type { Context } from '../context.js'
import { UserError } from '../errors.js'
import { type LockHolder, OpLocks } from '../store/op-locks.js'
import { holderGone } from './lease.js'

const POLL_MS = 1_000

function activelyRunning(ctx: Context, h: LockHolder): boolean {
  return (
    h.state === 'running' &&
    h.leaseOwner !== null &&
    h.leaseUntil !== null &&
    h.leaseUntil > ctx.store().sharedNow() &&
    !holderGone(h.leaseOwner)
  )
}

function conflict(h: LockHolder, waitedMs: number): UserError {
  const what = h.name.replace(':', ' ')
  return new UserError('CONFLICT', `${what} is held by ${h.kind} operation ${h.opId} (${h.state})`, {
    hint:
      waitedMs > 0
        ? `It was still running after ${Math.round(waitedMs / 1000)} s; follow it with clawops ops show ${h.opId}, and try again when it ends.`
        : `Finish it first: clawops ops resume ${h.opId} (or see clawops ops show ${h.opId}).`,
    details: { lock: h.name, opId: h.opId, kind: h.kind, state: h.state },
  })
}

/**
 * Claims `names` for `opId`, running `also` in the same transaction once they are free (mutate
 * creates the operation there). Waits for an actively running holder; refuses a stopped one. After a
 * wait, `revalidate` is asked (outside the transaction) before the claim: the operation waited for
 * has changed the fleet, and a plan made before it may no longer be the one to run. It throws to
 * refuse; it is given the operation that was waited for.
 */
export async function claimLocks(
  ctx: Context,
  opId: string,
  names: readonly string[],
  o: {
    parentOpId?: string
    also?: () => void
    onWait?: (message: string, data?: Record<string, unknown>) => void
    revalidate?: (waitedFor: LockHolder) => Promise<void>
  } = {},
): Promise<void> {
  const store = ctx.store()
  const locks = store.repo(OpLocks)
  const waitMs = ctx.config().policy.lockWaitSeconds * 1000
  // Waiting is real time, whatever clock the fleet's records use.
  const t0 = Date.now()
  let waitedFor: LockHolder | null = null
  for (;;) {
    const blocking = store.tx(() => {
      const others = locks.holders(names, opId).filter((h) => h.opId !== o.parentOpId)
      // A row of an operation that has ended is left over (it cannot be, but a store is a store).
      for (const h of others.filter((x) => x.state !== 'running')) locks.releaseAll(h.opId)
      const live = others.filter((h) => h.state === 'running')
      if (live.length > 0) return live
      // Free after a wait: judge again before claiming (below), then come back to claim.
      if (waitedFor && o.revalidate) return []
      o.also?.()
      locks.claim(
        names.filter((n) => !others.some((h) => h.name === n && h.opId === o.parentOpId)),
        opId,
      )
      return null
    })
    if (!blocking) return
    if (blocking.length === 0) {
      await o.revalidate!(waitedFor!)
      waitedFor = null
      continue
    }
    waitedFor = blocking[0]!
    const waited = Date.now() - t0
    const stopped = blocking.find((h) => !activelyRunning(ctx, h))
    if (stopped) throw conflict(stopped, 0)
    if (waited >= waitMs) throw conflict(blocking[0]!, waited)
    o.onWait?.(`waiting for ${blocking[0]!.kind} operation ${blocking[0]!.opId} (${blocking[0]!.name})`, {
      lock: blocking[0]!.name,
      opId: blocking[0]!.opId,
    })
    await ctx.sleep(Math.min(POLL_MS, waitMs - waited))
  }
}

/**
 * The pairs an operation is acting on right now (it holds `pair:<id>` and its process renews its
 * lease). Watch leaves them alone: what their rows say is the operation's to change (an instance
 * resized in place is off for a while, by design), and a heal would only wait for the lease. A pair
 * whose operation stopped (a crash) is watched again: it waits for `ops resume`, and meanwhile the
 * truth about its servers matters.
 */
export function pairsInOperation(ctx: Context): Set<string> {
  return new Set(
    ctx
      .store()
      .repo(OpLocks)
      .heldByRunning('pair:')
      .filter((h) => activelyRunning(ctx, h))
      .map((h) => h.name.slice('pair:'.length)),
  )
}
