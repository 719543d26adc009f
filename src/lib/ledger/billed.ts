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

/** The stored segment with its times parsed (the row object is reused: reports read 40,000). */
export function toBilled(s: BillingSegment): BilledSegment {
  const b = s as unknown as BilledSegment
  b.start = Date.parse(s.start)
  b.end = s.end === null ? null : Date.parse(s.end)
  b.inferred = false
  return b
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
        priceSource: `inferred:${p.source}`,
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
