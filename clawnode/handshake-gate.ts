/**
 * A bound on the handshakes a swarm has in flight at once. A gateway admits joining nodes at a fixed
 * rate (about two a second on two cores); past that, every extra concurrent connect slows all of
 * them, their handshakes outlive the gateway's 15 s limit after it has already done the pairing
 * work, and the retries pile on: joining collapses (a 1,000-node swarm stalled at ~420 nodes).
 * Waiting here instead keeps each connect short enough to finish.
 */
/** Measured on 2 cores: a 1,000-node swarm joins in ~13 min at 16; unbounded it stalled at ~420. */
export const DEFAULT_MAX_HANDSHAKES = 16

export class HandshakeGate {
  private inFlight = 0
  private readonly waiting: (() => void)[] = []

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError('limit must be a positive integer')
  }

  /** Resolves when a slot is free; the caller must call release() exactly once after. */
  acquire(): Promise<void> {
    if (this.inFlight < this.limit) {
      this.inFlight++
      return Promise.resolve()
    }
    return new Promise((resolve) => this.waiting.push(resolve))
  }

  release(): void {
    const next = this.waiting.shift()
    if (next) next()
    else this.inFlight = Math.max(0, this.inFlight - 1)
  }

  get busy(): number {
    return this.inFlight
  }
}
