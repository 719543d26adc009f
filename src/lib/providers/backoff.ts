/**
 * How long to wait before retry n: exponential with "equal jitter" (half fixed, half random), so
 * a fleet of clients that failed together does not retry together, yet never retries instantly.
 * A server's Retry-After wins when it asks for longer.
 */

export interface RetryPolicy {
  /** Retries after the first attempt. */
  maxRetries: number
  baseMs: number
  capMs: number
  /** Upper bound on an honoured Retry-After, so a bogus header cannot park a command for hours. */
  maxRetryAfterMs: number
}

export const DEFAULT_RETRY: RetryPolicy = {
  maxRetries: 5,
  baseMs: 500,
  capMs: 60_000,
  maxRetryAfterMs: 120_000,
}

export function backoffDelay(retry: number, policy: RetryPolicy, random: () => number): number {
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** retry)
  return Math.round(ceiling / 2 + random() * (ceiling / 2))
}

/** Retry-After as milliseconds: delta-seconds or an HTTP date; null when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, now: number): number | null {
  if (!value) return null
  const trimmed = value.trim()
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000)
  const at = Date.parse(trimmed)
  return Number.isNaN(at) ? null : Math.max(0, at - now)
}
