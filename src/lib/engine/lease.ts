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
const RENEW_MS = 10_000

export interface HeldLease {
  name: string
  owner: string
  /** False once a renewal found the lease taken by someone else (this process lost it). */
  held(): boolean
  release(): void
}

export function holdLease(ctx: Context, name: string, holder: string, o: { hint?: string } = {}): HeldLease {
  const leases = ctx.store().repo(Leases)
  const owner = `${hostname()}:${process.pid}:${newId('lease', 6)}`
  const current = leases.get(name)
  if (current && holderGone(current.owner)) leases.release(name, current.owner)
  if (!leases.acquire(name, owner, holder, LEASE_TTL_MS)) {
    const by = leases.get(name)
    throw new UserError(
      'CONFLICT',
      `${name} is held by ${by?.holder ?? 'another process'} (since ${by?.acquiredAt ?? '?'})`,
      {
        hint:
          o.hint ??
          `Wait for it to finish; a holder that stopped loses the lease ${LEASE_TTL_MS / 1000} s after its last renewal.`,
        details: {
          lease: name,
          holder: by?.holder ?? null,
          owner: by?.owner ?? null,
          until: by?.until ?? null,
        },
      },
    )
  }
  let ok = true
  const timer = setInterval(() => {
    try {
      ok = leases.acquire(name, owner, holder, LEASE_TTL_MS)
    } catch {
      // A busy store: the next renewal tries again, well inside the lease's time.
    }
  }, RENEW_MS)
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
