/**
 * `clawops fleet status` and the gateway plugin's `clawops.fleet-status`: one read model of the fleet
 * at a glance. Counts by state, provider, region and tier; the degraded and failed instances; pairs
 * without an ACTIVE member and without an ACTIVE primary (each with its condition: degraded,
 * promoting, at-risk, unserved, creating); each provider region's health; open
 * incidents with their timelines; silences in force; config rollouts not finished, with their batch
 * progress; month-to-date cost against the projection and the provider scores with a 7-day trend (as
 * the Ledger last computed them, see ledger/glance.ts); the last watch cycle and whether watch is alive.
 *
 * `fleetSnapshot` only reads (the plugin calls it on a read-only store inside the gateway);
 * `fleetStatus` first brings the Ledger's hourly part up to date when it is stale.
 */

import { watchSettings } from '../config/watch-settings.js'
import type { Context } from '../context.js'
import { type Currency, monthlyUsdCents, REGIONS } from '../domain/catalog.js'
import { INSTANCE_STATES, type Instance } from '../domain/instance.js'
import { PROVIDERS } from '../domain/provider.js'
import { UserError } from '../errors.js'
import { type LedgerGlance, readLedgerGlance, refreshLedgerGlance } from '../ledger/glance.js'
import { ConfigRollouts, type OutcomeCounts, type RolloutStatus } from '../store/config-rollouts.js'
import { type FleetFilter, FleetStats, type PairGap, type RegionHealth } from '../store/fleet-stats.js'
import { type IncidentStatus, Incidents, type TimelineEntry } from '../store/incidents.js'
import { Instances } from '../store/instances.js'
import { Silences } from '../store/silences.js'
import type { Store } from '../store/store.js'
import { UpgradeRollouts } from '../store/upgrade-rollouts.js'
import { WATCH_HEARTBEAT_MS, type WatchRun, WatchRuns } from '../store/watch-runs.js'

export type { FleetFilter }

/**
 * The optional filters (provider, region, state) from untrusted input (RPC params, a query string):
 * known values only, so a typo is an error rather than an empty fleet.
 */
export function parseFleetFilter(input: unknown): FleetFilter {
  if (input === undefined || input === null) return {}
  if (typeof input !== 'object' || Array.isArray(input)) {
    throw new UserError(
      'INVALID_INPUT',
      'fleet status filters must be an object {provider?, region?, state?}',
    )
  }
  const out: FleetFilter = {}
  for (const [key, value] of Object.entries(input)) {
    if (value === undefined || value === null || value === '') continue
    const known: Record<string, readonly string[]> = {
      provider: PROVIDERS,
      region: [...new Set(REGIONS.map((r) => r.code))],
      state: INSTANCE_STATES,
    }
    const allowed = known[key]
    if (!allowed) {
      throw new UserError('INVALID_INPUT', `unknown fleet status filter "${key}"`, {
        hint: 'Filters: provider, region, state.',
      })
    }
    if (typeof value !== 'string' || !allowed.includes(value)) {
      throw new UserError('INVALID_INPUT', `no such ${key}: ${JSON.stringify(value)}`, {
        hint: `One of: ${allowed.join(', ')}.`,
      })
    }
    out[key as keyof FleetFilter] = value
  }
  return out
}

const WATCH_STALE_MS = 3 * WATCH_HEARTBEAT_MS
/** Incident timelines are cut to their newest entries; `incident report` has them all. */
const TIMELINE_ENTRIES = 20

export interface InstanceBrief {
  id: string
  pairId: string
  userId: string
  provider: string
  region: string
  role: string
  state: string
  healthScore: number | null
  lastHeartbeatAt: string | null
}

export interface IncidentBrief {
  id: string
  provider: string | null
  region: string | null
  kind: string
  status: IncidentStatus
  severity: string
  title: string
  openedAt: string
  /** The newest entries, oldest first. */
  timeline: TimelineEntry[]
  timelineTotal: number
  actions: number
}

export interface SilenceBrief {
  id: string
  provider: string | null
  region: string | null
  instanceId: string | null
  eventType: string | null
  reason: string
  createdBy: string
  expiresAt: string
}

export interface RolloutBrief {
  id: string
  kind: string
  version: number
  status: RolloutStatus
  batches: number
  currentBatch: number
  actor: string
  createdAt: string
  updatedAt: string
  reason: string | null
  targets: OutcomeCounts
}

export interface WatchStatus {
  /** live: a daemon gave a sign of life within 90 s, or cron's last `watch --once` is within two intervals. */
  status: 'live' | 'stale' | 'stopped' | 'never'
  alive: boolean
  mode: 'daemon' | 'once' | null
  heal: boolean | null
  host: string | null
  pid: number | null
  startedAt: string | null
  lastSeenAt: string | null
  stoppedAt: string | null
  intervalMs: number
  lastCycle: {
    at: string
    durationMs: number | null
    swept: number | null
    skipped: string | null
  } | null
}

