/**
 * Small wording helpers for briefings: whole dollars, signed percentages, plurals, ordinals and lists,
 * each in a written and a spoken form (the spoken one avoids symbols a speech engine reads badly).
 */

/** "$1,247" (whole dollars, rounded half up): briefings round, reports keep the cents. */
export function dollars(cents: number): string {
  const sign = cents < 0 ? '-' : ''
  const whole = Math.floor((Math.abs(Math.round(cents)) + 50) / 100)
  return `${sign}$${whole.toLocaleString('en-US')}`
}

/** "1,247 dollars". */
export function spokenDollars(cents: number): string {
  const whole = Math.floor((Math.abs(Math.round(cents)) + 50) / 100)
  return `${cents < 0 ? 'minus ' : ''}${whole.toLocaleString('en-US')} ${whole === 1 ? 'dollar' : 'dollars'}`
}

/** "+4.8%", "-1.2%", "0.0%"; null (no base to compare with) is "n/a". */
export function signedPct(x: number | null): string {
  if (x === null) return 'n/a'
  return `${x > 0 ? '+' : ''}${x.toFixed(1)}%`
}

/** "4.8 percent above projection" / "1.2 percent below projection" / "on projection". */
export function spokenDelta(x: number | null, what = 'projection'): string {
  if (x === null) return `with no ${what} to compare`
  if (x === 0) return `exactly on ${what}`
  return `${Math.abs(x).toFixed(1)} percent ${x > 0 ? 'above' : 'below'} ${what}`
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`
}

const ORDINALS = [
  'first',
  'second',
  'third',
  'fourth',
  'fifth',
  'sixth',
  'seventh',
  'eighth',
  'ninth',
  'tenth',
]

/** "third", "eleventh" is "11th": words for the first ten, digits after. */
export function ordinal(n: number): string {
  if (n >= 1 && n <= ORDINALS.length) return ORDINALS[n - 1]!
  const mod100 = n % 100
  const suffix = mod100 >= 11 && mod100 <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th')
  return `${n}${suffix}`
}

/** "a", "a and b", "a, b and c". */
export function listJoin(items: readonly string[]): string {
  if (items.length <= 1) return items.join('')
  return `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`
}

/** "40 min", "3 h 5 min", "2 d 4 h". */
export function duration(minutes: number): string {
  if (minutes < 60) return `${minutes} min`
  if (minutes < 48 * 60) {
    const h = Math.floor(minutes / 60)
    const m = minutes % 60
    return m ? `${h} h ${m} min` : `${h} h`
  }
  const d = Math.floor(minutes / 1440)
  const h = Math.floor((minutes % 1440) / 60)
  return h ? `${d} d ${h} h` : `${d} d`
}

/** "40 minutes", "3 hours 5 minutes", "2 days 4 hours". */
export function spokenDuration(minutes: number): string {
  if (minutes < 60) return plural(minutes, 'minute')
  if (minutes < 48 * 60) {
    const h = Math.floor(minutes / 60)
    const m = minutes % 60
    return m ? `${plural(h, 'hour')} ${plural(m, 'minute')}` : plural(h, 'hour')
  }
  const d = Math.floor(minutes / 1440)
  const h = Math.floor((minutes % 1440) / 60)
  return h ? `${plural(d, 'day')} ${plural(h, 'hour')}` : plural(d, 'day')
}

const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
]

/** "26 November" from an ISO time (UTC). */
export function dayMonth(iso: string): string {
  const d = new Date(iso)
  return `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]}`
}

/** "November 2026". */
export function monthYear(iso: string): string {
  const d = new Date(iso)
  return `${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}`
}

/** "2026-11-26 07:00 UTC". */
export function utcMinute(iso: string): string {
  return `${iso.slice(0, 16).replace('T', ' ')} UTC`
}
