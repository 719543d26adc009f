/**
 * `clawops health sweep`: probes every monitored instance (ACTIVE, DEGRADED, FAILED, and BOOTSTRAPPING
 * once its node joined: warming up) matching the selector through gf-clawnode with bounded concurrency, scores it, moves its state, records the
 * health history (and rolls it up), and announces state changes as events. With several gateway
 * shards the sweep fans out: each shard's instances are probed through that shard at the same time as
 * the others', each with the configured concurrency. When a gateway is unreachable its instances are
 * left unmeasured and the shard is reported (`shards[].error`); the others are swept. Only when no
 * shard could be reached does the sweep stop with GATEWAY_UNREACHABLE: a gateway outage is not a
 * fleet outage.
 */
import pMap from 'p-map'
import type { WatchSettings } from '../config/watch-settings.js'
import type { Context } from '../context.js'
import type { InstanceState } from '../domain/instance.js'
import { matches, parseSelector, selectableLabels } from '../domain/selector.js'
import { pairsInOperation } from '../engine/locks.js'
import { UserError } from '../errors.js'
import { HealthHistory, type HealthSample } from '../store/health-history.js'
import { InstanceHealth } from '../store/instance-health.js'
import { Instances, type ProbeTarget } from '../store/instances.js'
import { recordUserActivity } from '../store/user-activity.js'
import { applyProbe, type InstanceHealthResult } from './apply.js'
import { type Probe, probeInstance } from './probe.js'
import { MONITORED_STATES, SWEPT_STATES } from './state.js'

export interface SweepOptions {
  selector?: string
  ids?: readonly string[]
  concurrency?: number
  signal?: AbortSignal
  onProgress?: (message: string, data?: Record<string, unknown>) => void
  /** Keep every instance's result (the CLI prints them); the daemon keeps only the transitions. */
  keepResults?: boolean
}

/** Probes applied per transaction. */
const BATCH = 256

export interface SweepResult {
  at: string
  durationMs: number
  swept: number
  byState: Partial<Record<InstanceState, number>>
  transitions: { instanceId: string; from: InstanceState; to: InstanceState; score: number }[]
  results: InstanceHealthResult[]
  history: { samples: number; hourly: number; daily: number; dropped: number }
  /** Users whose last activity gf-clawnode reported, recorded for the Ledger's idle-account scan. */
  userActivity: number
  /** Per gateway shard: instances it had to probe, how long it took, and why it failed if it did. */
  shards: ShardSweep[]
}

export interface ShardSweep {
  gateway: string
  targets: number
  durationMs: number
  error?: { code: string; message: string }
}

/**
 * The instances a sweep looks at: monitored states and joined BOOTSTRAPPING ones, then the selector or
 * explicit ids, less the pairs a running operation holds. Without a
 * selector only the four columns the sweep uses are read (10,000 full rows with their labels are
 * most of a sweep's garbage).
 */
export function sweepTargets(ctx: Context, o: Pick<SweepOptions, 'selector' | 'ids'>): ProbeTarget[] {
  const sel = o.selector ? parseSelector(o.selector) : []
  const all = sel.length
    ? ctx
        .store()
        .repo(Instances)
        .list({ states: SWEPT_STATES, ...(o.ids ? { ids: o.ids } : {}) })
        .filter(
          (i) => (i.state !== 'BOOTSTRAPPING' || i.nodeId !== null) && matches(sel, selectableLabels(i)),
        )
        .map((i) => ({
          id: i.id,
          nodeId: i.nodeId,
          userId: i.userId,
          lastHeartbeatAt: i.lastHeartbeatAt,
          gateway: i.gateway ?? null,
        }))
    : ctx.store().repo(Instances).probeTargets(MONITORED_STATES, o.ids, ['BOOTSTRAPPING'])
  const acted = instancesInOperation(ctx)
  return acted.size === 0 ? all : all.filter((t) => !acted.has(t.id))
}

/** Instances of the pairs a running operation acts on: theirs to change, not the sweep's (engine/locks.ts). */
export function instancesInOperation(ctx: Context): Set<string> {
  const instances = ctx.store().repo(Instances)
  return new Set([...pairsInOperation(ctx)].flatMap((pairId) => instances.list({ pairId }).map((i) => i.id)))
}

