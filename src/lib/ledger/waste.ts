/**
 * `clawops cost waste`: what the fleet pays for and does not need, with the evidence, the monthly
 * saving and the command that would act on each finding.
 *
 * - idle: accounts whose user has not been active in their gateway for `idleDays` (14) or more. Both
 *   members of the pair would go: the saving is what they cost per month.
 * - oversized: pairs whose primary stayed below `oversizedPct` (20 %) CPU and RAM at every sample of
 *   the last `oversizedDays` (7) days, with samples covering `minCoverage` (90 %) of those hours; the
 *   target is the smallest tier on which those peaks stay at or below `targetPeakPct` (60 %). Judged on
 *   the primary (it serves the user); the standby follows the pair's tier.
 * - cheaper elsewhere: members on a contract (Contabo monthly, Hostinger periods) whose price, locked
 *   at order time ("at current tenure": older Contabo contracts keep the price list they were ordered
 *   under), is above what another provider the routing allows for that slot charges for a month of
 *   the same tier now. The saving can start when the paid term ends. Hourly members are not judged:
 *   they have no renewal to decide on, and the provider mix is the routing's choice.
 *
 * A pair or instance is reported once: idle before oversized before cheaper elsewhere.
 */
import type { Context } from '../context.js'
import { findOffer, findRegion } from '../domain/catalog.js'
import { priceAt } from '../domain/price-book.js'
import type { Provider, RegionGroup } from '../domain/provider.js'
import type { Tier } from '../domain/tier.js'
import { LedgerViews, type Member, type UsagePeak } from '../store/ledger-views.js'
import { type RoutingConfig, RoutingVersions } from '../store/routing.js'
import { UserActivity } from '../store/user-activity.js'
import { ACTIONS_NOTE, moveCommand, resizeCommand, teardownCommand } from './actions.js'
import { type BilledSegment, openSegments } from './billed.js'
import { iso } from './calendar.js'
import { paidThrough } from './cost-model.js'
import { rateTable, toUsdCents } from './money.js'
import { type LedgerSettings, ledgerSettings } from './settings.js'

const DAY = 86_400_000

export type WasteCategory = 'idle' | 'oversized' | 'cheaper-elsewhere'

export interface IdleItem {
  pairId: string
  userId: string
  instanceIds: string[]
  providers: Provider[]
  tier: Tier
  monthlySavingUsdCents: number
  /** When the last member stops costing money (the end of a paid contract term); null: at once. */
  savingStartsAt: string | null
  evidence: { lastActiveAt: string; idleDays: number; source: string; thresholdDays: number }
  command: string
}

export interface OversizedItem {
  pairId: string
  userId: string
  instanceIds: string[]
  providers: Provider[]
  tier: Tier
  targetTier: Tier
  monthlySavingUsdCents: number
  savingStartsAt: string | null
  evidence: {
    instanceId: string
    days: number
    hoursCovered: number
    cpuAvgPct: number | null
    cpuMaxPct: number
    memAvgPct: number | null
    memMaxPct: number
    thresholdPct: number
    /** The observed peaks as a share of the target tier's CPUs and memory. */
    peakOnTargetPct: { cpu: number; mem: number }
  }
  command: string
}

export interface CheaperItem {
  pairId: string
  userId: string
  instanceId: string
  role: string
  provider: Provider
  tier: Tier
  targetProvider: Provider
  monthlySavingUsdCents: number
  savingStartsAt: string | null
  evidence: {
    orderedAt: string
    tenureDays: number
    plan: string
    priceSource: string
    billing: string
    termMonths: number
    monthlyUsdCents: number
    alternative: { provider: Provider; plan: string; billing: string; monthlyUsdCents: number }
    /** Every provider the routing allows for this slot, with its price. */
    considered: { provider: Provider; monthlyUsdCents: number }[]
    partnerProvider: Provider | null
  }
  command: string
}

interface Category<T> {
  count: number
  monthlySavingUsdCents: number
  /** One command for the whole category (grouped by target where targets differ). */
  bulkCommands: string[]
  items: T[]
  /** Fewer items are listed than were found (`count`). */
  truncated: boolean
}

