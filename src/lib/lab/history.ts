/**
 * Synthetic history for a lab fleet (`clawops lab seed --history-days N`): health roll-ups, user
 * activity, billing segments, provisioning attempts, churned trial pairs, a few resizes and incidents,
 * deterministic from the seed. It plants a known set of waste for the Ledger and reports it in a
 * manifest, so tests can check that the scans find exactly that:
 *
 * - idle: about 3.5 % of the healthy pairs (users last active 14–60 days ago; every other user was
 *   active in the last 12 days);
 * - oversized: about 2 % of the healthy standard/pro pairs (their primaries peak below 18 % CPU and RAM
 *   in every hour of the week; every other primary peaks above 27 % in every hour);
 * - cheaper elsewhere: about 0.7 % of the pairs get a Contabo member ordered under Contabo's older price
 *   list (the pair is backdated into that list's validity), and the contract-billed tiers the lab
 *   catalogue prices above other providers (PRICIER_IN_CATALOGUE) are reported too.
 *
 * Billing segments are written for every seeded instance even without history (`billingRows`), since
 * the cost report reads them.
 */
import type { Instance } from '../domain/instance.js'
import type { Pair } from '../domain/pair.js'
import { CONTABO_PRICE_TABLE, priceAt } from '../domain/price-book.js'
import type { Provider } from '../domain/provider.js'
import type { Tier } from '../domain/tier.js'
import { BillingSegments } from '../store/billing.js'
import { HealthHistory, type Rollup } from '../store/health-history.js'
import { Incidents } from '../store/incidents.js'
import { type ProvisionAttempt, ProvisionHistory } from '../store/provision-history.js'
import type { Store } from '../store/store.js'
import { UserActivity } from '../store/user-activity.js'

const HOUR = 3_600_000
const DAY = 24 * HOUR
const ID_ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz'

/** mulberry32: small and fast; millions of roll-up values come from it. */
class Rand {
  private s: number
  constructor(seed: number) {
    this.s = seed >>> 0
  }
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0
    let t = this.s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  /** Uniform in [a, b). */
  real(a: number, b: number): number {
    return a + (b - a) * this.next()
  }
  int(a: number, b: number): number {
    return a + Math.floor(this.next() * (b - a + 1))
  }
  chance(p: number): boolean {
    return this.next() < p
  }
  id(prefix: string, length = 10): string {
    let s = ''
    for (let i = 0; i < length; i++) s += ID_ALPHABET[this.int(0, 31)]
    return `${prefix}-${s}`
  }
  shuffle<T>(items: readonly T[]): T[] {
    const a = [...items]
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(0, i)
      ;[a[i], a[j]] = [a[j]!, a[i]!]
    }
    return a
  }
}

export interface HistoryManifest {
  days: number
  idlePairs: string[]
  oversizedPairs: string[]
  /** Instances the waste scan should report as cheaper elsewhere (default routing). */
  cheaperElsewhere: string[]
  /** Contabo instances ordered under the older price list (a subset of cheaperElsewhere). */
  legacyContracts: string[]
  churnedPairs: string[]
  resizedPairs: string[]
  incidents: string[]
}

export interface HistoryPlan {
  manifest: HistoryManifest
  /** Pairs and instances created and deleted inside the window (trial users who left). */
  churned: { pairs: Pair[]; instances: Instance[] }
  /** Earlier tier of resized instances and when they were resized. */
  resized: Map<string, { from: Tier; at: string }>
  activity: { userId: string; lastActiveAt: string; source: string }[]
  provisions: ProvisionAttempt[]
  incidents: {
    id: string
    provider: Provider
    region: string
    severity: string
    title: string
    openedAt: string
    resolvedAt: string
  }[]
  profiles: Map<string, Profile>
  now: number
  seed: number
}

type Profile = 'normal' | 'oversized' | 'idle' | 'standby'

/** Provisioning time in minutes (low, high) and the chance a create needed a retry, per provider. */
const PROVISIONING: Record<Provider, { min: number; max: number; retry: number }> = {
  hetzner: { min: 3.5, max: 5, retry: 0.03 },
  vultr: { min: 4, max: 6, retry: 0.03 },
  digitalocean: { min: 3.5, max: 5.5, retry: 0.04 },
  contabo: { min: 6, max: 9, retry: 0.05 },
  hostinger: { min: 8.5, max: 11, retry: 0.25 },
}
const PROVIDERS: readonly Provider[] = ['hetzner', 'vultr', 'digitalocean', 'contabo', 'hostinger']
const STANDBY_REGION: Record<Provider, Record<string, string>> = {
  hetzner: { eu: 'nbg1', us: 'ash', ap: 'sin' },
  vultr: { eu: 'fra', us: 'ewr', ap: 'sgp' },
  digitalocean: { eu: 'fra1', us: 'nyc3', ap: 'sgp1' },
  contabo: { eu: 'EU', us: 'US-east', ap: 'SIN' },
  hostinger: { eu: 'nl-ams', us: 'us-bos', ap: 'in-mum' },
}