export async function sweepHealth(
  ctx: Context,
  settings: WatchSettings,
  o: SweepOptions = {},
): Promise<SweepResult> {
  const t0 = performance.now()
  const nodes = await ctx.nodes()
  const targets = sweepTargets(ctx, o)
  const memory = ctx.store().repo(InstanceHealth).all()
  const store = ctx.store()
  const results: InstanceHealthResult[] = []
  const transitions: SweepResult['transitions'] = []
  const byState: Partial<Record<InstanceState, number>> = {}
  const users = new Set<string>()
  let swept = 0
  let samples = 0
  let done = 0
  let buffer: { probe: Probe; userId: string }[] = []
  // Probes are applied in batches as they come in (one transaction each), so a 10,000-instance
  // sweep never holds every probe at once and each batch is durable when the next one starts.
  const flush = () => {
    const batch = buffer
    buffer = []
    if (batch.length === 0) return
    const rows: HealthSample[] = []
    const activity: { userId: string; lastActiveAt: string; source: string }[] = []
    store.tx(() => {
      for (const { probe: p, userId } of batch) {
        const r = applyProbe(ctx, settings, p)
        if (!r) continue
        swept++
        byState[r.state] = (byState[r.state] ?? 0) + 1
        if (r.changed)
          transitions.push({ instanceId: r.instanceId, from: r.previousState, to: r.state, score: r.score })
        if (o.keepResults !== false) results.push(r)
        rows.push({
          instanceId: p.instanceId,
          ts: p.at,
          score: r.score,
          heartbeatAgeS: r.heartbeatAgeS,
          cpuPct: p.metrics?.cpuBusyPct ?? null,
          memPct: p.vps?.memPct ?? p.metrics?.memPct ?? null,
          diskPct: p.vps?.diskPct ?? null,
          openclawOk: p.openclaw ? p.openclaw.live && p.openclaw.ready : null,
        })
        if (p.lastActivityAt) {
          activity.push({ userId, lastActiveAt: p.lastActivityAt, source: `clawnode:${p.instanceId}` })
          users.add(userId)
        }
      }
      store.repo(HealthHistory).record(rows)
      if (activity.length) recordUserActivity(store, activity)
    })
    samples += rows.length
  }
  const byShard = new Map<string, ProbeTarget[]>()
  for (const t of targets) {
    const shard = ctx.shardOf(t)
    const list = byShard.get(shard)
    if (list) list.push(t)
    else byShard.set(shard, [t])
  }
  const unreachable: UserError[] = []
  const probeShard = async (gateway: string, list: ProbeTarget[]): Promise<ShardSweep> => {
    const s0 = performance.now()
    try {
      await pMap(
        list,
        async (inst): Promise<void> => {
          const probe = await probeInstance(nodes, inst, {
            timeoutMs: settings.probeTimeoutMs,
            now: ctx.clock(),
            lastHeartbeatAt: inst.lastHeartbeatAt,
            connected: memory.get(inst.id)?.connected ?? null,
          })
          buffer.push({ probe, userId: inst.userId })
          if (buffer.length >= BATCH) flush()
          done++
          if (done % 500 === 0)
            o.onProgress?.(`probed ${done}/${targets.length}`, { done, total: targets.length })
        },
        { concurrency: o.concurrency ?? settings.concurrency, signal: o.signal },
      )
      return { gateway, targets: list.length, durationMs: Math.round(performance.now() - s0) }
    } catch (err) {
      if (!(err instanceof UserError && err.code === 'GATEWAY_UNREACHABLE')) throw err
      unreachable.push(err)
      return {
        gateway,
        targets: list.length,
        durationMs: Math.round(performance.now() - s0),
        error: { code: err.code, message: err.message },
      }
    }
  }
  // Instances on a gateway the config no longer lists cannot be asked: reported, never judged.
  const known = new Set(ctx.shards().map((x) => x.name))
  const unknown: ShardSweep[] = [...byShard]
    .filter(([g]) => !known.has(g))
    .map(([g, list]) => ({
      gateway: g,
      targets: list.length,
      durationMs: 0,
      error: { code: 'CONFIG_INVALID', message: `gateway ${g} is not in the config` },
    }))
  const shards = [
    ...(await Promise.all(
      [...byShard].filter(([g]) => known.has(g)).map(([g, list]) => probeShard(g, list)),
    )),
    ...unknown,
  ]
  if (unreachable.length > 0 && unreachable.length === shards.length) throw unreachable[0]!
  for (const f of shards) {
    if (f.error)
      ctx.warn(
        `gateway ${f.gateway} unreachable: its ${f.targets} instances were not swept (${f.error.message})`,
      )
  }
  flush()
  const rolled = store.repo(HealthHistory).downsample(ctx.clock())
  return {
    at: ctx.now(),
    durationMs: Math.round(performance.now() - t0),
    swept,
    byState,
    transitions,
    results,
    history: { samples, ...rolled },
    userActivity: users.size,
    shards,
  }
}
