/** `--since` values: an ISO date/time, or an age such as 30m, 24h, 7d counted back from now. */
import ms from 'ms'
import { UserError } from '../errors.js'

export function parseSince(value: string, now: Date): string {
  const age = /^\d+(\.\d+)?\s*[a-z]+$/i.test(value) ? ms(value as ms.StringValue) : undefined
  if (typeof age === 'number' && Number.isFinite(age)) return new Date(now.getTime() - age).toISOString()
  const t = Date.parse(value)
  if (Number.isNaN(t)) {
    throw new UserError('INVALID_INPUT', `cannot read --since "${value}"`, {
      hint: 'Use an ISO date (2026-11-01 or 2026-11-01T07:00:00Z) or an age like 30m, 24h, 7d.',
    })
  }
  return new Date(t).toISOString()
}