/**
 * Contract-billed tiers the lab catalogue (catalog.ts) prices above another provider's same tier by
 * more than the waste thresholds (5 % and $0.50 a month), with every provider in every routing pool:
 * Hostinger nano ($6.49) and standard ($8.99) cost more than Hetzner's and Contabo's; Contabo pro
 * (EUR 14.00) more than Hostinger pro ($12.99), unless the pair's other member is on Hostinger. Kept
 * as plain facts so that a change of catalogue prices shows up as a failing waste test.
 */
const PRICIER_IN_CATALOGUE = (provider: Provider, tier: Tier, partner: Provider | null): boolean =>
  (provider === 'hostinger' && tier !== 'pro') ||
  (provider === 'contabo' && tier === 'pro' && partner !== 'hostinger')

const iso = (t: number) => new Date(t).toISOString()
const count = (n: number, share: number, floor: number) => Math.max(floor, Math.round(n * share))

/**
 * Plans the history for a freshly generated fleet; backdates the pairs that carry legacy Contabo
 * contracts (in place, before the fleet is written).
 */
export function planHistory(
  fleet: { pairs: Pair[]; instances: Instance[] },
  opts: { days: number; seed: number; now: Date },
): HistoryPlan {
  const rnd = new Rand(opts.seed ^ 0x4c656467)
  const now = opts.now.getTime()
  const windowStart = now - opts.days * DAY
  const byPair = Map.groupBy(fleet.instances, (i) => i.pairId)
  const pairOf = new Map(fleet.pairs.map((p) => [p.id, p]))
  const healthy = rnd.shuffle(
    [...byPair].filter(([, m]) => m.every((i) => i.state === 'ACTIVE')).map(([id]) => id),
  )
  const age = (pairId: string) => now - Date.parse(pairOf.get(pairId)!.createdAt)
  const small = fleet.pairs.length < 20
  const taken = new Set<string>()
  const take = (pred: (id: string) => boolean, n: number) => {
    const out: string[] = []
    for (const id of healthy) {
      if (out.length >= n) break
      if (!taken.has(id) && pred(id)) {
        out.push(id)
        taken.add(id)
      }
    }
    return out
  }

  const idlePairs = take((id) => age(id) > 70 * DAY, count(fleet.pairs.length, 0.035, small ? 0 : 1))
  const oversizedPairs =
    opts.days >= 7
      ? take(
          (id) => age(id) > opts.days * DAY && byPair.get(id)![0]!.tier !== 'nano',
          count(fleet.pairs.length, 0.02, small ? 0 : 1),
        )
      : []
  const legacy = CONTABO_PRICE_TABLE.at(-1)!
  const current = CONTABO_PRICE_TABLE[0]!
  const legacyFrom = Date.parse(legacy.validFrom)
  const legacyTo = Math.min(Date.parse(current.validFrom), now - 60 * DAY)
  const legacyPairs =
    legacyTo > legacyFrom
      ? take(
          (id) => byPair.get(id)!.some((i) => i.provider === 'contabo'),
          count(fleet.pairs.length, 0.007, small ? 0 : 1),
        )
      : []
  const legacyContracts: string[] = []
  for (const id of legacyPairs) {
    const created = iso(Math.floor(rnd.real(legacyFrom, legacyTo) / 1000) * 1000)
    const pair = pairOf.get(id)!
    pair.createdAt = created
    pair.updatedAt = created
    for (const i of byPair.get(id)!) {
      i.createdAt = created
      if (i.provider === 'contabo') legacyContracts.push(i.id)
    }
  }

  const resized = new Map<string, { from: Tier; at: string }>()
  const resizedPairs = take(
    (id) => byPair.get(id)![0]!.tier !== 'nano' && age(id) > opts.days * DAY,
    count(fleet.pairs.length, 0.01, 0),
  )
  for (const id of resizedPairs) {
    const at = iso(Math.floor(rnd.real(windowStart + DAY, now - DAY) / 1000) * 1000)
    const tier = byPair.get(id)![0]!.tier
    for (const i of byPair.get(id)!) resized.set(i.id, { from: tier === 'pro' ? 'standard' : 'nano', at })
  }

  const profiles = new Map<string, Profile>()
  const idleSet = new Set(idlePairs)
  const overSet = new Set(oversizedPairs)
  for (const i of fleet.instances) {
    profiles.set(
      i.id,
      i.role === 'standby'
        ? 'standby'
        : idleSet.has(i.pairId)
          ? 'idle'
          : overSet.has(i.pairId)
            ? 'oversized'
            : 'normal',
    )
  }

  // Who was last active when: idle users 14–60 days ago, everyone else within 12 days.
  const activity: HistoryPlan['activity'] = []
  for (const p of fleet.pairs) {
    const created = Date.parse(p.createdAt)
    const last = idleSet.has(p.id)
      ? now - rnd.int(15 * 24, 60 * 24) * HOUR - rnd.int(0, 3599) * 1000
      : Math.max(created, now - rnd.int(0, 12 * 24) * HOUR - rnd.int(0, 3599) * 1000)
    activity.push({ userId: p.userId, lastActiveAt: iso(last), source: 'lab' })
  }

  // Trial users who came and went inside the window; primaries rotate over the providers so every
  // provider has provisioning history to score, even in a small fleet.
  const churnedPairs: Pair[] = []
  const churnedInstances: Instance[] = []
  const churnCount = Math.max(
    Math.ceil((fleet.pairs.length * 0.01 * opts.days) / 7),
    Math.ceil((10 * opts.days) / 7),
  )
  for (let n = 0; n < churnCount; n++) {
    const group = (['eu', 'eu', 'us', 'us', 'ap'] as const)[rnd.int(0, 4)]!
    const primary = PROVIDERS[n % PROVIDERS.length]!
    let standby = PROVIDERS[rnd.int(0, 4)]!
    while (standby === primary) standby = PROVIDERS[rnd.int(0, 4)]!
    const created = Math.floor(rnd.real(windowStart, now - 2 * DAY) / 1000) * 1000
    const deleted = Math.min(now - HOUR, created + rnd.int(1, 10) * DAY + rnd.int(0, 23) * HOUR)
    const userId = rnd.id('u', 8)
    const pairId = rnd.id('p')
    const tier: Tier = (['nano', 'standard', 'standard', 'pro'] as const)[rnd.int(0, 3)]!
    churnedPairs.push({
      id: pairId,
      userId,
      labels: { lab: 'true', cohort: 'trial' },
      createdAt: iso(created),
      updatedAt: iso(deleted),
    })
    for (const [role, provider] of [
      ['primary', primary],
      ['standby', standby],
    ] as const) {
      churnedInstances.push({
        id: rnd.id('i'),
        pairId,
        userId,
        provider,
        region: STANDBY_REGION[provider][group]!,
        tier,
        role,
        state: 'DELETED',
        providerId: null,
        ip: null,
        tailscaleName: `claw-${userId}-${role === 'primary' ? 'p' : 's'}`,
        nodeId: null,
        labels: { lab: 'true', cohort: 'trial' },
        healthScore: null,
        lastHeartbeatAt: null,
        createdAt: iso(created),
        updatedAt: iso(deleted),
      })
    }
    activity.push({ userId, lastActiveAt: iso(created + Math.floor((deleted - created) / 3)), source: 'lab' })
  }

  // Provisioning attempts: every server created inside the window, plus failed attempts.
  const provisions: ProvisionAttempt[] = []
  let seq = 0
  const provId = () => `prov-lab-${String(++seq).padStart(6, '0')}`
  for (const i of [...fleet.instances, ...churnedInstances]) {
    const finished = Date.parse(i.createdAt)
    if (finished < windowStart || i.state === 'BOOTSTRAPPING') continue
    const p = PROVISIONING[i.provider]
    const retried = rnd.chance(p.retry)
    const minutes = rnd.real(p.min, p.max) + (retried ? rnd.real(2, 4) : 0)
    provisions.push({
      id: provId(),
      provider: i.provider,
      region: i.region,
      tier: i.tier,
      role: i.role,
      instanceId: i.id,
      pairId: i.pairId,
      opId: null,
      startedAt: iso(finished - Math.round(minutes * 60_000)),
      finishedAt: iso(finished),
      outcome: 'ok',
      attempts: retried ? 2 : 1,
      errorCode: null,
    })
  }
  // Hostinger gives up on a purchase about once a week; the others rarely.
  for (let week = 0; week * 7 < opts.days; week++) {
    for (const provider of PROVIDERS) {
      if (provider !== 'hostinger' && !rnd.chance(0.15)) continue
      const start = Math.floor(
        rnd.real(now - Math.min(opts.days, (week + 1) * 7) * DAY, now - week * 7 * DAY - HOUR),
      )
      provisions.push({
        id: provId(),
        provider,
        region: STANDBY_REGION[provider].us!,
        tier: 'standard',
        role: 'primary',
        instanceId: null,
        pairId: null,
        opId: null,
        startedAt: iso(start),
        finishedAt: iso(start + 15 * 60_000),
        outcome: 'failed',
        attempts: 3,
        errorCode: provider === 'hostinger' ? 'server_never_running' : 'provider_5xx',
      })
    }
  }

  const incidents: HistoryPlan['incidents'] = []
  if (opts.days >= 3) {
    const opened = now - rnd.int(2 * 24, Math.min(6, opts.days) * 24 - 4) * HOUR
    incidents.push({
      id: 'inc-lab-hostinger-us-bos',
      provider: 'hostinger',
      region: 'us-bos',
      severity: 'high',
      title: 'Hostinger us-bos: purchases stuck in "initial" (lab history)',
      openedAt: iso(opened),
      resolvedAt: iso(opened + 3 * HOUR),
    })
  }
  if (opts.days >= 14) {
    const opened = now - rnd.int(10 * 24, 13 * 24) * HOUR
    incidents.push({
      id: 'inc-lab-hetzner-nbg1',
      provider: 'hetzner',
      region: 'nbg1',
      severity: 'warning',
      title: 'Hetzner nbg1: network latency (lab history)',
      openedAt: iso(opened),
      resolvedAt: iso(opened + 40 * 60_000),
    })
  }

  // Cheaper elsewhere, by construction: the legacy contracts, and the contract-billed tiers the lab
  // catalogue prices above another provider's (see PRICIER_IN_CATALOGUE), on ACTIVE members of pairs
  // not already flagged as idle or oversized.
  const flagged = new Set([...idlePairs, ...oversizedPairs])
  const legacySet = new Set(legacyContracts)
  const partnerOf = (i: Instance) => byPair.get(i.pairId)!.find((o) => o.id !== i.id)?.provider ?? null
  const cheaperElsewhere = fleet.instances
    .filter(
      (i) =>
        !flagged.has(i.pairId) &&
        i.state === 'ACTIVE' &&
        (legacySet.has(i.id) || PRICIER_IN_CATALOGUE(i.provider, i.tier, partnerOf(i))),
    )
    .map((i) => i.id)
    .sort()

  return {
    manifest: {
      days: opts.days,
      idlePairs: idlePairs.sort(),
      oversizedPairs: oversizedPairs.sort(),
      cheaperElsewhere,
      legacyContracts: legacyContracts.sort(),
      churnedPairs: churnedPairs.map((p) => p.id).sort(),
      resizedPairs: resizedPairs.sort(),
      incidents: incidents.map((i) => i.id),
    },
    churned: { pairs: churnedPairs, instances: churnedInstances },
    resized,
    activity,
    provisions,
    incidents,
    profiles,
    now,
    seed: opts.seed,
  }
}

