/**
 * `clawops health sweep`: probes every monitored instance (ACTIVE, DEGRADED, FAILED) matching the
 * selector through gf-clawnode with bounded concurrency, scores it, moves its state, records the
 * health history (and rolls it up), and announces state changes as events. When the operator's
 * gateway is unreachable the sweep stops with GATEWAY_UNREACHABLE and changes nothing: a gateway
 * outage is not a fleet outage.
 */
import pMap from 'p-map'
import type { Context } from '../context.js'
import type { Instance, InstanceState } from '../domain/instance.js'
import { matches, parseSelector, selectableLabels } from '../domain/selector.js'
import { HealthHistory, type HealthSample } from '../store/health-history.js'
import { InstanceHealth } from '../store/instance-health.js'
import { Instances } from '../store/instances.js'
import { recordUserActivity } from '../store/user-activity.js'
import type { WatchDeps } from '../watch/ports.js'
import type { WatchSettings } from '../watch/settings.js'
import { applyProbe, type InstanceHealthResult } from './apply.js'
import { type Probe, probeInstance } from './probe.js'
import { MONITORED_STATES } from './state.js'

export interface SweepOptions {
  selector?: string
  ids?: readonly string[]
  concurrency?: number
  signal?: AbortSignal
  onProgress?: (message: string, data?: Record<string, unknown>) => void
}

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
}

/** The instances a sweep looks at: monitored states, then the selector or explicit ids. */
export function sweepTargets(ctx: Context, o: Pick<SweepOptions, 'selector' | 'ids'>): Instance[] {
  const rows = ctx
    .store()
    .repo(Instances)
    .list({ states: MONITORED_STATES, ...(o.ids ? { ids: o.ids } : {}) })
  const sel = o.selector ? parseSelector(o.selector) : []
  return sel.length ? rows.filter((i) => matches(sel, selectableLabels(i))) : rows
}

export async function sweepHealth(
  ctx: Context,
  deps: Pick<WatchDeps, 'invoker'>,
  settings: WatchSettings,
  o: SweepOptions = {},
): Promise<SweepResult> {
  const t0 = performance.now()
  const targets = sweepTargets(ctx, o)
  const memory = ctx.store().repo(InstanceHealth).all()
  let done = 0
  const probes = await pMap(
    targets,
    async (inst): Promise<Probe> => {
      const p = await probeInstance(deps.invoker, inst, {
        timeoutMs: settings.probeTimeoutMs,
        now: ctx.clock(),
        lastHeartbeatAt: inst.lastHeartbeatAt,
        connected: memory.get(inst.id)?.connected ?? null,
      })
      done++
      if (done % 500 === 0)
        o.onProgress?.(`probed ${done}/${targets.length}`, { done, total: targets.length })
      return p
    },
    { concurrency: o.concurrency ?? settings.concurrency, signal: o.signal },
  )
  const store = ctx.store()
  const results: InstanceHealthResult[] = []
  const samples: HealthSample[] = []
  const activity: { userId: string; lastActiveAt: string; source: string }[] = []
  const byUser = new Map(targets.map((i) => [i.id, i.userId]))
  store.tx(() => {
    for (const p of probes) {
      const r = applyProbe(ctx, settings, p)
      if (!r) continue
      results.push(r)
      samples.push({
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
        activity.push({
          userId: byUser.get(p.instanceId)!,
          lastActiveAt: p.lastActivityAt,
          source: `clawnode:${p.instanceId}`,
        })
      }
    }
    store.repo(HealthHistory).record(samples)
    if (activity.length) recordUserActivity(store, activity)
  })
  const rolled = store.repo(HealthHistory).downsample(ctx.clock())
  const byState: Partial<Record<InstanceState, number>> = {}
  for (const r of results) byState[r.state] = (byState[r.state] ?? 0) + 1
  return {
    at: ctx.now(),
    durationMs: Math.round(performance.now() - t0),
    swept: results.length,
    byState,
    transitions: results
      .filter((r) => r.changed)
      .map((r) => ({ instanceId: r.instanceId, from: r.previousState, to: r.state, score: r.score })),
    results,
    history: { samples: samples.length, ...rolled },
    userActivity: new Set(activity.map((a) => a.userId)).size,
  }
}
