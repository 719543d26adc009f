/**
 * How each provider charges: the billing rule (hourly with a monthly cap, per second, monthly
 * contracts, prepaid periods), and the price of a server. The price is the provider's list price as
 * clawops last read it from the provider's API (a `ListedPrice`, cached in the store with its source
 * and date), else the dated catalogue (catalog.ts) with these hourly rates; Contabo, which publishes
 * no prices, always reads its dated price table. A billing segment copies the price it was opened
 * at, so a later refresh or change of this file never rewrites what an existing server was charged.
 *
 * Money: monthly prices in minor units (cents); hourly rates in millionths of the currency unit
 * ("micros"), which holds published rates such as DigitalOcean's $0.01786 exactly.
 */
import { type Currency, findOffer, OFFERS, PRICES_AS_OF } from './catalog.js'
import type { Provider } from './provider.js'
import type { Tier } from './tier.js'

export type BillingModel = 'hourly' | 'monthly'

export interface BillingRule {
  model: BillingModel
  /** hourly: the unit billed, in seconds; every started unit is charged (Hetzner and Vultr: the hour). */
  tickSeconds: number
  /** hourly: the shortest duration billed (DigitalOcean bills at least 60 s). */
  minimumSeconds: number
  /** monthly: contract months per term when the order does not say (paid in advance per term). */
  termMonths: number
  /** Why the rule is what it is, shown in reports. */
  note: string
}

/**
 * Every provider bills a server from create to delete whatever its power state (Hetzner says so
 * explicitly; the others bill stopped servers too), so state changes never pause a segment.
 * Hourly billing is capped at the monthly price per calendar month (Hetzner; Vultr and DigitalOcean
 * cap at 672 hours, which their published hourly rates reach at about the monthly price).
 */
export const BILLING_RULES: Record<Provider, BillingRule> = {
  hetzner: {
    model: 'hourly',
    tickSeconds: 3600,
    minimumSeconds: 0,
    termMonths: 1,
    note: 'every started hour, capped at the monthly price per calendar month; powered-off servers are billed',
  },
  vultr: {
    model: 'hourly',
    tickSeconds: 3600,
    minimumSeconds: 0,
    termMonths: 1,
    note: 'every started hour, capped at the monthly price (672 hours) per calendar month',
  },
  digitalocean: {
    model: 'hourly',
    tickSeconds: 1,
    minimumSeconds: 60,
    termMonths: 1,
    note: 'per second (at least 60 s), capped at the monthly price (672 hours) per calendar month',
  },
  contabo: {
    model: 'monthly',
    tickSeconds: 0,
    minimumSeconds: 0,
    termMonths: 1,
    note: 'monthly contract paid in advance per term; a cancellation runs to the end of the term',
  },
  hostinger: {
    model: 'monthly',
    tickSeconds: 0,
    minimumSeconds: 0,
    termMonths: 1,
    note: 'purchased by period, paid in advance; no delete, auto-renewal off runs to the end of the period',
  },
}

/**
 * Published hourly rates per plan, in micros, for when the provider's API has not been read:
 * DigitalOcean publishes these next to the monthly price; Hetzner quotes an hourly price per server
 * type that reaches the monthly price after about 625 hours (these follow that ratio for the
 * catalogue's types). Vultr's follow from the monthly price (hourlyFor).
 */
export const HOURLY_MICROS: Readonly<Record<string, number>> = {
  'hetzner/cx23': 7_200,
  'hetzner/cx33': 11_900,
  'hetzner/cx43': 23_800,
  'digitalocean/s-1vcpu-2gb': 17_860,
  'digitalocean/s-2vcpu-4gb': 35_710,
  'digitalocean/s-4vcpu-8gb': 71_430,
}

export interface DatedOffer {
  tier: Tier
  plan: string
  monthly: number
  currency: Currency
}

export interface DatedPriceList {
  /** Orders placed from this date (UTC) on get these prices. */
  validFrom: string
  /** When the list was last checked against the provider's site. */
  asOf: string
  offers: readonly DatedOffer[]
}

/**
 * Contabo publishes no price API, so its prices are this hand-kept table: one list per price change,
 * newest first. A contract keeps the price it was ordered at (Contabo does not reprice running
 * contracts; a new price needs a new order), so the older lists stay to price older contracts.
 */
export const CONTABO_PRICE_TABLE: readonly DatedPriceList[] = [
  {
    validFrom: '2024-10-01',
    asOf: PRICES_AS_OF,
    offers: OFFERS.filter((o) => o.provider === 'contabo').map((o) => ({
      tier: o.tier,
      plan: o.plan,
      monthly: o.monthly,
      currency: o.currency,
    })),
  },
  {
    validFrom: '2023-01-01',
    asOf: '2024-09-30',
    offers: [
      { tier: 'nano', plan: 'V45', monthly: 699, currency: 'EUR' },
      { tier: 'standard', plan: 'V46', monthly: 1199, currency: 'EUR' },
      { tier: 'pro', plan: 'V47', monthly: 2299, currency: 'EUR' },
    ],
  },
]

