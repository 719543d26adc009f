/**
 * Billing segments as the cost model reads them (times in epoch ms), including stand-ins for live
 * instances that were created before billing was recorded: those are priced from the price book at
 * their creation time, and the report says how many there were.
 */
import { priceAt } from '../domain/price-book.js'
import { type BillingSegment, BillingSegments } from '../store/billing.js'
import type { Store } from '../store/store.js'
import type { Billable } from './cost-model.js'

export interface BilledSegment extends Billable {
  id: number
  instanceId: string
  pairId: string
  userId: string
  role: BillingSegment['role']
  region: string
  plan: string
  priceSource: string
  /** True for a stand-in priced from the catalogue (no recorded segment). */
  inferred: boolean
}

export function toBilled(s: BillingSegment): BilledSegment {
  return {
    id: s.id,
    instanceId: s.instanceId,
    pairId: s.pairId,
    userId: s.userId,
    role: s.role,
    provider: s.provider,
    region: s.region,
    tier: s.tier,
    plan: s.plan,
    currency: s.currency,
    billing: s.billing,
    monthlyMinor: s.monthlyMinor,
    hourlyMicros: s.hourlyMicros,
    tickSeconds: s.tickSeconds,
    minimumSeconds: s.minimumSeconds,
    termMonths: s.termMonths,
    priceSource: s.priceSource,
    start: Date.parse(s.start),
    end: s.end === null ? null : Date.parse(s.end),
    inferred: false,
  }
}

/** Stand-in open segments for live instances without one. */
export function inferredSegments(store: Store): BilledSegment[] {
  return store
    .repo(BillingSegments)
    .unbilledInstances()
    .map((i, n) => {
      const p = priceAt(i.provider, i.tier, i.createdAt)
      return {
        id: -1 - n,
        instanceId: i.id,
        pairId: i.pairId,
        userId: i.userId,
        role: i.role,
        provider: i.provider,
        region: i.region,
        tier: i.tier,
        plan: p.plan,
        currency: p.currency,
        billing: p.billing,
        monthlyMinor: p.monthlyMinor,
        hourlyMicros: p.hourlyMicros,
        tickSeconds: p.tickSeconds,
        minimumSeconds: p.minimumSeconds,
        termMonths: p.termMonths,
        priceSource: `${p.source} (inferred)`,
        start: Date.parse(i.createdAt),
        end: null,
        inferred: true,
      }
    })
}

/** Every segment billed at some time in [from, to), recorded or inferred. */
export function segmentsBetween(store: Store, from: number, to: number): BilledSegment[] {
  const recorded = store
    .repo(BillingSegments)
    .overlapping(new Date(from).toISOString(), new Date(to).toISOString())
    .map(toBilled)
  const inferred = inferredSegments(store).filter((s) => s.start < to)
  return recorded.concat(inferred)
}

/** The open segment of every live instance, recorded or inferred. */
export function openSegments(store: Store): BilledSegment[] {
  return store.repo(BillingSegments).allOpen().map(toBilled).concat(inferredSegments(store))
}