/** Billing segments for seeded instances: from creation, closed at deletion, split at a resize. */
export function writeLabBilling(store: Store, instances: readonly Instance[], plan?: HistoryPlan): number {
  const repo = store.repo(BillingSegments)
  let n = 0
  for (const i of instances) {
    const r = plan?.resized.get(i.id)
    if (r) {
      repo.open({ ...i, tier: r.from }, priceAt(i.provider, r.from, i.createdAt), i.createdAt, 'create')
      repo.close(i.id, r.at, `resize to ${i.tier}`)
      repo.open(i, priceAt(i.provider, i.tier, r.at), r.at, `resize from ${r.from}`)
      n += 2
      continue
    }
    repo.open(i, priceAt(i.provider, i.tier, i.createdAt), i.createdAt, 'create')
    if (i.state === 'DELETED') repo.close(i.id, i.updatedAt, 'delete')
    n++
  }
  return n
}

/** Health roll-ups of one live instance: hourly for the last week of the window, daily before. */
function* rollupsFor(
  i: Instance,
  profile: Profile,
  days: number,
  now: number,
  seed: number,
): Generator<Rollup> {
  const rnd = new Rand(seed ^ hash(i.id))
  const created = Date.parse(i.createdAt)
  const hourEnd = Math.floor(now / HOUR) * HOUR
  const hourlyFrom = hourEnd - Math.min(days, 7) * 24 * HOUR
  const dayEnd = Math.floor(hourlyFrom / DAY) * DAY
  const windowStart = hourEnd - days * DAY
  const usage = (): [number, number, number, number] => {
    switch (profile) {
      case 'normal': {
        const cpu = rnd.real(12, 45)
        const mem = rnd.real(30, 70)
        return [cpu, Math.min(100, cpu + rnd.real(15, 45)), mem, Math.min(100, mem + rnd.real(5, 20))]
      }
      case 'oversized': {
        const cpu = rnd.real(2, 8)
        const mem = rnd.real(6, 12)
        return [cpu, cpu + rnd.real(1, 9), mem, mem + rnd.real(1, 5)]
      }
      case 'idle': {
        const cpu = rnd.real(0.5, 3)
        const mem = rnd.real(8, 12)
        return [cpu, cpu + rnd.real(0.5, 5), mem, mem + rnd.real(0.5, 3)]
      }
      case 'standby': {
        const cpu = rnd.real(1, 5)
        const mem = rnd.real(10, 25)
        return [cpu, cpu + rnd.real(2, 10), mem, mem + rnd.real(2, 10)]
      }
    }
  }
  const health = (start: number, samples: number): [number, number, number] => {
    const recent = hourEnd - start
    if (i.state === 'FAILED' && recent <= 3 * HOUR) return [rnd.real(0, 8), 0, samples]
    if (i.state === 'DEGRADED' && recent <= 6 * HOUR) return [rnd.real(25, 48), rnd.int(10, 25), samples]
    const base = i.provider === 'hostinger' ? rnd.real(82, 97) : rnd.real(90, 100)
    return [base, Math.max(0, Math.floor(base - rnd.real(0, 12))), 0]
  }
  const emit = (bucket: 'hour' | 'day', start: number, n: number): Rollup => {
    const [cpuAvg, cpuMax, memAvg, memMax] = usage()
    const [scoreAvg, scoreMin, down] = health(start, n)
    return {
      instanceId: i.id,
      bucket,
      start: iso(start),
      n,
      scoreAvg: Math.round(scoreAvg * 10) / 10,
      scoreMin: Math.min(scoreMin, Math.floor(scoreAvg)),
      cpuAvg: Math.round(cpuAvg * 10) / 10,
      cpuMax: Math.round(cpuMax * 10) / 10,
      memAvg: Math.round(memAvg * 10) / 10,
      memMax: Math.round(memMax * 10) / 10,
      downSamples: down,
    }
  }
  for (let d = Math.ceil(windowStart / DAY) * DAY; d < dayEnd; d += DAY) {
    if (d >= created) yield emit('day', d, 288)
  }
  for (let h = hourlyFrom; h < hourEnd; h += HOUR) {
    if (h >= created) yield emit('hour', h, 12)
  }
}