export interface UpgradeBrief {
  id: string
  kind: string
  targetVersion: string
  status: string
  batches: number
  currentBatch: number
  actor: string
  updatedAt: string
}

export interface FleetVersions {
  openclaw: { version: string; instances: number }[]
  clawnode: { version: string; instances: number }[]
  /** Live instances that never reported a version. */
  unknown: number
}

export interface FleetStatus {
  asOf: string
  filter: { provider: string | null; region: string | null; state: string | null }
  pairs: number
  instances: number
  byState: Record<string, number>
  byProvider: Record<string, number>
  byRegion: Record<string, number>
  byTier: Record<string, number>
  degraded: InstanceBrief[]
  failed: InstanceBrief[]
  /** Pairs with no ACTIVE member: users without a working gateway. */
  pairsWithoutActive: PairGap[]
  /** Pairs whose primary role is not held by an ACTIVE instance (at-risk, unserved, degraded, …). */
  pairsWithoutActivePrimary: PairGap[]
  monthlyCost: { usdCents: number; byProvider: Record<string, number>; rates: Record<string, number> }
  regions: RegionHealth[]
  incidents: IncidentBrief[]
  silences: SilenceBrief[]
  rollouts: RolloutBrief[]
  /** OpenClaw and gf-clawnode upgrades (and rollbacks of them) not finished. */
  upgrades: UpgradeBrief[]
  /** What the live instances last reported running (`openclaw versions` asks them anew). */
  versions: FleetVersions
  cost: LedgerGlance['cost']
  providerScores: LedgerGlance['providerScores']
  watch: WatchStatus
}

export interface SnapshotSources {
  store: Store
  rates: Record<string, number>
  /** watch's cycle interval (config), for judging a cron-driven `watch --once`. */
  watchIntervalMs: number
  now: Date
}

function brief(i: Instance): InstanceBrief {
  return {
    id: i.id,
    pairId: i.pairId,
    userId: i.userId,
    provider: i.provider,
    region: i.region,
    role: i.role,
    state: i.state,
    healthScore: i.healthScore,
    lastHeartbeatAt: i.lastHeartbeatAt,
  }
}

function add(map: Record<string, number>, key: string, n: number): void {
  map[key] = (map[key] ?? 0) + n
}

/** What the store says of the last watch run and its last cycle. */
export function watchStatus(store: Store, now: number, intervalMs: number): WatchStatus {
  const { run, lastCycle } = store.repo(WatchRuns).latest()
  const cycle = lastCycle && {
    at: lastCycle.lastCycleAt!,
    durationMs: lastCycle.lastCycleMs,
    swept: lastCycle.lastCycleSwept,
    skipped: lastCycle.lastCycleSkipped,
  }
  if (!run) {
    return {
      status: 'never',
      alive: false,
      mode: null,
      heal: null,
      host: null,
      pid: null,
      startedAt: null,
      lastSeenAt: null,
      stoppedAt: null,
      intervalMs,
      lastCycle: null,
    }
  }
  const status = judge(run, cycle?.at ?? null, now, intervalMs)
  return {
    status,
    alive: status === 'live',
    mode: run.mode,
    heal: run.heal,
    host: run.host,
    pid: run.pid,
    startedAt: run.startedAt,
    lastSeenAt: run.lastSeenAt,
    stoppedAt: run.stoppedAt,
    intervalMs: run.mode === 'daemon' ? run.intervalMs : intervalMs,
    lastCycle: cycle ?? null,
  }
}

function judge(
  run: WatchRun,
  lastCycleAt: string | null,
  now: number,
  intervalMs: number,
): WatchStatus['status'] {
  if (run.mode === 'once') {
    return lastCycleAt !== null && now - Date.parse(lastCycleAt) <= 2 * intervalMs ? 'live' : 'stale'
  }
  if (run.stoppedAt !== null) return 'stopped'
  return now - Date.parse(run.lastSeenAt) <= WATCH_STALE_MS ? 'live' : 'stale'
}

