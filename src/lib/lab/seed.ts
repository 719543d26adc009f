/**
 * `clawops lab seed`: a deterministic, realistic synthetic fleet in the store, for demos and
 * benchmarks. The same seed gives the same fleet. Every row is labelled `lab=true`, and `--replace`
 * removes only such rows. Degraded and failed members are placed by exact counts so that even a small
 * fleet shows them.
 */
import { uniformInt } from 'pure-rand/distribution/uniformInt'
import { mersenne } from 'pure-rand/generator/mersenne'
import type { RandomGenerator } from 'pure-rand/types/RandomGenerator'
import type { Context } from '../context.js'
import { regionsOf } from '../domain/catalog.js'
import type { Instance, InstanceState } from '../domain/instance.js'
import type { Pair } from '../domain/pair.js'
import type { Provider, RegionGroup } from '../domain/provider.js'
import type { Tier } from '../domain/tier.js'
import { UserError } from '../errors.js'
import { grantOf } from '../policy/roles.js'
import { AuditTrail } from '../store/audit-trail.js'
import { Instances } from '../store/instances.js'
import { LabRows } from '../store/lab-rows.js'
import { Pairs } from '../store/pairs.js'
import { type BriefingEventsManifest, writeBriefingEvents } from './briefing-events.js'
import { type HistoryManifest, planHistory, writeLabBilling, writeLabHistory } from './history.js'

export interface SeedOptions {
  pairs: number
  seed: number
  replace?: boolean
  /** Also write this many days of synthetic history (health, activity, provisioning, churn). */
  historyDays?: number
  /** Also write a day of fleet events for briefings (heals, failovers in an incident, SLA, provisioning). */
  briefingEvents?: boolean
}

export interface SeedResult {
  seed: number
  pairs: number
  instances: number
  replaced: number
  byState: Record<string, number>
  /** Billing segments written for the seeded instances (the cost report reads them). */
  billingSegments: number
  history?: { days: number; rollups: number; provisions: number; manifest: HistoryManifest }
  briefingEvents?: BriefingEventsManifest
}

type Weighted<T> = readonly (readonly [T, number])[]

const GROUPS: Weighted<RegionGroup> = [
  ['eu', 55],
  ['us', 35],
  ['ap', 10],
]
const PRIMARY: Weighted<Provider> = [
  ['hetzner', 40],
  ['vultr', 20],
  ['digitalocean', 20],
  ['contabo', 12],
  ['hostinger', 8],
]
const STANDBY: Weighted<Provider> = [
  ['vultr', 30],
  ['digitalocean', 30],
  ['hetzner', 20],
  ['contabo', 15],
  ['hostinger', 5],
]
const TIERS: Weighted<Tier> = [
  ['nano', 30],
  ['standard', 55],
  ['pro', 15],
]

/** Pair scenarios as [primary state, standby state], with their share of the fleet and a floor. */
const SCENARIOS: readonly { states: [InstanceState, InstanceState]; share: number; atLeast: number }[] = [
  { states: ['DEGRADED', 'ACTIVE'], share: 0.015, atLeast: 2 },
  { states: ['FAILED', 'ACTIVE'], share: 0.005, atLeast: 1 },
  { states: ['ACTIVE', 'DEGRADED'], share: 0.003, atLeast: 1 },
  { states: ['ACTIVE', 'FAILED'], share: 0.003, atLeast: 0 },
  { states: ['BOOTSTRAPPING', 'BOOTSTRAPPING'], share: 0.005, atLeast: 1 },
  { states: ['FAILED', 'FAILED'], share: 0.002, atLeast: 1 },
  { states: ['DEGRADED', 'FAILED'], share: 0.002, atLeast: 0 },
]

const ID_ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz'
const MINUTE = 60_000
const DAY = 24 * 60 * MINUTE

class Rng {
  constructor(private readonly g: RandomGenerator) {}
  int(from: number, to: number): number {
    return uniformInt(this.g, from, to)
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(0, items.length - 1)]!
  }
  weighted<T>(items: Weighted<T>): T {
    const total = items.reduce((s, [, w]) => s + w, 0)
    let r = this.int(0, total - 1)
    for (const [v, w] of items) {
      if (r < w) return v
      r -= w
    }
    return items[items.length - 1]![0]
  }
  id(prefix: string, length = 10): string {
    let s = ''
    for (let i = 0; i < length; i++) s += ID_ALPHABET[this.int(0, 31)]
    return `${prefix}-${s}`
  }
  shuffle(n: number): number[] {
    const a = Array.from({ length: n }, (_, i) => i)
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(0, i)
      ;[a[i], a[j]] = [a[j]!, a[i]!]
    }
    return a
  }
}

function scenarioPlan(rng: Rng, pairs: number): ([InstanceState, InstanceState] | undefined)[] {
  const plan: ([InstanceState, InstanceState] | undefined)[] = new Array(pairs)
  const order = rng.shuffle(pairs)
  let next = 0
  for (const s of SCENARIOS) {
    const count = Math.min(Math.max(Math.round(pairs * s.share), pairs >= 10 ? s.atLeast : 0), pairs - next)
    for (let k = 0; k < count; k++) plan[order[next++]!] = s.states
  }
  return plan
}

