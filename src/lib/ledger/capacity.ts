/**
 * `clawops capacity plan`: how many users the fleet will have over the next months if it keeps growing
 * as it did (net new pairs per month over the last `basisDays`, default 90), where their instances
 * will land (the providers and regions recent pairs went to, restricted to what the current routing
 * allows), and how that compares with the configured provider quotas and the monthly budget.
 *
 * Linear on purpose: three months of history do not support a fitted curve, and a planner should see
 * the arithmetic. Projected instance counts round up (capacity errs on the safe side); money is cents.
 */
import type { Context } from '../context.js'
import { findRegion, regionsOf } from '../domain/catalog.js'
import { priceAt } from '../domain/price-book.js'
import type { Provider, RegionGroup } from '../domain/provider.js'
import type { Tier } from '../domain/tier.js'
import { LedgerViews, type Member } from '../store/ledger-views.js'
import { type RoutingConfig, RoutingVersions } from '../store/routing.js'
import { openSegments } from './billed.js'
import { addMonths, iso } from './calendar.js'
import { divRound, rateTable, toUsdCents } from './money.js'
import { ledgerSettings } from './settings.js'

const DAY = 86_400_000
const MONTH_DAYS = 30.4375

export interface CapacityRow {
  provider: Provider
  region?: string
  group?: RegionGroup
  now: number
  projected: number
  quota: number | null
  headroom: number | null
  /** First projected month whose count exceeds the quota ('now' when it already does). */
  exhaustsIn: string | null
}

export interface CapacityPlan {
  asOf: string
  months: number
  routingVersion: number
  basis: { days: number; since: string; pairsCreated: number; pairsDeleted: number; netPairsPerMonth: number }
  users: { now: number; projected: { month: number; at: string; users: number }[] }
  cost: {
    runRateMonthlyUsdCents: number
    perNewUserMonthlyUsdCents: number
    budgetMonthlyUsdCents: number | null
    projected: { month: number; at: string; monthlyUsdCents: number; headroomUsdCents: number | null }[]
    budgetExceededIn: string | null
  }
  /** Where a new pair's two instances go: share per provider and region, from recent provisioning. */
  allocation: { provider: Provider; region: string; role: 'primary' | 'standby'; share: number }[]
  providers: CapacityRow[]
  regions: CapacityRow[]
  notes: string[]
}

type Slot = `${Provider}|${string}|${'primary' | 'standby'}`

/**
 * Shares of recent creations per provider/region/role, pair by pair. A member the current routing
 * would no longer place there (its provider left the pool, is excluded, or the standby would now share
 * the primary's provider) is counted for the routing's first choice in its region group instead.
 */
function allocation(recent: Member[], fallback: Member[], routing: RoutingConfig): Map<Slot, number> {
  const counts = new Map<Slot, number>()
  const place = (m: Member, avoid: Provider | null): Slot | null => {
    const group = findRegion(m.provider, m.region)?.group
    if (!group) return null
    const g = routing[group]
    const pool = (m.role === 'primary' ? g.primary : g.standby).filter(
      (p) => !g.excluded.includes(p) && p !== avoid,
    )
    if (pool.includes(m.provider)) return `${m.provider}|${m.region}|${m.role}`
    const instead = pool[0]
    const region = instead && regionsOf(instead).find((r) => r.group === group)
    return instead && region ? `${instead}|${region.code}|${m.role}` : null
  }
  for (const members of Map.groupBy(recent.length > 0 ? recent : fallback, (m) => m.pairId).values()) {
    const primary = members.find((m) => m.role === 'primary')
    const standby = members.find((m) => m.role === 'standby')
    const p = primary ? place(primary, null) : null
    const sb = standby ? place(standby, p ? (p.split('|')[0] as Provider) : null) : null
    for (const slot of [p, sb]) if (slot) counts.set(slot, (counts.get(slot) ?? 0) + 1)
  }
  const shares = new Map<Slot, number>()
  for (const role of ['primary', 'standby'] as const) {
    const mine = [...counts].filter(([k]) => k.endsWith(`|${role}`))
    const total = mine.reduce((s, [, n]) => s + n, 0)
    for (const [k, n] of mine) shares.set(k, n / total)
  }
  return shares
}