function hash(s: string): number {
  let h = 2166136261
  for (let k = 0; k < s.length; k++) h = Math.imul(h ^ s.charCodeAt(k), 16777619)
  return h >>> 0
}

/** Writes the planned history (inside the caller's transaction). Returns the number of roll-ups. */
export function writeLabHistory(store: Store, instances: readonly Instance[], plan: HistoryPlan): number {
  store.repo(UserActivity).record(plan.activity)
  store.repo(ProvisionHistory).record(plan.provisions)
  store.repo(Incidents).insertResolved(
    plan.incidents.map((i) => ({
      ...i,
      kind: 'provider-outage',
      timeline: [
        { at: i.openedAt, kind: 'opened', text: i.title },
        { at: i.resolvedAt, kind: 'resolved', text: 'provider recovered' },
      ],
    })),
  )
  const health = store.repo(HealthHistory)
  let batch: Rollup[] = []
  let total = 0
  for (const i of instances) {
    if (i.state === 'DELETED' || i.state === 'BOOTSTRAPPING') continue
    for (const r of rollupsFor(
      i,
      plan.profiles.get(i.id) ?? 'normal',
      plan.manifest.days,
      plan.now,
      plan.seed,
    )) {
      batch.push(r)
      if (batch.length >= 20_000) {
        health.recordRollups(batch)
        total += batch.length
        batch = []
      }
    }
  }
  health.recordRollups(batch)
  return total + batch.length
}
