/**
 * The cost arithmetic against cases computed by hand (the comment above each expectation shows the
 * sum). Rates: Hetzner cx23 EUR 0.0072/h cap 4.49, cx33 EUR 0.0119/h cap 7.49; Vultr vc2-1c-2gb
 * $0.015/h cap $10; DigitalOcean s-1vcpu-2gb $0.01786/h, s-2vcpu-4gb $0.03571/h cap $24, per second.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { CONTABO_PRICE_TABLE, priceAt, termMonthsOf } from '../../../src/lib/domain/price-book.js'
import type { Provider } from '../../../src/lib/domain/provider.js'
import type { Tier } from '../../../src/lib/domain/tier.js'
import { addMonths, periodAt } from '../../../src/lib/ledger/calendar.js'
import { type Billable, charge, paidThrough } from '../../../src/lib/ledger/cost-model.js'
import { divRound, pctChange, rateTable, toUsdCents } from '../../../src/lib/ledger/money.js'

const t = (s: string) => Date.parse(s)

function seg(
  provider: Provider,
  tier: Tier,
  start: string,
  end: string | null = null,
  termMonths?: number,
): Billable {
  const p = priceAt(provider, tier, start, { termMonths })
  return { ...p, start: t(start), end: end === null ? null : t(end) }
}

describe('hourly billing', () => {
  it('charges every started hour of a partial month (Hetzner)', () => {
    const s = seg('hetzner', 'standard', '2026-11-10T10:30:00Z', '2026-11-12T09:15:00Z')
    // 46 h 45 min -> 47 started hours x 0.0119 = EUR 0.5593 -> 56 cents
    expect(charge(s, t('2026-11-01T00:00:00Z'), t('2026-12-01T00:00:00Z'))).toBe(56)
  })

  it('caps a calendar month at the monthly price (Hetzner)', () => {
    const s = seg('hetzner', 'nano', '2026-10-20T00:00:00Z')
    // 12 days in October: 288 h x 0.0072 = EUR 2.0736 -> 207 cents
    expect(charge(s, t('2026-10-01T00:00:00Z'), t('2026-11-01T00:00:00Z'))).toBe(207)
    // all of November: 720 h x 0.0072 = 5.184 > 4.49 -> 449
    expect(charge(s, t('2026-11-01T00:00:00Z'), t('2026-12-01T00:00:00Z'))).toBe(449)
    // the cap is reached within the month: 600 h -> 4.32; 624 h -> 4.4928 -> 449 and no more after
    expect(charge(s, t('2026-11-01T00:00:00Z'), t('2026-11-26T00:00:00Z'))).toBe(432)
    expect(charge(s, t('2026-11-27T00:00:00Z'), t('2026-12-01T00:00:00Z'))).toBe(0)
  })

  it('caps at 672 hours worth (Vultr: $0.015 x 744 h = $11.16 -> $10.00)', () => {
    const s = seg('vultr', 'nano', '2026-11-15T00:00:00Z')
    expect(charge(s, t('2026-12-01T00:00:00Z'), t('2027-01-01T00:00:00Z'))).toBe(1000)
    // 600 h in December: $9.00
    expect(charge(s, t('2026-12-01T00:00:00Z'), t('2026-12-26T00:00:00Z'))).toBe(900)
  })

  it('bills DigitalOcean per second with a 60 s minimum', () => {
    const s = seg('digitalocean', 'nano', '2026-11-02T00:00:00Z', '2026-11-02T01:30:00Z')
    // 5,400 s x $0.01786 / 3,600 = $0.02679 -> 3 cents
    expect(charge(s, t('2026-11-01T00:00:00Z'), t('2026-12-01T00:00:00Z'))).toBe(3)
    const blip = seg('digitalocean', 'standard', '2026-11-02T00:00:00Z', '2026-11-02T00:00:10Z')
    const long = seg('digitalocean', 'standard', '2026-11-02T00:00:00Z', '2026-11-02T00:01:00Z')
    // 10 s is billed as 60 s: the same as a 60 s droplet
    expect(charge(blip, t('2026-11-01T00:00:00Z'), t('2026-12-01T00:00:00Z'))).toBe(
      charge(long, t('2026-11-01T00:00:00Z'), t('2026-12-01T00:00:00Z')),
    )
    // a full 30-day month: 2,592,000 s x $0.03571 / 3,600 = $25.71 -> capped at $24.00
    const month = seg('digitalocean', 'standard', '2026-10-01T00:00:00Z')
    expect(charge(month, t('2026-11-01T00:00:00Z'), t('2026-12-01T00:00:00Z'))).toBe(2400)
  })

  it('bills a powered-off or failed server like a running one: only the segment counts', () => {
    // The model has no notion of power state: a segment is billed from open to close.
    const s = seg('hetzner', 'nano', '2026-11-01T00:00:00Z', '2026-11-02T00:00:00Z')
    // 24 h x 0.0072 = EUR 0.1728 -> 17 cents
    expect(charge(s, t('2026-11-01T00:00:00Z'), t('2026-11-03T00:00:00Z'))).toBe(17)
  })

  it('splits at a mid-month resize: each plan billed for its hours, each capped on its own', () => {
    const before = seg('hetzner', 'nano', '2026-11-01T00:00:00Z', '2026-11-16T00:00:00Z')
    const after = seg('hetzner', 'standard', '2026-11-16T00:00:00Z')
    const nov = [t('2026-11-01T00:00:00Z'), t('2026-12-01T00:00:00Z')] as const
    // 360 h x 0.0072 = 2.592 -> 259, then 360 h x 0.0119 = 4.284 -> 428: EUR 6.87 for the month
    expect(charge(before, ...nov)).toBe(259)
    expect(charge(after, ...nov)).toBe(428)
  })

  it('counts an hour that straddles a month in the month it starts', () => {
    const s = seg('hetzner', 'nano', '2026-10-31T23:30:00Z', '2026-11-01T00:30:00Z')
    // one started hour (23:30-00:30), charged in October: 0.0072 -> 1 cent; none in November
    expect(charge(s, t('2026-10-01T00:00:00Z'), t('2026-11-01T00:00:00Z'))).toBe(1)
    expect(charge(s, t('2026-11-01T00:00:00Z'), t('2026-12-01T00:00:00Z'))).toBe(0)
  })
})

describe('contract billing', () => {
  it('charges a Contabo month in advance on each anniversary, clamped to short months', () => {
    const s = seg('contabo', 'standard', '2026-01-31T12:00:00Z')
    // renewals: Jan 31, Feb 28, Mar 31, Apr 30, May 31, Jun 30 -> 6 x EUR 7.00
    expect(charge(s, t('2026-01-01T00:00:00Z'), t('2026-07-01T00:00:00Z'))).toBe(4200)
    expect(charge(s, t('2026-02-01T00:00:00Z'), t('2026-03-01T00:00:00Z'))).toBe(700)
    expect(addMonths(t('2026-01-31T12:00:00Z'), 1)).toBe(t('2026-02-28T12:00:00Z'))
  })

  it('runs a cancelled contract to the end of its term: no refund, no renewal', () => {
    const s = seg('contabo', 'standard', '2026-01-31T12:00:00Z', '2026-03-05T00:00:00Z')
    // Jan 31 and Feb 28 were paid; the Feb 28 term covers the cancellation date; Mar 31 never comes
    expect(charge(s, t('2026-01-01T00:00:00Z'), t('2027-01-01T00:00:00Z'))).toBe(1400)
    expect(paidThrough(s, t('2026-03-05T00:00:00Z'))).toBe(t('2026-03-31T12:00:00Z'))
  })

  it('charges a multi-month term once per term (3 months: EUR 21.00 every third month)', () => {
    const s = seg('contabo', 'standard', '2026-02-15T00:00:00Z', null, 3)
    expect(charge(s, t('2026-02-01T00:00:00Z'), t('2026-03-01T00:00:00Z'))).toBe(2100)
    expect(charge(s, t('2026-03-01T00:00:00Z'), t('2026-05-01T00:00:00Z'))).toBe(0)
    expect(charge(s, t('2026-05-01T00:00:00Z'), t('2026-06-01T00:00:00Z'))).toBe(2100)
  })

  it('prices Contabo from the dated table in force at the order date', () => {
    expect(priceAt('contabo', 'standard', '2024-06-01T00:00:00Z')).toMatchObject({
      plan: 'V46',
      monthlyMinor: 1199,
      source: 'contabo-table@2023-01-01',
    })
    expect(priceAt('contabo', 'standard', '2024-10-01T00:00:00Z')).toMatchObject({
      plan: 'V92',
      monthlyMinor: 700,
    })
    // before the oldest list: the oldest list
    expect(priceAt('contabo', 'nano', '2020-01-01T00:00:00Z').monthlyMinor).toBe(699)
    // an injected table: the lookup, not the shipped numbers
    const table = [
      {
        validFrom: '2030-01-01',
        asOf: '2030-01-01',
        offers: [{ tier: 'nano' as const, plan: 'X', monthly: 1, currency: 'EUR' as const }],
      },
      ...CONTABO_PRICE_TABLE,
    ]
    expect(priceAt('contabo', 'nano', '2030-02-01T00:00:00Z', { contaboTable: table }).plan).toBe('X')
    expect(priceAt('contabo', 'nano', '2029-12-31T23:00:00Z', { contaboTable: table }).plan).toBe('V91')
  })

  it('reads Hostinger periods from the catalogue id', () => {
    expect(termMonthsOf('hostinger', 'hostingercom-vps-kvm2-usd-12m')).toBe(12)
    expect(termMonthsOf('hostinger', 'hostingercom-vps-kvm2-usd-1m')).toBe(1)
    expect(priceAt('hostinger', 'nano', '2026-11-01T00:00:00Z')).toMatchObject({
      billing: 'monthly',
      termMonths: 1,
    })
  })
})

describe('money', () => {
  it('rounds half up and converts with the configured rates', () => {
    expect(divRound(5, 2)).toBe(3)
    expect(divRound(-5, 2)).toBe(-3)
    expect(divRound(4, 3)).toBe(1)
    const eur = rateTable({ USD: 1, EUR: 1.08 })
    // 449 x 1.08 = 484.92 -> 485
    expect(toUsdCents(449, 'EUR', eur)).toBe(485)
    // 125 x 1.1 = 137.5 -> 138 (exactly half: up)
    expect(toUsdCents(125, 'EUR', rateTable({ USD: 1, EUR: 1.1 }))).toBe(138)
    expect(toUsdCents(1234, 'USD', eur)).toBe(1234)
    // large values stay exact where a float quotient would not
    expect(divRound(2 ** 51 + 1, 2)).toBe(2 ** 50 + 1)
    expect(pctChange(1455, 1228)).toBe(18.5)
    expect(pctChange(1, 0)).toBeNull()
  })
})

describe('periods', () => {
  it('uses ISO weeks from Monday 00:00 UTC and calendar months', () => {
    const w = periodAt('week', t('2026-11-26T07:00:00Z'))
    expect(new Date(w.start).toISOString()).toBe('2026-11-23T00:00:00.000Z')
    expect(new Date(w.end).toISOString()).toBe('2026-11-30T00:00:00.000Z')
    const m = periodAt('month', t('2026-11-26T07:00:00Z'))
    expect(new Date(m.start).toISOString()).toBe('2026-11-01T00:00:00.000Z')
  })
})

describe('additivity', () => {
  it('charge(a, c) = charge(a, b) + charge(b, c) for any split, so weeks add up to months', () => {
    const providers: [Provider, Tier][] = [
      ['hetzner', 'nano'],
      ['vultr', 'standard'],
      ['digitalocean', 'pro'],
      ['contabo', 'standard'],
      ['hostinger', 'nano'],
    ]
    const base = t('2026-01-01T00:00:00Z')
    const span = 400 * 86_400_000
    fc.assert(
      fc.property(
        fc.constantFrom(...providers),
        fc.integer({ min: 0, max: span }),
        fc.option(fc.integer({ min: 0, max: span }), { nil: null }),
        fc.array(fc.integer({ min: 0, max: span }), { minLength: 3, maxLength: 3 }),
        ([provider, tier], start, length, cuts) => {
          const s = {
            ...priceAt(provider, tier, new Date(base + start).toISOString()),
            start: base + start,
            end: length === null ? null : base + start + length,
          }
          const [a, b, c] = cuts.map((x) => base + x).sort((x, y) => x - y) as [number, number, number]
          expect(charge(s, a, c)).toBe(charge(s, a, b) + charge(s, b, c))
        },
      ),
      { numRuns: 400 },
    )
  })
})