export interface WasteReport {
  asOf: string
  thresholds: LedgerSettings['waste']
  routingVersion: number
  idle: Category<IdleItem>
  oversized: Category<OversizedItem>
  cheaperElsewhere: Category<CheaperItem>
  totalMonthlySavingUsdCents: number
  /** Live pairs whose users have no activity record at all (not judged idle). */
  unknownActivityPairs: number
  /** Live instances with no recorded billing segment (priced from the catalogue). */
  inferredInstances: number
  note: string
}

export interface WasteOptions {
  at?: Date
  /** Items listed per category (counts and savings always cover everything). */
  limit?: number
  category?: WasteCategory
}

function category<T extends { monthlySavingUsdCents: number }>(
  items: T[],
  bulk: (items: T[]) => string[],
  limit: number | undefined,
): Category<T> {
  items.sort((a, b) => b.monthlySavingUsdCents - a.monthlySavingUsdCents)
  const listed = limit === undefined ? items : items.slice(0, limit)
  return {
    count: items.length,
    monthlySavingUsdCents: items.reduce((s, i) => s + i.monthlySavingUsdCents, 0),
    bulkCommands: items.length === 0 ? [] : bulk(items),
    items: listed,
    truncated: listed.length < items.length,
  }
}

/** Tiers from small to large (kept here: domain/tier.ts would load zod into this read command). */
const TIER_ORDER: readonly Tier[] = ['nano', 'standard', 'pro']

const round1 = (x: number | null) => (x === null ? null : Math.round(x * 10) / 10)

/** Smallest tier below `tier` on which the observed peaks stay within `limitPct` of its resources. */
function fittingTier(
  provider: Provider,
  tier: Tier,
  cpuMax: number,
  memMax: number,
  limitPct: number,
): { tier: Tier; cpu: number; mem: number } | null {
  const cur = findOffer(provider, tier)
  for (const t of TIER_ORDER.slice(0, TIER_ORDER.indexOf(tier))) {
    const o = findOffer(provider, t)
    const cpu = (cpuMax * cur.vcpus) / o.vcpus
    const mem = (memMax * cur.memoryGb) / o.memoryGb
    if (cpu <= limitPct && mem <= limitPct) return { tier: t, cpu: round1(cpu)!, mem: round1(mem)! }
  }
  return null
}

