/**
 * Exact money arithmetic on decimal strings. Hetzner quotes prices as strings like "4.4900" and the
 * others as JSON numbers or integer cents; parseFloat would turn 0.1 + 0.2 into 0.30000000000000004,
 * so amounts stay decimal strings and are converted to integer minor units with BigInt.
 */
import type { Money } from './types.js'

const DECIMAL = /^(-)?(\d+)(?:\.(\d+))?$/

export function isDecimal(s: string): boolean {
  return DECIMAL.test(s)
}

/** The value scaled by 10^scale as a BigInt, rounded half away from zero. */
export function decimalToScaled(s: string, scale: number): bigint {
  const m = DECIMAL.exec(s.trim())
  if (!m) throw new Error(`not a decimal number: ${JSON.stringify(s)}`)
  const [, sign, int = '0', frac = ''] = m
  const kept = frac.slice(0, scale).padEnd(scale, '0')
  let scaled = BigInt(int + kept)
  const next = frac.charCodeAt(scale)
  if (!Number.isNaN(next) && next >= 53 /* '5' */) scaled += 1n
  return sign ? -scaled : scaled
}

/** Minor units (cents) of a decimal amount, rounded half-up. */
export function decimalToCents(s: string): number {
  return Number(decimalToScaled(s, 2))
}

/** Formats a scaled BigInt back to a decimal string with exactly `scale` fraction digits. */
export function scaledToDecimal(v: bigint, scale: number): string {
  const neg = v < 0n
  const digits = (neg ? -v : v).toString().padStart(scale + 1, '0')
  const int = digits.slice(0, digits.length - scale)
  const frac = digits.slice(digits.length - scale)
  return `${neg ? '-' : ''}${int}${scale > 0 ? `.${frac}` : ''}`
}

/**
 * A JSON number as the decimal string it was written as. JSON.parse keeps the shortest round-trip
 * form, so "12.00" arrives as 12 and "0.01786" as 0.01786; both convert exactly.
 */
export function numberToDecimal(n: number): string {
  if (!Number.isFinite(n)) throw new Error(`not a finite number: ${n}`)
  const s = String(n)
  if (!/e/i.test(s)) return s
  return n.toFixed(20).replace(/\.?0+$/, '')
}

/** `cents / months` as a decimal amount in major units with `scale` fraction digits (half-up). */
export function centsPerMonth(cents: number, months: number, scale = 4): string {
  if (!Number.isInteger(cents) || !Number.isInteger(months) || months <= 0) {
    throw new Error(`bad price ${cents}/${months}`)
  }
  // cents → major units is a shift by 2; keep `scale` digits of the quotient, rounding half-up.
  const numerator = BigInt(cents) * 10n ** BigInt(scale - 2 + 1)
  const q = numerator / BigInt(months)
  const rounded = (q + 5n) / 10n
  return scaledToDecimal(rounded, scale)
}

export function money(amount: string, currency: Money['currency']): Money {
  return { amount, currency, cents: decimalToCents(amount) }
}
