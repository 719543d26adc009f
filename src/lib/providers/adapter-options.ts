/**
 * What every adapter is built from: its credentials (per adapter), tuning it can override (base URL,
 * timeouts, retry and rate-limit settings, poll interval) and injected dependencies (undici
 * dispatcher, clock, randomness, logger). Nothing is read from globals inside an adapter, so tests
 * run the real adapter code against the lab cloud.
 */
import pino, { type Logger } from 'pino'
import type { Dispatcher } from 'undici'
import { DEFAULT_RETRY, type RetryPolicy } from './backoff.js'
import { type Clock, systemClock } from './clock.js'
import type { TokenBucketOptions } from './token-bucket.js'

export interface AdapterTuning {
  /** The API root, e.g. https://api.hetzner.cloud/v1; the lab serves its own on loopback. */
  baseUrl?: string
  /** Per-request timeout. Default 30 s. */
  timeoutMs?: number
  retry?: Partial<RetryPolicy>
  rateLimit?: Partial<TokenBucketOptions>
  /** Poll interval while waiting on actions or status. */
  pollMs?: number
  /** Image used when create() gets none. */
  defaultImage?: string
  /**
   * After a create that failed without a clear answer (timeout, 5xx), wait this long before looking
   * the server up by op id, so a create still in flight has landed. Default 5 s.
   */
  createRecoveryDelayMs?: number
}

export interface AdapterDeps {
  dispatcher?: Dispatcher
  clock?: Clock
  random?: () => number
  logger?: Logger
}

export interface ResolvedDeps {
  dispatcher: Dispatcher | undefined
  clock: Clock
  random: () => number
  logger: Logger
}

export function resolveDeps(d: AdapterDeps | undefined): ResolvedDeps {
  return {
    dispatcher: d?.dispatcher,
    clock: d?.clock ?? systemClock,
    random: d?.random ?? Math.random,
    logger: d?.logger ?? pino({ enabled: false }),
  }
}

export function resolveRetry(r: Partial<RetryPolicy> | undefined): RetryPolicy {
  return { ...DEFAULT_RETRY, ...(r ?? {}) }
}

export const DEFAULT_TIMEOUT_MS = 30_000
export const DEFAULT_WAIT_TIMEOUT_MS = 10 * 60_000
export const DEFAULT_CREATE_RECOVERY_DELAY_MS = 5000
