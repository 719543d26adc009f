/**
 * One health probe of one instance through gf-clawnode: vps.health, vps.metrics and openclaw.health
 * in parallel, each with a deadline. A node that answers anything is alive (its heartbeat is now).
 * GATEWAY_UNREACHABLE is not the instance's fault and is rethrown, so a sweep stops instead of
 * marking the whole fleet degraded when the operator's gateway is down.
 */
import { UserError } from '../errors.js'
import type { NodeInvoker, NodeTarget } from '../gateway/link.js'

export interface Probe {
  instanceId: string
  at: string
  /** Some node command answered. */
  reached: boolean
  heartbeatAgeS: number | null
  vps: { status: string; problems: string[]; memPct: number | null; diskPct: number | null } | null
  metrics: { cpuBusyPct: number | null; memPct: number | null } | null
  openclaw: { live: boolean; ready: boolean } | null
  /** The user's last activity on their gateway, when the node reports it. */
  lastActivityAt: string | null
  errors: { command: string; code: string; nodeCode?: string; message: string }[]
}

/** Wire shapes of the clawnode commands (clawnode/commands/vps.ts, openclaw.ts); only what we read. */
interface VpsHealthPayload {
  status?: string
  problems?: string[]
  memory?: { usedPct?: number }
  disk?: { usedPct?: number }
}
interface VpsMetricsPayload {
  cpu?: { busyPct?: number | null }
  memory?: { usedPct?: number }
}
interface OpenclawHealthPayload {
  healthy?: boolean
  live?: boolean
  ready?: boolean
  lastActivityAt?: string
  activity?: { lastActivityAt?: string }
}

export interface ProbeOptions {
  timeoutMs: number
  now: Date
  /** Last time the node was heard from (instances.last_heartbeat_at). */
  lastHeartbeatAt: string | null
  /** Presence says the node is connected to the gateway right now. */
  connected: boolean | null
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null)

export async function probeInstance(
  invoker: NodeInvoker,
  target: NodeTarget,
  o: ProbeOptions,
): Promise<Probe> {
  const errors: Probe['errors'] = []
  const call = async <T>(command: 'vps.health' | 'vps.metrics' | 'openclaw.health', params: object) => {
    try {
      return await invoker.invoke<T>(target, command, { ...params }, o.timeoutMs)
    } catch (err) {
      if (err instanceof UserError && err.code === 'GATEWAY_UNREACHABLE') throw err
      const details = (err instanceof UserError ? err.details : undefined) as
        | { nodeCode?: string }
        | undefined
      errors.push({
        command,
        code: err instanceof UserError ? err.code : 'INTERNAL',
        ...(details?.nodeCode ? { nodeCode: details.nodeCode } : {}),
        message: err instanceof Error ? err.message : String(err),
      })
      return null
    }
  }
  const [vps, metrics, openclaw] = await Promise.all([
    call<VpsHealthPayload>('vps.health', {}),
    call<VpsMetricsPayload>('vps.metrics', { sampleMs: 250 }),
    call<OpenclawHealthPayload>('openclaw.health', {}),
  ])
  const reached = vps !== null || metrics !== null || openclaw !== null
  const last = o.lastHeartbeatAt ? Date.parse(o.lastHeartbeatAt) : Number.NaN
  const heartbeatAgeS =
    reached || o.connected === true
      ? 0
      : Number.isNaN(last)
        ? null
        : Math.max(0, (o.now.getTime() - last) / 1000)
  return {
    instanceId: target.id,
    at: o.now.toISOString(),
    reached,
    heartbeatAgeS,
    vps: vps && {
      status: vps.status ?? 'ok',
      problems: Array.isArray(vps.problems) ? vps.problems.map(String) : [],
      memPct: num(vps.memory?.usedPct),
      diskPct: num(vps.disk?.usedPct),
    },
    metrics: metrics && { cpuBusyPct: num(metrics.cpu?.busyPct), memPct: num(metrics.memory?.usedPct) },
    openclaw: openclaw && {
      live: openclaw.live ?? openclaw.healthy ?? false,
      ready: openclaw.ready ?? openclaw.healthy ?? false,
    },
    lastActivityAt: activityOf(openclaw),
    errors,
  }
}

function activityOf(p: OpenclawHealthPayload | null): string | null {
  const v = p?.lastActivityAt ?? p?.activity?.lastActivityAt
  return typeof v === 'string' && !Number.isNaN(Date.parse(v)) ? new Date(v).toISOString() : null
}
