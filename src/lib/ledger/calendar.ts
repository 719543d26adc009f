/**
 * UTC calendar arithmetic for billing: months (Hetzner's cap and contract terms run per month) and the
 * report periods (ISO weeks starting Monday 00:00 UTC, calendar months). Times are epoch milliseconds.
 */

export type PeriodKind = 'week' | 'month'

export interface Period {
  kind: PeriodKind
  start: number
  end: number
}

// The month of the last lookup: reports ask about the same month tens of thousands of times.
let cachedStart = 0
let cachedEnd = 0

function month(t: number): void {
  if (t >= cachedStart && t < cachedEnd) return
  const d = new Date(t)
  cachedStart = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1)
  cachedEnd = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1)
}

/** Start of the UTC calendar month containing `t`. */
export function monthStart(t: number): number {
  month(t)
  return cachedStart
}

/** Start of the month after the one containing `t`. */
export function nextMonthStart(t: number): number {
  month(t)
  return cachedEnd
}

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month + 1, 0)).getUTCDate()
}

/**
 * `t` plus `n` calendar months, keeping the day of month and the time of day; a day the target month
 * lacks becomes its last day (an order on 31 January renews on 28 or 29 February).
 */
export function addMonths(t: number, n: number): number {
  const d = new Date(t)
  const y = d.getUTCFullYear()
  const m = d.getUTCMonth() + n
  const ty = y + Math.floor(m / 12)
  const tm = ((m % 12) + 12) % 12
  const day = Math.min(d.getUTCDate(), daysIn(ty, tm))
  return Date.UTC(ty, tm, day, d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), d.getUTCMilliseconds())
}

/** Whole calendar months from `from` to `to` (how many times addMonths(from, k) <= to, minus one). */
export function monthsBetween(from: number, to: number): number {
  const a = new Date(from)
  const b = new Date(to)
  let n = (b.getUTCFullYear() - a.getUTCFullYear()) * 12 + (b.getUTCMonth() - a.getUTCMonth())
  if (addMonths(from, n) > to) n--
  return n
}

const DAY = 86_400_000

/** The report period of `kind` containing `t`. */
export function periodAt(kind: PeriodKind, t: number): Period {
  if (kind === 'month') return { kind, start: monthStart(t), end: nextMonthStart(t) }
  const d = new Date(t)
  const midnight = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate())
  const sinceMonday = (d.getUTCDay() + 6) % 7
  const start = midnight - sinceMonday * DAY
  return { kind, start, end: start + 7 * DAY }
}

/** The period just before `p`. */
export function previousPeriod(p: Period): Period {
  return periodAt(p.kind, p.start - 1)
}

export const iso = (t: number): string => new Date(t).toISOString()
