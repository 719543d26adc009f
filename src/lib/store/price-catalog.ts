/**
 * The providers' price lists and region catalogues as clawops last read them (migration 13), with
 * where each came from and when. A refresh replaces one provider's rows in one transaction, so a
 * reader never sees half of an old list and half of a new one.
 */
import type { Currency } from '../domain/catalog.js'
import type { ListedPrice } from '../domain/price-book.js'
import type { Provider } from '../domain/provider.js'
import type { Store } from './store.js'

export interface CatalogPlan {
  plan: string
  /** '' when the provider prices the plan the same everywhere. */
  region: string
  vcpus: number | null
  memoryMb: number | null
  diskGb: number | null
  currency: Currency
  monthlyAmount: string
  monthlyMinor: number
  hourlyMicros: number | null
  monthlyGrossMinor: number | null
  termMonths: number
  soldIn: string[] | null
}

export interface CatalogRegion {
  code: string
  city: string | null
  country: string | null
  available: boolean
}

export interface PriceSource {
  provider: Provider
  /** api: read from the provider's API; table: the dated table shipped with clawops (Contabo). */
  kind: 'api' | 'table'
  /** The endpoints read, or the table's name and date. */
  source: string
  /** When the list was read (api) or last checked against the provider's site (table). */
  asOf: string
  refreshedAt: string
  plans: number
}

const PLAN_COLUMNS = `plan, region, vcpus, memory_mb AS "memoryMb", disk_gb AS "diskGb", currency,
  monthly_amount AS "monthlyAmount", monthly_minor AS "monthlyMinor", hourly_micros AS "hourlyMicros",
  monthly_gross_minor AS "monthlyGrossMinor", term_months AS "termMonths", sold_in AS "soldIn"`

const SOURCE_COLUMNS = 'provider, kind, source, as_of AS "asOf", refreshed_at AS "refreshedAt", plans'

type PlanRow = Omit<CatalogPlan, 'soldIn'> & { soldIn: string | null }

function toPlan(r: PlanRow): CatalogPlan {
  return { ...r, soldIn: r.soldIn === null ? null : (JSON.parse(r.soldIn) as string[]) }
}

export class PriceCatalog {
  constructor(private readonly store: Store) {}

  /** Replaces everything known about `provider`'s prices and regions. */
  replace(
    provider: Provider,
    source: Pick<PriceSource, 'kind' | 'source' | 'asOf'>,
    plans: readonly CatalogPlan[],
    regions: readonly CatalogRegion[],
  ): void {
    const db = this.store.db
    this.store.tx(() => {
      db.prepare('DELETE FROM price_catalog WHERE provider = ?').run(provider)
      db.prepare('DELETE FROM price_regions WHERE provider = ?').run(provider)
      const insert = db.prepare(
        `INSERT INTO price_catalog (provider, plan, region, vcpus, memory_mb, disk_gb, currency, monthly_amount,
           monthly_minor, hourly_micros, monthly_gross_minor, term_months, sold_in)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (provider, plan, region) DO UPDATE SET vcpus = excluded.vcpus, memory_mb = excluded.memory_mb,
           disk_gb = excluded.disk_gb, currency = excluded.currency, monthly_amount = excluded.monthly_amount,
           monthly_minor = excluded.monthly_minor, hourly_micros = excluded.hourly_micros,
           monthly_gross_minor = excluded.monthly_gross_minor, term_months = excluded.term_months,
           sold_in = excluded.sold_in`,
      )
      for (const p of plans) {
        insert.run(
          provider,
          p.plan,
          p.region,
          p.vcpus,
          p.memoryMb,
          p.diskGb,
          p.currency,
          p.monthlyAmount,
          p.monthlyMinor,
          p.hourlyMicros,
          p.monthlyGrossMinor,
          p.termMonths,
          p.soldIn === null ? null : JSON.stringify(p.soldIn),
        )
      }
      const region = db.prepare(
        `INSERT INTO price_regions (provider, code, city, country, available) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (provider, code) DO UPDATE SET city = excluded.city, country = excluded.country,
           available = excluded.available`,
      )
      for (const r of regions) region.run(provider, r.code, r.city, r.country, r.available ? 1 : 0)
      db.prepare(
        `INSERT INTO price_sources (provider, kind, source, as_of, refreshed_at, plans) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (provider) DO UPDATE SET kind = excluded.kind, source = excluded.source, as_of = excluded.as_of,
           refreshed_at = excluded.refreshed_at, plans = excluded.plans`,
      ).run(provider, source.kind, source.source, source.asOf, this.store.now(), plans.length)
    })
  }

  sources(): PriceSource[] {
    return this.store.db
      .prepare(`SELECT ${SOURCE_COLUMNS} FROM price_sources ORDER BY provider`)
      .all() as unknown as PriceSource[]
  }

  source(provider: Provider): PriceSource | undefined {
    return this.store.db
      .prepare(`SELECT ${SOURCE_COLUMNS} FROM price_sources WHERE provider = ?`)
      .get(provider) as PriceSource | undefined
  }

  plans(provider: Provider): CatalogPlan[] {
    return (
      this.store.db
        .prepare(`SELECT ${PLAN_COLUMNS} FROM price_catalog WHERE provider = ? ORDER BY plan, region`)
        .all(provider) as unknown as PlanRow[]
    ).map(toPlan)
  }

  /** The plan's price in `region` (or its one price everywhere); the source names the read. */
  listed(provider: Provider, plan: string, region: string): ListedPrice | undefined {
    const src = this.source(provider)
    if (src?.kind !== 'api') return undefined
    const row = this.store.db
      .prepare(
        `SELECT ${PLAN_COLUMNS} FROM price_catalog WHERE provider = ? AND plan = ? AND region IN (?, '')
         ORDER BY region DESC LIMIT 1`,
      )
      .get(provider, plan, region) as PlanRow | undefined
    if (!row) return undefined
    return {
      plan: row.plan,
      currency: row.currency,
      monthlyMinor: row.monthlyMinor,
      hourlyMicros: row.hourlyMicros,
      source: `${provider}-api@${src.asOf}`,
    }
  }

  regions(provider: Provider): CatalogRegion[] {
    return (
      this.store.db
        .prepare('SELECT code, city, country, available FROM price_regions WHERE provider = ? ORDER BY code')
        .all(provider) as { code: string; city: string | null; country: string | null; available: number }[]
    ).map((r) => ({ ...r, available: r.available === 1 }))
  }
}
