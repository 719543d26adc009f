/** A duration flag (`--pause 10s`, `2m`, or plain seconds) in milliseconds. */
import ms from 'ms'
import { UserError } from '../errors.js'

export function durationFlag(flag: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined
  const v = /^\d+$/.test(raw) ? Number(raw) * 1000 : ms(raw as ms.StringValue)
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
    throw new UserError('INVALID_INPUT', `cannot read --${flag} "${raw}"`, { hint: 'Use 0, 30s, 2m.' })
  return Math.round(v)
}
