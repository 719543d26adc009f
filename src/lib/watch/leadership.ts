/**
 * Who leads the fleet's watch and who stands by: read from the watch lease and the standbys' own
 * leases, so it holds for watches on other hosts sharing the store.
 */
import type { Context } from '../context.js'
import { Leases } from '../store/leases.js'
import { WATCH_LEASE } from './lease-names.js'

export interface WatchMember {
  holder: string
  /** host:pid:nonce of the process. */
  owner: string
  since: string
  /** The lease runs out then unless renewed: a leader that vanished is replaced soon after. */
  until: string
}

export interface WatchLeadership {
  leader: WatchMember | null
  standbys: WatchMember[]
}

const member = (l: { holder: string; owner: string; acquiredAt: string; until: string }): WatchMember => ({
  holder: l.holder,
  owner: l.owner,
  since: l.acquiredAt,
  until: l.until,
})

export function watchLeadership(ctx: Context): WatchLeadership {
  const leases = ctx.store().repo(Leases)
  // Leases are judged on the store's clock (the database server's, shared by every host).
  const now = ctx.store().sharedNow()
  const lead = leases.get(WATCH_LEASE)
  return {
    leader: lead && lead.until >= now ? member(lead) : null,
    standbys: leases.live(`${WATCH_LEASE}-standby:`, now).map(member),
  }
}
