/**
 * Server-side rate limits of the emulated APIs: a token bucket per provider (per token on the real
 * clouds; the lab has one account per provider). Hetzner: 3600/h refilling 1/s; DigitalOcean: the
 * 250/min burst limit (its 5000/h limit is what the headers report); Vultr: 30 requests/s; Contabo
 * and Hostinger document 429s without numbers. In memory only: a restart resets it, as a real
 * provider's window would have moved on meanwhile.
 */
import type { Provider } from '../../domain/provider.js'

export interface QuotaOptions {
  capacity: number
  refillPerSec: number
  /** The limit the headers announce (Hetzner per hour, DigitalOcean per hour). */
  announcedLimit: number
}

export const DEFAULT_QUOTAS: Record<Provider, QuotaOptions> = {
  hetzner: { capacity: 3600, refillPerSec: 1, announcedLimit: 3600 },
  digitalocean: { capacity: 250, refillPerSec: 250 / 60, announcedLimit: 5000 },
  vultr: { capacity: 30, refillPerSec: 30, announcedLimit: 30 },
  contabo: { capacity: 100, refillPerSec: 10, announcedLimit: 100 },
  hostinger: { capacity: 100, refillPerSec: 10, announcedLimit: 100 },
}

export interface QuotaVerdict {
  allowed: boolean
  limit: number
  remaining: number
  /** Epoch seconds when the bucket is full again. */
  resetAt: number
  /** Seconds until one request is allowed again (for Retry-After), when refused. */
  retryAfterSec: number
}

export class Quota {
  private tokens: number
  private at: number

  constructor(
    private readonly o: QuotaOptions,
    now: number,
  ) {
    this.tokens = o.capacity
    this.at = now
  }

  take(now: number): QuotaVerdict {
    this.tokens = Math.min(this.o.capacity, this.tokens + ((now - this.at) / 1000) * this.o.refillPerSec)
    this.at = now
    const allowed = this.tokens >= 1
    if (allowed) this.tokens -= 1
    const missing = this.o.capacity - this.tokens
    return {
      allowed,
      limit: this.o.announcedLimit,
      remaining: Math.max(0, Math.floor(this.tokens)),
      resetAt: Math.ceil((now + (missing / this.o.refillPerSec) * 1000) / 1000),
      retryAfterSec: allowed ? 0 : Math.max(1, Math.ceil((1 - this.tokens) / this.o.refillPerSec)),
    }
  }
}
