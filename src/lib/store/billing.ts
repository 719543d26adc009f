/**
 * Billing segments: one row per server per plan, opened when the server is created, closed when it is
 * deleted, and closed-and-reopened when it is resized (a resize can change the price of an existing
 * server, e.g. Hetzner's rescale repricing, so the new segment reads the price book again). The
 * lifecycle operations call `openBilling`, `resizeBilling` and `closeBilling` in the same transaction
 * as the state change they account for.
 */
import { type Currency, findOffer } from '../domain/catalog.js'
import type { Role } from '../domain/instance.js'
import { type BillingModel, type Price, priceAt } from '../domain/price-book.js'
import type { Provider } from '../domain/provider.js'
import type { Tier } from '../domain/tier.js'
import { PriceCatalog } from './price-catalog.js'
import type { Store } from './store.js'

export interface BillingSegment {
  id: number
  instanceId: string
  pairId: string
  userId: string
  role: Role
  provider: Provider
  region: string
  tier: Tier
  plan: string
  currency: Currency
  billing: BillingModel
  monthlyMinor: number
  hourlyMicros: number | null
  tickSeconds: number
  minimumSeconds: number
  termMonths: number
  priceSource: string
  start: string
  end: string | null
  openReason: string
  closeReason: string | null
}

/** The instance facts a segment copies (so a report never needs the instances table). */
export interface BilledInstance {
  id: string
  pairId: string
  userId: string
  role: Role
  provider: Provider
  region: string
  tier: Tier
}

/** Columns aliased to the BillingSegment fields, so rows need no mapping pass (reports read 40,000). */
const COLUMNS = `id, instance_id AS "instanceId", pair_id AS "pairId", user_id AS "userId", role, provider, region, tier, plan,
  currency, billing, monthly_minor AS "monthlyMinor", hourly_micros AS "hourlyMicros", tick_seconds AS "tickSeconds",
  minimum_seconds AS "minimumSeconds", term_months AS "termMonths", price_source AS "priceSource", start, "end",
  open_reason AS "openReason", close_reason AS "closeReason"`

export class BillingSegments {
  constructor(private readonly store: Store) {}

  /** Opens a segment at `price`; refuses a second open segment for the same instance. */
  open(instance: BilledInstance, price: Price, at: string, reason: string): BillingSegment {
    const row = this.store.db
      .prepare(
        `INSERT INTO billing_segments (instance_id, pair_id, user_id, role, provider, region, tier, plan, currency, billing,
           monthly_minor, hourly_micros, tick_seconds, minimum_seconds, term_months, price_source, start, open_reason)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING ${COLUMNS}`,
      )
      .get(
        instance.id,
        instance.pairId,
        instance.userId,
        instance.role,
        instance.provider,
        instance.region,
        instance.tier,
        price.plan,
        price.currency,
        price.billing,
        price.monthlyMinor,
        price.hourlyMicros,
        price.tickSeconds,
        price.minimumSeconds,
        price.termMonths,
        price.source,
        at,
        reason,
      ) as unknown as BillingSegment
    return row
  }

  /** Closes the instance's open segment at `at`; returns it, or undefined when none was open. */
  close(instanceId: string, at: string, reason: string): BillingSegment | undefined {
    const row = this.store.db
      .prepare(
        `UPDATE billing_segments SET "end" = ${this.store.sql.greatest('?', 'start')}, close_reason = ? WHERE instance_id = ? AND "end" IS NULL
         RETURNING ${COLUMNS}`,
      )
      .get(at, reason, instanceId) as BillingSegment | undefined
    return row
  }

  openFor(instanceId: string): BillingSegment | undefined {
    const row = this.store.db
      .prepare(`SELECT ${COLUMNS} FROM billing_segments WHERE instance_id = ? AND "end" IS NULL`)
      .get(instanceId) as BillingSegment | undefined
    return row
  }

  forInstance(instanceId: string): BillingSegment[] {
    return this.store.db
      .prepare(`SELECT ${COLUMNS} FROM billing_segments WHERE instance_id = ? ORDER BY start, id`)
      .all(instanceId) as unknown as BillingSegment[]
  }

  /** Segments billed at some time in [from, to). */
  overlapping(from: string, to: string): BillingSegment[] {
    return this.store.db
      .prepare(
        `SELECT ${COLUMNS} FROM billing_segments WHERE start < ? AND ("end" IS NULL OR "end" >= ?) ORDER BY id`,
      )
      .all(to, from) as unknown as BillingSegment[]
  }

  /** Every open segment: the fleet's current prices. */
  allOpen(): BillingSegment[] {
    return this.store.db
      .prepare(`SELECT ${COLUMNS} FROM billing_segments WHERE "end" IS NULL ORDER BY id`)
      .all() as unknown as BillingSegment[]
  }

  /**
   * Live instances (not DELETED) without any segment: created before billing was recorded. (An
   * instance whose segments are all closed is not billed, whatever its state says.)
   */
  unbilledInstances(): (BilledInstance & { createdAt: string })[] {
    return this.store.db
      .prepare(
        `SELECT id, pair_id AS "pairId", user_id AS "userId", role, provider, region, tier, created_at AS "createdAt"
         FROM instances WHERE state <> 'DELETED' AND id NOT IN (SELECT instance_id FROM billing_segments)
         ORDER BY id`,
      )
      .all() as unknown as (BilledInstance & { createdAt: string })[]
  }
}

/** The server's price now: the provider's list price as last read from its API, else the catalogue. */
function currentPrice(
  store: Store,
  instance: BilledInstance,
  at: string,
  termMonths: number | undefined,
): Price {
  const plan = findOffer(instance.provider, instance.tier).plan
  const listed = store.repo(PriceCatalog).listed(instance.provider, plan, instance.region)
  return priceAt(instance.provider, instance.tier, at, { termMonths, listed })
}

/**
 * Starts billing a server: call when the provider has accepted the create (the provider bills from
 * then on, whether or not the server ever boots). Contabo and Hostinger orders may pass their term.
 */
export function openBilling(
  store: Store,
  instance: BilledInstance,
  at: string,
  opts: { termMonths?: number; reason?: string } = {},
): BillingSegment {
  const price = currentPrice(store, instance, at, opts.termMonths)
  return store.repo(BillingSegments).open(instance, price, at, opts.reason ?? 'create')
}

/**
 * Re-prices a server whose plan changed in place: closes its open segment and opens one at the new
 * tier's current price, in one transaction. (Providers without in-place resize replace the server:
 * that is a `closeBilling` of the old instance and an `openBilling` of the new one.)
 */
export function resizeBilling(
  store: Store,
  instance: BilledInstance,
  at: string,
  opts: { termMonths?: number } = {},
): BillingSegment {
  return store.tx(() => {
    const repo = store.repo(BillingSegments)
    const previous = repo.close(instance.id, at, `resize to ${instance.tier}`)
    const price = currentPrice(store, instance, at, opts.termMonths ?? previous?.termMonths)
    return repo.open(instance, price, at, previous ? `resize from ${previous.tier}` : 'resize')
  })
}

/** Stops billing a server: call when the provider delete (or cancellation) has been accepted. */
export function closeBilling(
  store: Store,
  instanceId: string,
  at: string,
  reason = 'delete',
): BillingSegment | undefined {
  return store.repo(BillingSegments).close(instanceId, at, reason)
}