export function capacityPlan(
  ctx: Context,
  opts: { months?: number; basisDays?: number; at?: Date } = {},
): CapacityPlan {
  const months = opts.months ?? 3
  const basisDays = opts.basisDays ?? 90
  const now = (opts.at ?? ctx.clock()).getTime()
  const since = now - basisDays * DAY
  const store = ctx.store()
  const settings = ledgerSettings(ctx.config())
  const table = rateTable(ctx.config().currency.rates)
  const views = store.repo(LedgerViews)
  const routing = store.repo(RoutingVersions).current()
  const live = views.liveMembers()
  const notes: string[] = []

  const flow = views.pairFlow(iso(since))
  const created = flow.reduce((s, d) => s + d.created, 0)
  const deleted = flow.reduce((s, d) => s + d.deleted, 0)
  const netPerMonth = ((created - deleted) * MONTH_DAYS) / basisDays
  const pairsNow = new Set(live.map((m) => m.pairId)).size

  // New pairs' tier mix and placement follow the pairs created in the basis window.
  const recent = live.filter((m) => Date.parse(m.createdAt) >= since)
  const shares = allocation(recent, live, routing.config)
  const tierCount = new Map<Tier, number>()
  for (const m of (recent.length ? recent : live).filter((m) => m.role === 'primary')) {
    tierCount.set(m.tier, (tierCount.get(m.tier) ?? 0) + 1)
  }
  const tierTotal = [...tierCount.values()].reduce((a, b) => a + b, 0)
  const at = iso(now)
  const slotCost = (provider: Provider) =>
    [...tierCount].reduce((s, [tier, n]) => {
      const p = priceAt(provider, tier, at)
      return s + (n / tierTotal) * toUsdCents(p.monthlyMinor, p.currency, table)
    }, 0)
  const perNewUser = Math.round(
    [...shares].reduce((s, [slot, share]) => s + share * slotCost(slot.split('|')[0] as Provider), 0),
  )
  const runRate = openSegments(store).reduce(
    (s, seg) => s + toUsdCents(seg.monthlyMinor, seg.currency, table),
    0,
  )

  const monthAt = (k: number) => iso(addMonths(now, k)).slice(0, 10)
  const delta = (k: number) => netPerMonth * k
  const users = Array.from({ length: months }, (_, i) => ({
    month: i + 1,
    at: monthAt(i + 1),
    users: Math.max(0, Math.round(pairsNow + delta(i + 1))),
  }))
  const budget = settings.budgetUsdCents.month
  const projectedCost = users.map((u) => {
    const d = u.users - pairsNow
    const cost =
      d >= 0 ? runRate + d * perNewUser : pairsNow === 0 ? 0 : divRound(runRate * u.users, pairsNow)
    return {
      month: u.month,
      at: u.at,
      monthlyUsdCents: cost,
      headroomUsdCents: budget === null ? null : budget - cost,
    }
  })
  if (budget === null)
    notes.push('no monthly budget configured (ledger.budgetUsd.month): cost has no headroom to show')

  // Instances now and projected per provider and per region.
  const countNow = new Map<string, number>()
  for (const m of live) {
    countNow.set(m.provider, (countNow.get(m.provider) ?? 0) + 1)
    countNow.set(`${m.provider}|${m.region}`, (countNow.get(`${m.provider}|${m.region}`) ?? 0) + 1)
  }
  const newPer = new Map<string, number>()
  for (const [slot, share] of shares) {
    const [provider, region] = slot.split('|') as [Provider, string]
    newPer.set(provider, (newPer.get(provider) ?? 0) + share)
    newPer.set(`${provider}|${region}`, (newPer.get(`${provider}|${region}`) ?? 0) + share)
  }
  const project = (key: string, k: number) => {
    const current = countNow.get(key) ?? 0
    const d = delta(k)
    if (d >= 0) return current + Math.ceil(d * (newPer.get(key) ?? 0) - 1e-9)
    return pairsNow === 0 ? 0 : Math.ceil((current * Math.max(0, pairsNow + d)) / pairsNow - 1e-9)
  }
  const row = (provider: Provider, key: string, quota: number | undefined, extra: Partial<CapacityRow>) => {
    const path = users.map((u) => project(key, u.month))
    const nowCount = countNow.get(key) ?? 0
    const q = quota ?? null
    const firstOver = q === null ? -1 : path.findIndex((n) => n > q)
    return {
      provider,
      ...extra,
      now: nowCount,
      projected: path[path.length - 1] ?? nowCount,
      quota: q,
      headroom: q === null ? null : q - (path[path.length - 1] ?? nowCount),
      exhaustsIn: q === null ? null : nowCount > q ? 'now' : firstOver >= 0 ? users[firstOver]!.at : null,
    }
  }
  const providerKeys = [
    ...new Set([
      ...live.map((m) => m.provider),
      ...[...shares.keys()].map((s) => s.split('|')[0] as Provider),
    ]),
  ].sort()
  const providers = providerKeys.map((p) => row(p, p, settings.quotas[p]?.instances, {}))
  const regionKeys = new Set<string>()
  for (const m of live) regionKeys.add(`${m.provider}|${m.region}`)
  for (const s of shares.keys()) regionKeys.add(s.split('|').slice(0, 2).join('|'))
  const regions = [...regionKeys].sort().map((key) => {
    const [provider, region] = key.split('|') as [Provider, string]
    return row(provider, key, settings.quotas[provider]?.regions?.[region], {
      region,
      group: findRegion(provider, region)?.group,
    })
  })
  const unquoted = providers.filter((p) => p.quota === null).map((p) => p.provider)
  if (unquoted.length) notes.push(`no instance quota configured for ${unquoted.join(', ')} (ledger.quotas)`)
  if (recent.length === 0)
    notes.push(`no pairs were created in the last ${basisDays} days: placement follows the current fleet`)

  const exceeded = budget === null ? -1 : projectedCost.findIndex((c) => c.monthlyUsdCents > budget)
  return {
    asOf: at,
    months,
    routingVersion: routing.version,
    basis: {
      days: basisDays,
      since: iso(since),
      pairsCreated: created,
      pairsDeleted: deleted,
      netPairsPerMonth: Math.round(netPerMonth * 10) / 10,
    },
    users: { now: pairsNow, projected: users },
    cost: {
      runRateMonthlyUsdCents: runRate,
      perNewUserMonthlyUsdCents: perNewUser,
      budgetMonthlyUsdCents: budget,
      projected: projectedCost,
      budgetExceededIn:
        budget === null
          ? null
          : runRate > budget
            ? 'now'
            : exceeded >= 0
              ? projectedCost[exceeded]!.at
              : null,
    },
    allocation: [...shares]
      .map(([slot, share]) => {
        const [provider, region, role] = slot.split('|') as [Provider, string, 'primary' | 'standby']
        return { provider, region, role, share: Math.round(share * 1000) / 1000 }
      })
      .sort((a, b) => a.role.localeCompare(b.role) || b.share - a.share),
    providers,
    regions,
    notes,
  }
}
