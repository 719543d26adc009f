/**
 * The cost model: what one billing segment (one server on one plan, from open to close) is charged in
 * a time window, in the provider's currency, exactly.
 *
 * Hourly billing (Hetzner, Vultr, DigitalOcean). The segment is cut into ticks from its start (an hour,
 * or a second on DigitalOcean); a tick is charged in full in the calendar month (UTC) it starts in.
 * A month's charge is the ticks started in it times the hourly rate, rounded half up to the cent, and
 * never more than the monthly price (the cap). A segment shorter than the provider's minimum is billed
 * the minimum.
 *
 * Monthly billing (Contabo contracts, Hostinger periods). A term of `termMonths` months is charged in
 * full, in advance, on the day it starts: the segment start and every `termMonths` months after it
 * (same day of month, or the month's last day). Closing a segment ends the renewals; it refunds
 * nothing, because a cancelled contract runs to the end of the term it is in.
 *
 * Charges are recognised when they are incurred (a started hour, a started term), like the invoice.
 * charge(s, a, c) = charge(s, a, b) + charge(s, b, c) for any a <= b <= c, so weeks add up to months
 * and breakdowns add up to totals without rounding drift.
 */
import type { Currency } from '../domain/catalog.js'
import type { BillingModel } from '../domain/price-book.js'
import type { Provider } from '../domain/provider.js'
import type { Tier } from '../domain/tier.js'
import { addMonths, monthStart, monthsBetween, nextMonthStart } from './calendar.js'
import { divRound } from './money.js'

/** What the model needs of a billing segment; times in epoch ms, `end` null while open. */
export interface Billable {
  provider: Provider
  tier: Tier
  currency: Currency
  billing: BillingModel
  monthlyMinor: number
  hourlyMicros: number | null
  tickSeconds: number
  minimumSeconds: number
  termMonths: number
  start: number
  end: number | null
}

const HOUR_MICROS_PER_CENT = 3600 * 10_000

/** Ticks starting in [from, to) for a segment starting at `start` with ticks of `tickMs`. */
function ticksBetween(start: number, tickMs: number, from: number, to: number): number {
  if (to <= from) return 0
  return Math.ceil((to - start) / tickMs) - Math.ceil((from - start) / tickMs)
}

/** The month's charge for usage from the month's (or segment's) start up to `t`, capped. */
function monthToDate(s: Billable, mStart: number, t: number, billedEnd: number): number {
  const from = Math.max(s.start, mStart)
  const to = Math.min(t, billedEnd)
  const ticks = ticksBetween(s.start, s.tickSeconds * 1000, from, to)
  if (ticks <= 0) return 0
  const cents = divRound(ticks * (s.hourlyMicros ?? 0) * s.tickSeconds, HOUR_MICROS_PER_CENT)
  return Math.min(cents, s.monthlyMinor)
}

function hourlyCharge(s: Billable, from: number, to: number): number {
  const billedEnd =
    s.end === null ? Number.POSITIVE_INFINITY : Math.max(s.end, s.start + s.minimumSeconds * 1000)
  const a = Math.max(from, s.start)
  const b = Math.min(to, billedEnd)
  if (b <= a) return 0
  let total = 0
  for (let m = monthStart(a); m < b; m = nextMonthStart(m)) {
    const mEnd = nextMonthStart(m)
    const lo = Math.max(a, m)
    const hi = Math.min(b, mEnd)
    total += monthToDate(s, m, hi, billedEnd) - monthToDate(s, m, lo, billedEnd)
  }
  return total
}

/** Start of term k of a contract segment. */
export function termStart(s: Pick<Billable, 'start' | 'termMonths'>, k: number): number {
  return addMonths(s.start, k * s.termMonths)
}

function contractCharge(s: Billable, from: number, to: number): number {
  // An order cancelled at once still pays its first term.
  if (s.end !== null && s.end === s.start)
    return from <= s.start && s.start < to ? s.monthlyMinor * s.termMonths : 0
  const stop = Math.min(to, s.end === null ? Number.POSITIVE_INFINITY : s.end)
  if (stop <= s.start || stop <= from) return 0
  // First term that can start at or after `from`, found from whole months elapsed (then stepped).
  let k = from <= s.start ? 0 : Math.max(0, Math.floor(monthsBetween(s.start, from) / s.termMonths))
  while (termStart(s, k) < from) k++
  let terms = 0
  for (let t = termStart(s, k); t < stop; t = termStart(s, ++k)) terms++
  return terms * s.monthlyMinor * s.termMonths
}

/** What the segment is charged in [from, to), in minor units of its currency. */
export function charge(s: Billable, from: number, to: number): number {
  if (to <= from) return 0
  return s.billing === 'hourly' ? hourlyCharge(s, from, to) : contractCharge(s, from, to)
}

/** The next time a contract renews after `t` (its paid term runs until then); null for hourly billing. */
export function paidThrough(s: Billable, t: number): number | null {
  if (s.billing !== 'monthly') return null
  let k = t <= s.start ? 0 : Math.floor(monthsBetween(s.start, t) / s.termMonths)
  while (termStart(s, k) <= t) k++
  return termStart(s, k)
}
