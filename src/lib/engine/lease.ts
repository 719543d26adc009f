/**
 * Holding a named lease for as long as a process acts: taken once (or refused with CONFLICT naming
 * the holder), renewed in the background, released when done. A holder on this host whose process no
 * longer exists is taken over at once; one elsewhere only after its lease runs out.
 */
import { hostname } from 'node:os'
import type { Context } from '../context.js'
import { UserError } from '../errors.js'
import { newId } from '../ids.js'
import { Leases } from '../store/leases.js'

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** True when the holder (host:pid:…) is another process of this host that no longer exists (killed). */
export function holderGone(owner: string): boolean {
  const [host, pid] = owner.split(':')
  return (
    host === hostname() &&
    pid !== undefined &&
    /^\d+$/.test(pid) &&
    Number(pid) !== process.pid &&
    !alive(Number(pid))
  )
}

export const LEASE_TTL_MS = 30_000

export interface LeaseTiming {
  /** How long the lease lasts past each renewal: how soon another process may take over a holder that vanished. */
  ttlMs?: number
}

export interface HeldLease {
  name: string
  owner: string
  /** False once a renewal found the lease taken by someone else (this process lost it). */
  held(): boolean
  release(): void
}

function newOwner(): string {
  return `${hostname()}:${process.pid}:${newId('lease', 6)}`
}

/** One attempt: takes the lease when it is free, expired or held by a process of this host that died. */
function tryAcquire(leases: Leases, name: string, owner: string, holder: string, ttlMs: number): boolean {
  const current = leases.get(name)
  if (current && current.owner !== owner && holderGone(current.owner)) leases.release(name, current.owner)
  return leases.acquire(name, owner, holder, ttlMs)
}

function keep(leases: Leases, name: string, owner: string, holder: string, ttlMs: number): HeldLease {
  let ok = true
  // Renewed three times per lease period: two missed renewals (a busy store) still keep it.
  const timer = setInterval(
    () => {
      try {
        ok = leases.acquire(name, owner, holder, ttlMs)
      } catch {
        // A busy store: the next renewal tries again, well inside the lease's time.
      }
    },
    Math.max(250, Math.floor(ttlMs / 3)),
  )
  timer.unref()
  return {
    name,
    owner,
    held: () => ok,
    release() {
      clearInterval(timer)
      try {
        leases.release(name, owner)
      } catch {
        // The store is closing; the lease runs out on its own.
      }
    },
  }
}

function heldBy(leases: Leases, name: string, hint: string | undefined, ttlMs: number): UserError {
  const by = leases.get(name)
  return new UserError(
    'CONFLICT',
    `${name} is held by ${by?.holder ?? 'another process'} (since ${by?.acquiredAt ?? '?'})`,
    {
      hint:
        hint ??
        `Wait for it to finish; a holder that stopped loses the lease ${ttlMs / 1000} s after its last renewal.`,
      details: {
        lease: name,
        holder: by?.holder ?? null,
        owner: by?.owner ?? null,
        until: by?.until ?? null,
      },
    },
  )
}

/** Takes the lease now or refuses with CONFLICT naming its holder. */
export function holdLease(
  ctx: Context,
  name: string,
  holder: string,
  o: { hint?: string } & LeaseTiming = {},
): HeldLease {
  const leases = ctx.store().repo(Leases)
  const ttlMs = o.ttlMs ?? LEASE_TTL_MS
  const owner = newOwner()
  if (!tryAcquire(leases, name, owner, holder, ttlMs)) throw heldBy(leases, name, o.hint, ttlMs)
  return keep(leases, name, owner, holder, ttlMs)
}

/**
 * Stands by until the lease is free (its holder released it, or stopped renewing it), then holds it.
 * Null when `signal` fires first. `onWaiting` hears who holds it, once per holder.
 */
export async function awaitLease(
  ctx: Context,
  name: string,
  holder: string,
  o: LeaseTiming & {
    pollMs?: number
    signal: AbortSignal
    onWaiting?: (current: { holder: string; owner: string; until: string }) => void
  },
): Promise<HeldLease | null> {
  const leases = ctx.store().repo(Leases)
  const ttlMs = o.ttlMs ?? LEASE_TTL_MS
  const owner = newOwner()
  let announced: string | null = null
  while (!o.signal.aborted) {
    try {
      if (tryAcquire(leases, name, owner, holder, ttlMs)) return keep(leases, name, owner, holder, ttlMs)
      const by = leases.get(name)
      if (by && by.owner !== announced) {
        announced = by.owner
        o.onWaiting?.(by)
      }
    } catch {
      // A busy store: try again at the next poll.
    }
    await ctx.sleep(o.pollMs ?? 1_000, o.signal).catch(() => {})
  }
  return null
}
