/**
 * Reconnect delays: exponential from `minMs` to `maxMs`, with "equal jitter" (half fixed, half random)
 * so that a thousand nodes dropped by one gateway restart do not reconnect in lockstep, while no
 * delay ever falls below half the exponential step.
 */
export interface BackoffOptions {
  minMs: number
  maxMs: number
}

export function backoffDelay(
  attempt: number,
  opts: BackoffOptions,
  random: () => number = Math.random,
): number {
  const exp = Math.min(opts.maxMs, opts.minMs * 2 ** Math.min(Math.max(attempt, 0), 30))
  const half = exp / 2
  return Math.round(half + random() * half)
}