/** The snapshot from the store as it is: reads only, so it runs on a read-only connection. */
export function fleetSnapshot(src: SnapshotSources, filter: FleetFilter = {}): FleetStatus {
  const { store } = src
  const stats = store.repo(FleetStats)
  const rates = src.rates as Record<Currency, number>
  const now = src.now.toISOString()
  const ledger = readLedgerGlance(store, src.now)
  const gaps = stats.pairGaps(filter)
  const status: FleetStatus = {
    asOf: now,
    filter: { provider: filter.provider ?? null, region: filter.region ?? null, state: filter.state ?? null },
    pairs: stats.pairCount(filter),
    instances: 0,
    byState: {},
    byProvider: {},
    byRegion: {},
    byTier: {},
    degraded: [],
    failed: [],
    pairsWithoutActive: gaps.withoutActive,
    pairsWithoutActivePrimary: gaps.withoutActivePrimary,
    monthlyCost: { usdCents: 0, byProvider: {}, rates },
    regions: stats.regionHealth(filter),
    incidents: [],
    silences: [],
    rollouts: [],
    upgrades: [],
    versions: { openclaw: [], clawnode: [], unknown: 0 },
    cost: ledger.cost,
    providerScores: ledger.providerScores,
    watch: watchStatus(store, src.now.getTime(), src.watchIntervalMs),
  }
  for (const b of stats.buckets(filter)) {
    status.instances += b.n
    add(status.byState, b.state, b.n)
    add(status.byProvider, b.provider, b.n)
    add(status.byRegion, `${b.provider}/${b.region}`, b.n)
    add(status.byTier, b.tier, b.n)
    const cost = b.n * monthlyUsdCents(b.provider, b.tier, rates)
    status.monthlyCost.usdCents += cost
    add(status.monthlyCost.byProvider, b.provider, cost)
  }
  const instances = store.repo(Instances)
  const narrow = {
    ...(filter.provider ? { providers: [filter.provider as Instance['provider']] } : {}),
    ...(filter.region ? { regions: [filter.region] } : {}),
  }
  const wanted = (s: string) => !filter.state || filter.state === s
  status.degraded = wanted('DEGRADED') ? instances.list({ states: ['DEGRADED'], ...narrow }).map(brief) : []
  status.failed = wanted('FAILED') ? instances.list({ states: ['FAILED'], ...narrow }).map(brief) : []
  status.incidents = store
    .repo(Incidents)
    .list({ status: ['open', 'mitigated'] })
    .filter(
      (i) =>
        (!filter.provider || i.provider === filter.provider) &&
        (!filter.region || i.region === null || i.region === filter.region),
    )
    .map((i) => ({
      id: i.id,
      provider: i.provider,
      region: i.region,
      kind: i.kind,
      status: i.status,
      severity: i.severity,
      title: i.title,
      openedAt: i.openedAt,
      timeline: i.timeline.slice(-TIMELINE_ENTRIES),
      timelineTotal: i.timeline.length,
      actions: i.actions.length,
    }))
  status.silences = store
    .repo(Silences)
    .active(now)
    .map((s) => ({
      id: s.id,
      provider: s.provider,
      region: s.region,
      instanceId: s.instanceId,
      eventType: s.eventType,
      reason: s.reason,
      createdBy: s.createdBy,
      expiresAt: s.expiresAt,
    }))
  const rollouts = store.repo(ConfigRollouts)
  status.rollouts = rollouts.unfinished().map((r) => ({
    id: r.id,
    kind: r.kind,
    version: r.version,
    status: r.status,
    batches: r.batches,
    currentBatch: r.currentBatch,
    actor: r.actor,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
    reason: r.reason,
    targets: rollouts.counts(r.id),
  }))
  const upgrades = store.repo(UpgradeRollouts)
  status.upgrades = upgrades.unfinished().map((r) => ({
    id: r.id,
    kind: r.kind,
    targetVersion: r.targetVersion,
    status: r.status,
    batches: r.batches,
    currentBatch: r.currentBatch,
    actor: r.actor,
    updatedAt: r.updatedAt,
  }))
  status.versions = versionCounts(
    instances.list().map((i) => i.id),
    upgrades.versions(),
  )
  return status
}

function versionCounts(
  live: readonly string[],
  reported: Map<string, { openclaw: string | null; clawnode: string | null }>,
): FleetVersions {
  const openclaw = new Map<string, number>()
  const clawnode = new Map<string, number>()
  let unknown = 0
  for (const id of live) {
    const v = reported.get(id)
    if (!v?.openclaw && !v?.clawnode) unknown++
    if (v?.openclaw) openclaw.set(v.openclaw, (openclaw.get(v.openclaw) ?? 0) + 1)
    if (v?.clawnode) clawnode.set(v.clawnode, (clawnode.get(v.clawnode) ?? 0) + 1)
  }
  const sorted = (m: Map<string, number>) =>
    [...m].map(([version, instances]) => ({ version, instances })).sort((a, b) => b.instances - a.instances)
  return { openclaw: sorted(openclaw), clawnode: sorted(clawnode), unknown }
}

export interface FleetStatusOptions {
  filter?: FleetFilter
  /** Compute the Ledger's hourly part first when it is missing or stale (default true). */
  refresh?: boolean
}

export function fleetStatus(ctx: Context, opts: FleetStatusOptions = {}): FleetStatus {
  if (opts.refresh !== false) refreshLedgerGlance(ctx)
  return fleetSnapshot(
    {
      store: ctx.store(),
      rates: ctx.config().currency.rates,
      watchIntervalMs: watchSettings(ctx.config()).intervalMs,
      now: ctx.clock(),
    },
    opts.filter,
  )
}
