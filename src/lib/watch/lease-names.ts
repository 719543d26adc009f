/** The lease a watch holds while it leads the fleet's monitoring. */
export const WATCH_LEASE = 'watch'

/** The lease a standby watch holds while it waits, so `watch status` can name it. */
export const standbyLease = (owner: string): string => `${WATCH_LEASE}-standby:${owner}`
