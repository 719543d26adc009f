/**
 * Time as a dependency: adapters wait (backoff, rate limits, polling) through this, so tests can
 * record the waits and skip them instead of sleeping.
 */
import { setTimeout as delay } from 'node:timers/promises'

export interface Clock {
  now(): number
  sleep(ms: number, signal?: AbortSignal): Promise<void>
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: async (ms, signal) => {
    if (ms <= 0) {
      signal?.throwIfAborted()
      return
    }
    await delay(ms, undefined, signal ? { signal } : undefined)
  },
}
