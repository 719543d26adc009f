/**
 * The lab cloud's request log: every provider API request with a lab-wide sequence number, the time
 * it arrived (epoch ms with sub-millisecond precision, the same clock clawops stamps its audit trail
 * with) and how it was answered. Tests put it beside clawops's audit trail to check that every
 * provider delete was audited before the provider received it, by order rather than by existence,
 * and follow it to act a few ms after a given request was answered. It keeps no headers or bodies
 * (credentials travel in them) and only the last `capacity` entries, in memory.
 */
import type { Provider } from '../../domain/provider.js'

export interface LoggedRequest {
  seq: number
  provider: Provider
  method: string
  /** Below the provider's prefix, without the query (e.g. `/servers/42`). */
  path: string
  status: number
  /** An injected fault answered it instead of the provider's handler. */
  fault: 'error' | 'outage' | 'malformed' | null
  /** When the request arrived, epoch ms (fractional). */
  receivedAt: number
  /** When the answer was written, epoch ms (fractional). */
  answeredAt: number
}

export interface RequestFilter {
  since?: number
  provider?: Provider | null
  method?: string | null
}

/** Wall-clock epoch ms with the monotonic clock's sub-millisecond precision. */
export const preciseNow = (): number => performance.timeOrigin + performance.now()

export class RequestLog {
  private readonly entries: LoggedRequest[] = []
  private seq = 0
  private waiters = new Set<() => void>()
  private closed = false

  constructor(private readonly capacity = 50_000) {}

  add(e: Omit<LoggedRequest, 'seq'>): LoggedRequest {
    const entry = { seq: ++this.seq, ...e }
    this.entries.push(entry)
    if (this.entries.length > this.capacity) this.entries.splice(0, this.entries.length - this.capacity)
    const waiting = this.waiters
    this.waiters = new Set()
    for (const w of waiting) w()
    return entry
  }

  /** The last sequence number handed out (0 before the first request). */
  last(): number {
    return this.seq
  }

  list(f: RequestFilter = {}): LoggedRequest[] {
    const since = f.since ?? 0
    return this.entries.filter(
      (e) =>
        e.seq > since &&
        (!f.provider || e.provider === f.provider) &&
        (!f.method || e.method === f.method.toUpperCase()),
    )
  }

  /** Entries after `since` that match; waits up to `waitMs` for the first one when there is none yet. */
  async next(f: RequestFilter, waitMs: number): Promise<LoggedRequest[]> {
    const deadline = Date.now() + waitMs
    for (;;) {
      const found = this.list(f)
      const left = deadline - Date.now()
      if (found.length > 0 || left <= 0 || this.closed) return found
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this.waiters.delete(wake)
          resolve()
        }, left)
        const wake = () => {
          clearTimeout(timer)
          resolve()
        }
        this.waiters.add(wake)
      })
    }
  }

  /** Wakes every waiting `next` (the lab is closing). */
  close(): void {
    this.closed = true
    for (const w of this.waiters) w()
    this.waiters.clear()
  }
}