/** A list price read from a provider's API (the store's price catalogue). */
export interface ListedPrice {
  plan: string
  currency: Currency
  monthlyMinor: number
  /** null when the provider publishes no hourly rate (Vultr: derived, see hourlyFor). */
  hourlyMicros: number | null
  /** Where and when it was read: `<provider>-api@<ISO time>`. */
  source: string
}

/** `<name>@<date>` → its parts (a source without a date has asOf null). */
export function priceSourceParts(source: string): { name: string; asOf: string | null } {
  const at = source.lastIndexOf('@')
  return at < 0 ? { name: source, asOf: null } : { name: source.slice(0, at), asOf: source.slice(at + 1) }
}

/**
 * The hourly rate of an hourly-billed plan: the listed one, else Vultr's (its API lists only the
 * monthly cost; its hourly rate is the monthly price over 672 hours, published to a tenth of a cent),
 * else the table above.
 */
export function hourlyFor(
  provider: Provider,
  plan: string,
  monthlyMinor: number,
  listed: number | null,
): number | undefined {
  if (listed !== null) return listed
  if (provider === 'vultr') return Math.round((monthlyMinor * 10_000) / 672 / 1000) * 1000
  return HOURLY_MICROS[`${provider}/${plan}`]
}

/** Everything a billing segment needs to know about the price of one server. */
export interface Price {
  provider: Provider
  tier: Tier
  plan: string
  currency: Currency
  billing: BillingModel
  monthlyMinor: number
  hourlyMicros: number | null
  tickSeconds: number
  minimumSeconds: number
  termMonths: number
  /** `<provider>-api@<read at>`, `catalogue@<PRICES_AS_OF>` or `contabo-table@<validFrom>`. */
  source: string
}

/** The dated list in force at `at`; dates before the oldest list get the oldest one. */
export function datedListAt(table: readonly DatedPriceList[], at: string): DatedPriceList {
  const day = at.slice(0, 10)
  const sorted = [...table].sort((a, b) => b.validFrom.localeCompare(a.validFrom))
  return sorted.find((l) => l.validFrom <= day) ?? sorted[sorted.length - 1]!
}

/** Contract terms a plan is sold with: Hostinger catalogue ids end in the period (`-1m`, `-12m`). */
export function termMonthsOf(provider: Provider, plan: string): number {
  if (provider === 'hostinger') {
    const m = /-(\d+)m$/.exec(plan)
    if (m) return Number(m[1])
  }
  return BILLING_RULES[provider].termMonths
}

/**
 * The price of a `tier` server on `provider` ordered at `at` (ISO time). Contabo reads its dated table;
 * the others the price `listed` by the provider's API when clawops has read it, else the catalogue.
 */
export function priceAt(
  provider: Provider,
  tier: Tier,
  at: string,
  opts: { termMonths?: number; contaboTable?: readonly DatedPriceList[]; listed?: ListedPrice | null } = {},
): Price {
  const rule = BILLING_RULES[provider]
  let plan: string
  let monthly: number
  let currency: Currency
  let listedHourly: number | null = null
  let source = `catalogue@${PRICES_AS_OF}`
  const listed = opts.listed
  if (provider !== 'contabo' && listed && listed.plan === findOffer(provider, tier).plan) {
    ;({ plan, currency } = listed)
    monthly = listed.monthlyMinor
    listedHourly = listed.hourlyMicros
    source = listed.source
  } else if (provider === 'contabo') {
    const list = datedListAt(opts.contaboTable ?? CONTABO_PRICE_TABLE, at)
    const offer = list.offers.find((o) => o.tier === tier)
    if (!offer) throw new Error(`no contabo ${tier} offer in the price list of ${list.validFrom}`)
    ;({ plan, monthly, currency } = offer)
    source = `contabo-table@${list.validFrom}`
  } else {
    ;({ plan, monthly, currency } = findOffer(provider, tier))
  }
  const hourly = rule.model === 'hourly' ? hourlyFor(provider, plan, monthly, listedHourly) : undefined
  if (rule.model === 'hourly' && hourly === undefined) {
    throw new Error(`no hourly rate for ${provider}/${plan} in the price book`)
  }
  return {
    provider,
    tier,
    plan,
    currency,
    billing: rule.model,
    monthlyMinor: monthly,
    hourlyMicros: hourly ?? null,
    tickSeconds: rule.tickSeconds,
    minimumSeconds: rule.minimumSeconds,
    termMonths: rule.model === 'monthly' ? (opts.termMonths ?? termMonthsOf(provider, plan)) : 1,
    source,
  }
}