export function buildWasteReport(
  input: {
    members: Member[]
    segments: BilledSegment[]
    activity: Map<string, { lastActiveAt: string; source: string }>
    /** Usage over the oversized window of the given instances that stayed below `belowPct` throughout. */
    usage: (instanceIds: string[], belowPct: number) => Map<string, UsagePeak>
    routing: { version: number; config: RoutingConfig }
    rates: { USD: number; EUR: number }
    settings: LedgerSettings['waste']
  },
  opts: WasteOptions & { at: Date },
): WasteReport {
  const now = opts.at.getTime()
  const nowIso = iso(now)
  const cfg = input.settings
  const table = rateTable(input.rates)
  const usd = (minor: number, currency: 'USD' | 'EUR') => toUsdCents(minor, currency, table)
  const segOf = new Map(input.segments.map((s) => [s.instanceId, s]))
  // Prices and region groups are looked up thousands of times: once each.
  const prices = new Map<string, { plan: string; billing: string; monthlyUsdCents: number }>()
  const priceNow = (provider: Provider, tier: Tier) => {
    const key = `${provider}/${tier}`
    let p = prices.get(key)
    if (!p) {
      const price = priceAt(provider, tier, nowIso)
      p = {
        plan: price.plan,
        billing: price.billing,
        monthlyUsdCents: usd(price.monthlyMinor, price.currency),
      }
      prices.set(key, p)
    }
    return p
  }
  const groups = new Map<string, RegionGroup | undefined>()
  const groupOf = (m: Member) => {
    const key = `${m.provider}/${m.region}`
    if (!groups.has(key)) groups.set(key, findRegion(m.provider, m.region)?.group)
    return groups.get(key)
  }
  const pairs = Map.groupBy(input.members, (m) => m.pairId)
  const monthlyUsd = (m: Member) => {
    const s = segOf.get(m.id)
    return s ? usd(s.monthlyMinor, s.currency) : 0
  }
  const paidUntil = (members: Member[]): string | null => {
    let latest: number | null = null
    for (const m of members) {
      const s = segOf.get(m.id)
      const t = s ? paidThrough(s, now) : null
      if (t !== null && (latest === null || t > latest)) latest = t
    }
    return latest === null ? null : iso(latest)
  }

  const idle: IdleItem[] = []
  const oversized: OversizedItem[] = []
  const cheaper: CheaperItem[] = []
  const taken = new Set<string>()
  let unknown = 0

  for (const [pairId, members] of pairs) {
    const first = members[0]!
    const seen = input.activity.get(first.userId)
    if (!seen) {
      unknown++
      continue
    }
    const idleDays = Math.floor((now - Date.parse(seen.lastActiveAt)) / DAY)
    if (idleDays < cfg.idleDays) continue
    taken.add(pairId)
    idle.push({
      pairId,
      userId: first.userId,
      instanceIds: members.map((m) => m.id),
      providers: members.map((m) => m.provider),
      tier: first.tier,
      monthlySavingUsdCents: members.reduce((s, m) => s + monthlyUsd(m), 0),
      savingStartsAt: paidUntil(members),
      evidence: {
        lastActiveAt: seen.lastActiveAt,
        idleDays,
        source: seen.source,
        thresholdDays: cfg.idleDays,
      },
      command: teardownCommand([pairId]),
    })
  }

  const neededHours = Math.ceil(cfg.oversizedDays * 24 * cfg.minCoverage)
  const candidates: Member[] = []
  for (const [pairId, members] of pairs) {
    if (taken.has(pairId)) continue
    const primary = members.find((m) => m.role === 'primary')
    if (!primary || primary.tier === 'nano' || members.some((m) => m.state !== 'ACTIVE')) continue
    candidates.push(primary)
  }
  const usage = input.usage(
    candidates.map((m) => m.id),
    cfg.oversizedPct,
  )
  for (const primary of candidates) {
    const pairId = primary.pairId
    const members = pairs.get(pairId)!
    const u = usage.get(primary.id)
    if (!u || u.hours < neededHours || u.cpuMax === null || u.memMax === null) continue
    if (u.cpuMax >= cfg.oversizedPct || u.memMax >= cfg.oversizedPct) continue
    const fit = fittingTier(primary.provider, primary.tier, u.cpuMax, u.memMax, cfg.targetPeakPct)
    if (!fit) continue
    taken.add(pairId)
    const saving = members.reduce(
      (s, m) => s + monthlyUsd(m) - priceNow(m.provider, fit.tier).monthlyUsdCents,
      0,
    )
    oversized.push({
      pairId,
      userId: primary.userId,
      instanceIds: members.map((m) => m.id),
      providers: members.map((m) => m.provider),
      tier: primary.tier,
      targetTier: fit.tier,
      monthlySavingUsdCents: saving,
      savingStartsAt: paidUntil(members),
      evidence: {
        instanceId: primary.id,
        days: cfg.oversizedDays,
        hoursCovered: Math.min(u.hours, cfg.oversizedDays * 24),
        cpuAvgPct: round1(u.cpuAvg),
        cpuMaxPct: round1(u.cpuMax)!,
        memAvgPct: round1(u.memAvg),
        memMaxPct: round1(u.memMax)!,
        thresholdPct: cfg.oversizedPct,
        peakOnTargetPct: { cpu: fit.cpu, mem: fit.mem },
      },
      command: resizeCommand([pairId], fit.tier),
    })
  }

  for (const [pairId, members] of pairs) {
    if (taken.has(pairId)) continue
    for (const m of members) {
      const s = segOf.get(m.id)
      if (m.state !== 'ACTIVE' || !s || s.billing !== 'monthly') continue
      const group = groupOf(m)
      if (!group) continue
      const partner = members.find((o) => o.id !== m.id)?.provider ?? null
      const g = input.routing.config[group]
      const pool = m.role === 'primary' ? g.primary : g.standby
      const current = usd(s.monthlyMinor, s.currency)
      const considered = pool
        .filter((p) => p !== m.provider && p !== partner && !g.excluded.includes(p))
        .map((p) => ({ provider: p, ...priceNow(p, m.tier) }))
      if (considered.length === 0) continue
      const best = considered.reduce((a, b) => (b.monthlyUsdCents < a.monthlyUsdCents ? b : a))
      const saving = current - best.monthlyUsdCents
      if (saving < cfg.minSavingUsdCents || saving * 100 < current * cfg.minSavingPct) continue
      const through = paidThrough(s, now)
      cheaper.push({
        pairId,
        userId: m.userId,
        instanceId: m.id,
        role: m.role,
        provider: m.provider,
        tier: m.tier,
        targetProvider: best.provider,
        monthlySavingUsdCents: saving,
        savingStartsAt: through === null ? null : iso(through),
        evidence: {
          orderedAt: iso(s.start),
          tenureDays: Math.floor((now - s.start) / DAY),
          plan: s.plan,
          priceSource: s.priceSource,
          billing: s.billing,
          termMonths: s.termMonths,
          monthlyUsdCents: current,
          alternative: best,
          considered: considered.map(({ provider, monthlyUsdCents }) => ({ provider, monthlyUsdCents })),
          partnerProvider: partner,
        },
        command: moveCommand([pairId], m.role, m.tier, best.provider),
      })
    }
  }

  const limit = opts.limit
  const only = opts.category
  const pick = <T>(c: WasteCategory, items: T[]) => (only === undefined || only === c ? items : [])
  const idleC = category(pick('idle', idle), (xs) => [teardownCommand(xs.map((x) => x.pairId))], limit)
  const overC = category(
    pick('oversized', oversized),
    (xs) =>
      [...Map.groupBy(xs, (x) => x.targetTier)].map(([tier, group]) =>
        resizeCommand(
          group.map((x) => x.pairId),
          tier,
        ),
      ),
    limit,
  )
  const cheapC = category(
    pick('cheaper-elsewhere', cheaper),
    // One command per role, tier and target provider, for all the pairs it applies to.
    (xs) =>
      [...Map.groupBy(xs, (x) => `${x.role}|${x.tier}|${x.targetProvider}`).values()].map((group) =>
        moveCommand(
          group.map((x) => x.pairId),
          group[0]!.role,
          group[0]!.tier,
          group[0]!.targetProvider,
        ),
      ),
    limit,
  )
  return {
    asOf: nowIso,
    thresholds: cfg,
    routingVersion: input.routing.version,
    idle: idleC,
    oversized: overC,
    cheaperElsewhere: cheapC,
    totalMonthlySavingUsdCents:
      idleC.monthlySavingUsdCents + overC.monthlySavingUsdCents + cheapC.monthlySavingUsdCents,
    unknownActivityPairs: unknown,
    inferredInstances: input.segments.filter((s) => s.inferred).length,
    note: ACTIONS_NOTE,
  }
}

export function wasteReport(ctx: Context, opts: WasteOptions = {}): WasteReport {
  const at = opts.at ?? ctx.clock()
  const store = ctx.store()
  const settings = ledgerSettings(ctx.config())
  const views = store.repo(LedgerViews)
  const routing = store.repo(RoutingVersions).current()
  const since = iso(at.getTime() - settings.waste.oversizedDays * DAY)
  const report = buildWasteReport(
    {
      members: views.liveMembers(),
      segments: openSegments(store),
      activity: store.repo(UserActivity).all(),
      usage: (ids, belowPct) => views.usageOf(ids, since, { onlyBelowPct: belowPct }),
      routing,
      rates: ctx.config().currency.rates,
      settings: settings.waste,
    },
    { ...opts, at },
  )
  if (report.unknownActivityPairs > 0) {
    ctx.warn(
      `${report.unknownActivityPairs} pair(s) have no user activity on record and were not judged idle (the health sweep records activity)`,
    )
  }
  if (report.inferredInstances > 0) {
    ctx.warn(
      `${report.inferredInstances} live instance(s) have no billing segment; priced from the catalogue`,
    )
  }
  return report
}
