/**
 * Exact money arithmetic for the Ledger: integers only, one rounding rule (half up, away from zero),
 * applied at stated places, so the same store always gives the same cents on every machine.
 */
import type { Currency } from '../domain/catalog.js'

/** num / den rounded half up (away from zero); both integers, den > 0, |num| within 2^53. */
export function divRound(num: number, den: number): number {
  if (!Number.isSafeInteger(num) || !Number.isSafeInteger(den) || den <= 0) {
    throw new RangeError(`divRound needs safe integers and a positive divisor (got ${num} / ${den})`)
  }
  // floor((2|num| + den) / 2den), with the float quotient corrected so large values stay exact.
  const a = 2 * Math.abs(num) + den
  const b = 2 * den
  if (!Number.isSafeInteger(a)) throw new RangeError(`divRound: ${num} is too large to round exactly`)
  let q = Math.floor(a / b)
  const r = a - q * b
  if (r < 0) q--
  else if (r >= b) q++
  return num < 0 ? -q : q
}

/** A configured rate (USD per unit of a currency, e.g. 1.08) as an integer in millionths. */
export function rateMicros(rate: number): number {
  return Math.round(rate * 1_000_000)
}

export type Rates = Record<Currency, number>

/** Integer rates per currency, computed once per report. */
export function rateTable(rates: Rates): Record<Currency, number> {
  return { USD: rateMicros(rates.USD), EUR: rateMicros(rates.EUR) }
}

/** Minor units of `currency` in USD cents, rounded half up. */
export function toUsdCents(minor: number, currency: Currency, table: Record<Currency, number>): number {
  const r = table[currency]
  return r === 1_000_000 ? minor : divRound(minor * r, 1_000_000)
}

/** A change as a percentage of a base with one decimal; null when the base is zero. */
export function pctChange(value: number, base: number): number | null {
  if (base === 0) return null
  return divRound((value - base) * 1000, base) / 10
}
