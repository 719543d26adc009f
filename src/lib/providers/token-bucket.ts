/**
 * Client-side rate limiting, one bucket per provider account. Requests reserve a token first (the
 * count may go negative, which queues callers fairly in arrival order) and sleep until their token
 * has refilled. The provider's own rate-limit headers correct the bucket: it never believes it has
 * more tokens than the server says remain, and a server-announced reset blocks until then.
 */
import type { Clock } from './clock.js'

export interface TokenBucketOptions {
  /** Burst size. */
  capacity: number
  /** Steady rate. */
  refillPerSec: number
}

/** What a provider's headers say about the quota (see each adapter's header reader). */
export interface RateLimitHint {
  remaining?: number
  /** Epoch ms before which no request should be sent (quota exhausted until then). */
  blockedUntil?: number
}

export class TokenBucket {
  private tokens: number
  private updatedAt: number
  private blockedUntil = 0

  constructor(
    private readonly opts: TokenBucketOptions,
    private readonly clock: Clock,
  ) {
    if (opts.capacity < 1 || opts.refillPerSec <= 0)
      throw new Error('token bucket needs capacity >= 1 and a positive rate')
    this.tokens = opts.capacity
    this.updatedAt = clock.now()
  }

  /** Waits for a token; returns how long it waited. */
  async take(signal?: AbortSignal): Promise<number> {
    this.refill()
    this.tokens -= 1
    const now = this.clock.now()
    const waitForToken = this.tokens >= 0 ? 0 : (-this.tokens / this.opts.refillPerSec) * 1000
    const waitForBlock = Math.max(0, this.blockedUntil - now)
    const wait = Math.ceil(Math.max(waitForToken, waitForBlock))
    if (wait > 0) await this.clock.sleep(wait, signal)
    return wait
  }

  observe(hint: RateLimitHint): void {
    this.refill()
    if (hint.remaining !== undefined && Number.isFinite(hint.remaining)) {
      this.tokens = Math.min(this.tokens, hint.remaining)
    }
    if (hint.blockedUntil !== undefined && hint.blockedUntil > this.blockedUntil)
      this.blockedUntil = hint.blockedUntil
  }

  /** Tokens available now (negative while callers are queued). */
  available(): number {
    this.refill()
    return this.tokens
  }

  private refill(): void {
    const now = this.clock.now()
    const elapsed = now - this.updatedAt
    if (elapsed > 0) {
      this.tokens = Math.min(this.opts.capacity, this.tokens + (elapsed / 1000) * this.opts.refillPerSec)
      this.updatedAt = now
    }
  }
}
