/**
 * What a server costs now, and where that number comes from: the provider's list price as clawops
 * last read it from the provider's API (the store's price catalogue), Contabo's dated table, or,
 * for a provider whose API was never read, the dated catalogue clawops ships. Plans (provision,
 * resize, teardown, replacement standbys) price with it and carry each provider's source and date;
 * a stale list (older than `prices.maxAgeHours`) is read again first, or warned about.
 */
import type { Context } from '../context.js'
import { type Currency, findOffer, PRICES_AS_OF } from '../domain/catalog.js'
import { CONTABO_PRICE_TABLE, datedListAt, type Price, priceAt } from '../domain/price-book.js'
import type { Provider } from '../domain/provider.js'
import type { Tier } from '../domain/tier.js'
import { PriceCatalog } from '../store/price-catalog.js'
import { type PriceRefresh, refreshProvider } from './refresh.js'
import { priceSettings } from './settings.js'

/** Where a provider's prices come from, as a plan records it (stable until the list is read again). */
export interface PriceOrigin {
  provider: Provider
  /** api: read from the provider's API; table: Contabo's dated table; catalogue: never read, shipped defaults. */
  kind: 'api' | 'table' | 'catalogue'
  source: string
  /** When the list was read, or the date of the table. */
  asOf: string
}

export interface PriceAge extends PriceOrigin {
  ageHours: number
  stale: boolean
}

const HOUR = 3_600_000

export class PriceBook {
  constructor(
    private readonly ctx: Context,
    private readonly rates: Record<Currency, number>,
  ) {}

  /** The price of a `tier` server on `provider` in `region`, ordered now. */
  price(provider: Provider, tier: Tier, region: string): Price {
    const plan = findOffer(provider, tier).plan
    const listed = this.ctx.store().repo(PriceCatalog).listed(provider, plan, region)
    return priceAt(provider, tier, this.ctx.now(), { listed })
  }

  /** Monthly price in USD cents (half up), for plans' cost deltas. */
  monthlyUsdCents(provider: Provider, tier: Tier, region: string): number {
    const p = this.price(provider, tier, region)
    return Math.round(p.monthlyMinor * this.rates[p.currency])
  }

  /** Whether the provider's catalogue, as last read, offers `code`; null when it was never read. */
  regionAvailable(provider: Provider, code: string): boolean | null {
    const regions = this.ctx.store().repo(PriceCatalog).regions(provider)
    if (regions.length === 0) return null
    return regions.some((r) => r.code === code && r.available)
  }

  origin(provider: Provider): PriceOrigin {
    const src = this.ctx.store().repo(PriceCatalog).source(provider)
    if (provider === 'contabo') {
      const list = datedListAt(CONTABO_PRICE_TABLE, this.ctx.now())
      return { provider, kind: 'table', source: `contabo-table@${list.validFrom}`, asOf: list.asOf }
    }
    if (src?.kind === 'api') return { provider, kind: 'api', source: src.source, asOf: src.asOf }
    return { provider, kind: 'catalogue', source: 'catalogue shipped with clawops', asOf: PRICES_AS_OF }
  }

  age(provider: Provider): PriceAge {
    const o = this.origin(provider)
    const s = priceSettings(this.ctx.config())
    const ageHours = Math.max(0, Math.floor((Date.parse(this.ctx.now()) - Date.parse(o.asOf)) / HOUR))
    const stale =
      o.kind === 'catalogue' || ageHours > (o.kind === 'table' ? s.tableMaxAgeDays * 24 : s.maxAgeHours)
    return { ...o, ageHours, stale }
  }
}

export function priceBook(ctx: Context): PriceBook {
  return new PriceBook(ctx, ctx.config().currency.rates as Record<Currency, number>)
}

function describe(a: PriceAge): string {
  if (a.kind === 'catalogue')
    return `${a.provider} prices were never read from its API (using the catalogue of ${a.asOf})`
  const age = a.ageHours < 48 ? `${a.ageHours} h` : `${Math.floor(a.ageHours / 24)} days`
  return a.kind === 'table'
    ? `${a.provider} prices come from a table last checked ${age} ago (${a.source}): update clawops when the provider changes them`
    : `${a.provider} prices were read from its API ${age} ago`
}

/**
 * The price book a plan uses for `providers`: each stale list is read again first when
 * `prices.refreshWhenStale`, within `prices.refreshTimeoutSeconds` (a failure is a warning: the plan
 * goes on with what it has), else a
 * warning says how old it is. Contabo's table cannot be read again; its age is only warned about.
 */
export async function planPrices(ctx: Context, providers: readonly Provider[]): Promise<PriceBook> {
  const book = priceBook(ctx)
  const settings = priceSettings(ctx.config())
  const stale = [...new Set(providers)].map((p) => book.age(p)).filter((a) => a.stale)
  const refreshed: PriceRefresh[] = []
  if (settings.refreshWhenStale) {
    const budget = AbortSignal.timeout(settings.refreshTimeoutSeconds * 1000)
    refreshed.push(
      ...(await Promise.all(
        stale.filter((a) => a.kind !== 'table').map((a) => refreshProvider(ctx, a.provider, budget)),
      )),
    )
  }
  for (const a of stale) {
    const r = refreshed.find((x) => x.provider === a.provider)
    if (r?.status === 'refreshed') continue
    const next = r?.error
      ? `; reading it again failed (${r.error.code}: ${r.error.message})`
      : a.kind === 'table'
        ? ''
        : '; read it again with clawops provider prices --refresh'
    ctx.warn(`${describe(a)}${next}`)
  }
  return book
}

/** The price origins a plan records for its providers. */
export function originsOf(book: PriceBook, providers: readonly Provider[]): PriceOrigin[] {
  return [...new Set(providers)].sort().map((p) => book.origin(p))
}
