/**
 * How long a failed delivery waits before its next attempt (watch's agent hooks and team feeds): 1 s,
 * doubling per attempt, at most a minute. The outbox keeps the row, so waiting never drops it.
 */
export const MINUTE = 60_000

export function backoffMs(attempts: number): number {
  return Math.min(MINUTE, 1_000 * 2 ** Math.max(0, attempts - 1))
}
