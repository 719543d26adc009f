/**
 * Polling with a deadline: the one wait every async model reduces to (Hetzner and DigitalOcean
 * actions, Vultr/Contabo/Hostinger status fields). The deadline is checked before each sleep so a
 * wait never overruns it by more than one request.
 */
import { UserError } from '../errors.js'
import type { Clock } from './clock.js'

export type PollResult<T> = { done: true; value: T } | { done: false; state: string }

export interface PollOptions {
  timeoutMs: number
  pollMs: number
  clock: Clock
  signal?: AbortSignal | undefined
  /** Merged into the TIMEOUT error's details. */
  details?: Record<string, unknown>
}

export async function pollUntil<T>(
  what: string,
  check: () => Promise<PollResult<T>>,
  o: PollOptions,
): Promise<T> {
  const deadline = o.clock.now() + o.timeoutMs
  let last = 'unknown'
  for (;;) {
    const r = await check()
    if (r.done) return r.value
    last = r.state
    const left = deadline - o.clock.now()
    if (left <= 0) {
      throw new UserError(
        'TIMEOUT',
        `${what} did not finish within ${Math.round(o.timeoutMs / 1000)} s (last state: ${last})`,
        {
          details: { ...o.details, lastState: last, timeoutMs: o.timeoutMs },
          hint: 'The provider may still finish it: wait and check again, or raise the timeout.',
        },
      )
    }
    await o.clock.sleep(Math.min(o.pollMs, left), o.signal)
  }
}
