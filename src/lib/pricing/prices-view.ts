/**
 * `clawops provider prices`: per provider where its prices come from and how old they are, and what
 * each tier costs there (the plan, its monthly and hourly price, in USD); `--refresh` reads the
 * providers' APIs first (the providers this home has credentials for, or those named).
 */
import type { Context } from '../context.js'
import { type Currency, regionsOf } from '../domain/catalog.js'
import { PROVIDERS, type Provider } from '../domain/provider.js'
import { TIERS } from '../domain/tier.js'
import { type ErrorCode, UserError } from '../errors.js'
import { PriceCatalog } from '../store/price-catalog.js'
import { type PriceAge, priceBook } from './book.js'
import { configuredProviders, type PriceRefresh, refreshPrices } from './refresh.js'

export interface ProviderPriceSource extends PriceAge {
  /** When clawops last read it (null: never). */
  refreshedAt: string | null
  plans: number
  regions: number
}

export interface TierPrice {
  provider: Provider
  tier: (typeof TIERS)[number]
  plan: string
  /** The region priced; `*` when every catalogue region has the same price. */
  region: string
  currency: Currency
  monthlyMinor: number
  hourlyMicros: number | null
  monthlyUsdCents: number
  source: string
}

export interface ProviderPrices {
  refreshed: PriceRefresh[] | null
  sources: ProviderPriceSource[]
  tiers: TierPrice[]
}

export async function providerPrices(
  ctx: Context,
  opts: { refresh?: boolean; providers?: Provider[] } = {},
): Promise<ProviderPrices> {
  let refreshed: PriceRefresh[] | null = null
  if (opts.refresh) {
    const targets = opts.providers?.length ? opts.providers : configuredProviders(ctx)
    if (targets.length === 0) {
      throw new UserError(
        'CONFIG_INVALID',
        'no provider has credentials in this home: nothing to read prices from',
        {
          hint: 'Configure providers (see the README, "Provider credentials"), or name one with --provider.',
        },
      )
    }
    refreshed = await refreshPrices(ctx, targets)
    const failed = refreshed.filter((r) => r.status === 'failed')
    if (failed.length > 0) {
      const all = failed.length === refreshed.length
      throw new UserError(
        all ? ((failed[0]!.error?.code ?? 'PROVIDER_ERROR') as ErrorCode) : 'PARTIAL_FAILURE',
        `could not read the prices of ${failed.map((f) => `${f.provider} (${f.error?.message})`).join(', ')}`,
        { details: { refreshed } },
      )
    }
  }
  const book = priceBook(ctx)
  const catalog = ctx.store().repo(PriceCatalog)
  const shown = opts.providers?.length ? opts.providers : [...PROVIDERS]
  const sources = shown.map((p) => {
    const src = catalog.source(p)
    return {
      ...book.age(p),
      refreshedAt: src?.refreshedAt ?? null,
      plans: src?.plans ?? 0,
      regions: catalog.regions(p).length,
    }
  })
  const rates = ctx.config().currency.rates as Record<Currency, number>
  const tiers: TierPrice[] = []
  for (const provider of shown) {
    for (const tier of TIERS) {
      const quotes = regionsOf(provider).map((r) => ({
        region: r.code,
        price: book.price(provider, tier, r.code),
      }))
      const same = quotes.every((q) => q.price.monthlyMinor === quotes[0]!.price.monthlyMinor)
      for (const q of same ? quotes.slice(0, 1) : quotes) {
        tiers.push({
          provider,
          tier,
          plan: q.price.plan,
          region: same ? '*' : q.region,
          currency: q.price.currency,
          monthlyMinor: q.price.monthlyMinor,
          hourlyMicros: q.price.hourlyMicros,
          monthlyUsdCents: Math.round(q.price.monthlyMinor * rates[q.price.currency]),
          source: q.price.source,
        })
      }
    }
  }
  return { refreshed, sources, tiers }
}