function healthFor(
  rng: Rng,
  state: InstanceState,
  now: number,
): { score: number | null; heartbeat: string | null } {
  switch (state) {
    case 'ACTIVE':
      return { score: rng.int(80, 100), heartbeat: new Date(now - rng.int(0, 60) * 1000).toISOString() }
    case 'DEGRADED':
      return { score: rng.int(20, 49), heartbeat: new Date(now - rng.int(30, 600) * 1000).toISOString() }
    case 'FAILED':
      return { score: rng.int(0, 10), heartbeat: new Date(now - rng.int(10, 180) * MINUTE).toISOString() }
    default:
      return { score: null, heartbeat: null }
  }
}

export function generateFleet(opts: { pairs: number; seed: number; now: Date }): {
  pairs: Pair[]
  instances: Instance[]
} {
  const rng = new Rng(mersenne(opts.seed))
  const now = opts.now.getTime()
  const scenarios = scenarioPlan(rng, opts.pairs)
  const pairs: Pair[] = []
  const instances: Instance[] = []
  let ipSeq = rng.int(0, 1000)
  for (let n = 0; n < opts.pairs; n++) {
    const group = rng.weighted(GROUPS)
    const primaryProvider = rng.weighted(PRIMARY)
    let standbyProvider = rng.weighted(STANDBY)
    while (standbyProvider === primaryProvider) standbyProvider = rng.weighted(STANDBY)
    const tier = rng.weighted(TIERS)
    const [primaryState, standbyState] = scenarios[n] ?? ['ACTIVE', 'ACTIVE']
    const fresh = primaryState === 'BOOTSTRAPPING'
    const created = new Date(now - (fresh ? rng.int(1, 10) * MINUTE : rng.int(1, 365) * DAY)).toISOString()
    const userId = rng.id('u', 8)
    const pairId = rng.id('p')
    const cohort = rng.pick(['beta', 'ga', 'ga', 'ga'])
    pairs.push({
      id: pairId,
      userId,
      labels: { lab: 'true', cohort },
      createdAt: created,
      updatedAt: created,
    })
    for (const [role, provider, state] of [
      ['primary', primaryProvider, primaryState],
      ['standby', standbyProvider, standbyState],
    ] as const) {
      const region = rng.pick(regionsOf(provider).filter((r) => r.group === group)).code
      const { score, heartbeat } = healthFor(rng, state, now)
      ipSeq++
      instances.push({
        id: rng.id('i'),
        pairId,
        userId,
        provider,
        region,
        tier,
        role,
        state,
        providerId: null,
        // 198.18.0.0/15 is reserved for benchmarks: realistic-looking, never routable.
        ip: `198.${18 + ((ipSeq >> 16) & 1)}.${(ipSeq >> 8) & 255}.${ipSeq & 255}`,
        tailscaleName: `claw-${userId}-${role === 'primary' ? 'p' : 's'}`,
        nodeId: null,
        labels: { lab: 'true', cohort },
        healthScore: score,
        lastHeartbeatAt: heartbeat,
        createdAt: created,
        updatedAt: heartbeat ?? created,
      })
    }
  }
  return { pairs, instances }
}

export function seedFleet(ctx: Context, opts: SeedOptions): SeedResult {
  if (grantOf(ctx.actor, 'lab.manage') === 'deny') {
    throw new UserError('POLICY_DENIED', `${ctx.actor} may not change lab data`, {
      details: { rules: ['role-permission'] },
    })
  }
  const store = ctx.store()
  const pairsRepo = store.repo(Pairs)
  const fleet = generateFleet({ pairs: opts.pairs, seed: opts.seed, now: ctx.clock() })
  const history = opts.historyDays
    ? planHistory(fleet, { days: opts.historyDays, seed: opts.seed, now: ctx.clock() })
    : undefined
  const byState: Record<string, number> = {}
  for (const i of fleet.instances) byState[i.state] = (byState[i.state] ?? 0) + 1
  let segments = 0
  let rollups = 0
  let briefingEvents: BriefingEventsManifest | undefined
  const replaced = store.tx(() => {
    const existingLab = pairsRepo.countLabelled('lab', 'true')
    if (existingLab > 0 && !opts.replace) {
      throw new UserError('CONFLICT', `the store already holds ${existingLab} lab pairs`, {
        hint: 'Add --replace to swap them for a new lab fleet (only rows labelled lab=true are removed).',
      })
    }
    if (existingLab > 0) store.repo(LabRows).clear()
    const removed = existingLab > 0 ? pairsRepo.deleteLabelled('lab', 'true') : 0
    const pairs = history ? [...fleet.pairs, ...history.churned.pairs] : fleet.pairs
    const instances = history ? [...fleet.instances, ...history.churned.instances] : fleet.instances
    pairsRepo.insertMany(pairs)
    store.repo(Instances).insertMany(instances)
    segments = writeLabBilling(store, instances, history)
    if (history) rollups = writeLabHistory(store, instances, history)
    if (opts.briefingEvents) {
      briefingEvents = writeBriefingEvents(store, {
        seed: opts.seed,
        now: ctx.clock(),
        instances: fleet.instances,
      })
    }
    store.repo(AuditTrail).append({
      ...ctx.who,
      action: 'lab.seed',
      outcome: 'ok',
      details: { pairs: opts.pairs, seed: opts.seed, replaced: removed, historyDays: opts.historyDays ?? 0 },
    })
    return removed
  })
  const result: SeedResult = {
    seed: opts.seed,
    pairs: fleet.pairs.length,
    instances: fleet.instances.length,
    replaced,
    byState,
    billingSegments: segments,
  }
  if (briefingEvents) result.briefingEvents = briefingEvents
  if (history) {
    result.history = {
      days: history.manifest.days,
      rollups,
      provisions: history.provisions.length,
      manifest: history.manifest,
    }
  }
  return result
}
