/**
 * Reading the providers' price lists and catalogues into the store: each adapter's `prices()` and
 * `regions()` (Hetzner /pricing and /server_types and /locations, Vultr /plans and /regions,
 * DigitalOcean /sizes and /regions, Hostinger's billing catalogue and data centres), and Contabo's
 * dated table, which is all Contabo publishes. One provider's failure does not stop the others.
 */
import type { Context } from '../context.js'
import { CONTABO_PRICE_TABLE, datedListAt } from '../domain/price-book.js'
import { PROVIDERS, type Provider } from '../domain/provider.js'
import { toErrorBody } from '../errors.js'
import { hasCredentials } from '../providers/credentials.js'
import { decimalToScaled } from '../providers/decimal.js'
import type { PlanPrice } from '../providers/types.js'
import { AuditTrail } from '../store/audit-trail.js'
import { type CatalogPlan, PriceCatalog } from '../store/price-catalog.js'

/** What each provider's list is read from. */
export const PRICE_ENDPOINTS: Record<Provider, string> = {
  hetzner: 'GET /pricing, GET /server_types, GET /locations',
  vultr: 'GET /plans, GET /regions',
  digitalocean: 'GET /sizes, GET /regions',
  contabo: 'dated table (Contabo publishes no prices)',
  hostinger: 'GET /api/billing/v1/catalog?category=VPS, GET /api/vps/v1/data-centers',
}

export interface PriceRefresh {
  provider: Provider
  status: 'refreshed' | 'failed'
  kind: 'api' | 'table' | null
  source: string | null
  asOf: string | null
  plans: number
  regions: number
  error: { code: string; message: string } | null
}

function toPlan(p: PlanPrice): CatalogPlan {
  return {
    plan: p.plan,
    region: p.region ?? '',
    vcpus: p.vcpus,
    memoryMb: p.memoryMb,
    diskGb: p.diskGb,
    currency: p.monthly.currency,
    monthlyAmount: p.monthly.amount,
    monthlyMinor: p.monthly.cents,
    hourlyMicros: p.hourly ? Number(decimalToScaled(p.hourly.amount, 6)) : null,
    monthlyGrossMinor: p.monthlyGross?.cents ?? null,
    termMonths: p.termMonths,
    soldIn: p.regions,
  }
}

/** Reads one provider's list now and replaces what the store had. */
export async function refreshProvider(
  ctx: Context,
  provider: Provider,
  signal?: AbortSignal,
): Promise<PriceRefresh> {
  try {
    const adapter = await ctx.provider(provider)
    const opts = signal ? { signal } : {}
    const [plans, regions] = await Promise.all([adapter.prices(opts), adapter.regions(opts)])
    const table = adapter.capabilities.prices === 'static'
    const list = datedListAt(CONTABO_PRICE_TABLE, ctx.now())
    const src = table
      ? { kind: 'table' as const, source: `contabo-table@${list.validFrom}`, asOf: list.asOf }
      : { kind: 'api' as const, source: PRICE_ENDPOINTS[provider], asOf: ctx.now() }
    const store = ctx.store()
    // The list and its audit entry in one transaction: plans price with what was read, by whom.
    store.tx(() => {
      store.repo(PriceCatalog).replace(
        provider,
        src,
        plans.map(toPlan),
        regions.map((r) => ({ code: r.code, city: r.city, country: r.country, available: r.available })),
      )
      store.repo(AuditTrail).append({
        ...ctx.who,
        action: 'prices.refresh',
        target: provider,
        outcome: 'ok',
        details: { source: src.source, asOf: src.asOf, plans: plans.length, regions: regions.length },
      })
    })
    return {
      provider,
      status: 'refreshed',
      ...src,
      plans: plans.length,
      regions: regions.length,
      error: null,
    }
  } catch (err) {
    const body = toErrorBody(err)
    return {
      provider,
      status: 'failed',
      kind: null,
      source: null,
      asOf: null,
      plans: 0,
      regions: 0,
      error: { code: body.code, message: body.message },
    }
  }
}

/** The providers this home has credentials for: the ones a refresh of "all" reads. */
export function configuredProviders(ctx: Context): Provider[] {
  return PROVIDERS.filter((p) => hasCredentials(ctx.config(), p, ctx.trustEnv ? ctx.env : {}))
}

export async function refreshPrices(ctx: Context, providers: readonly Provider[]): Promise<PriceRefresh[]> {
  return Promise.all(providers.map((p) => refreshProvider(ctx, p)))
}
