/**
 * One health probe of one instance through gf-clawnode: vps.health, vps.metrics and openclaw.health,
 * each with a deadline. A node that answers anything is alive (its heartbeat is now).
 *
 * One node.invoke (`vps.probe`, the three run on the node) rather than three: most of a sweep's cost
 * at the operator's gateway is per invoke. A node from before vps.probe, or a gateway whose allowlist
 * does not have it yet (`clawops gateway setup` not run since), is asked the three commands instead,
 * and remembered for an hour per connection so a sweep does not ask it twice.
 *
 * GATEWAY_UNREACHABLE is not the instance's fault and is rethrown, so a sweep stops instead of
 * marking the whole fleet degraded when the operator's gateway is down.
 */
import { UserError } from '../errors.js'
import type { NodeInvoker, NodeTarget } from '../gateway/link.js'
import {
  PROBE_PARTS,
  type ProbePart,
  type ProbePartOutcome,
  probePartParams,
} from '../gateway/node-commands.js'
import { codeForNodeError } from '../gateway/nodes.js'

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
  const failed = (command: string, err: unknown) => {
    if (err instanceof UserError && err.code === 'GATEWAY_UNREACHABLE') throw err
    const details = (err instanceof UserError ? err.details : undefined) as { nodeCode?: string } | undefined
    errors.push({
      command,
      code: err instanceof UserError ? err.code : 'INTERNAL',
      ...(details?.nodeCode ? { nodeCode: details.nodeCode } : {}),
      message: err instanceof Error ? err.message : String(err),
    })
    return null
  }
  const { parts, answered } = await probeParts(invoker, target, o.timeoutMs, failed)
  const vps = parts['vps.health'] as VpsHealthPayload | null
  const metrics = parts['vps.metrics'] as VpsMetricsPayload | null
  const openclaw = parts['openclaw.health'] as OpenclawHealthPayload | null
  const reached = answered || vps !== null || metrics !== null || openclaw !== null
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

/** The wire shape of vps.probe (clawnode/commands/probe.ts). */
interface ProbePayload {
  parts?: Partial<Record<ProbePart, ProbePartOutcome>>
}

const SAMPLE_MS = 250
const ONE_CALL_RETRY_MS = 60 * 60_000
/** Per invoker (one per clawops process, or watch's long-lived one): nodes that lack vps.probe, since when. */
const threeCalls = new WeakMap<NodeInvoker, Map<string, number>>()

/** Refusals that mean "this node or gateway does not know vps.probe yet", not "the node is unwell". */
function unknownProbe(err: unknown): boolean {
  if (!(err instanceof UserError)) return false
  const nodeCode = (err.details as { nodeCode?: string } | undefined)?.nodeCode
  return (
    nodeCode === 'UNKNOWN_COMMAND' ||
    err.code === 'POLICY_DENIED' ||
    /did not declare|not declared|pending approval/.test(err.message)
  )
}

async function probeParts(
  invoker: NodeInvoker,
  target: NodeTarget,
  timeoutMs: number,
  failed: (command: string, err: unknown) => null,
): Promise<{ parts: Record<ProbePart, unknown>; answered: boolean }> {
  const known = threeCalls.get(invoker) ?? new Map<string, number>()
  threeCalls.set(invoker, known)
  const key = `${target.gateway ?? ''}/${target.nodeId ?? target.id}`
  const since = known.get(key)
  if (since === undefined || Date.now() - since > ONE_CALL_RETRY_MS) {
    let r: ProbePayload | null | undefined
    try {
      r = await invoker.invoke<ProbePayload>(target, 'vps.probe', { sampleMs: SAMPLE_MS }, timeoutMs)
    } catch (err) {
      if (!unknownProbe(err)) {
        // The node, or the way to it, failed as a whole: every part failed with it.
        for (const part of PROBE_PARTS) failed(part, err)
        return {
          parts: { 'vps.health': null, 'vps.metrics': null, 'openclaw.health': null },
          answered: false,
        }
      }
      known.set(key, Date.now())
    }
    if (r !== undefined) {
      known.delete(key)
      const parts = Object.fromEntries(
        PROBE_PARTS.map((part) => {
          const p = r?.parts?.[part]
          if (p?.ok === true) return [part, p.payload ?? null]
          const e =
            p?.ok === false ? p.error : { code: 'INTERNAL', message: `vps.probe did not answer ${part}` }
          return [
            part,
            failed(
              part,
              new UserError(codeForNodeError(e.code), e.message, { details: { nodeCode: e.code } }),
            ),
          ]
        }),
      ) as Record<ProbePart, unknown>
      return { parts, answered: true }
    }
  }
  const params = probePartParams(SAMPLE_MS)
  const answers = await Promise.all(
    PROBE_PARTS.map((part) =>
      invoker
        .invoke<unknown>(target, part, { ...params[part] }, timeoutMs)
        .catch((err: unknown) => failed(part, err)),
    ),
  )
  return {
    parts: Object.fromEntries(PROBE_PARTS.map((part, i) => [part, answers[i]])) as Record<ProbePart, unknown>,
    answered: false,
  }
}

function activityOf(p: OpenclawHealthPayload | null): string | null {
  const v = p?.lastActivityAt ?? p?.activity?.lastActivityAt
  return typeof v === 'string' && !Number.isNaN(Date.parse(v)) ? new Date(v).toISOString() : null
}
