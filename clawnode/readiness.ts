/**
 * The user's OpenClaw gateway through its own probe endpoints, with the bodies checked: the Control UI
 * answers 200 with an HTML page on any path, so a status code alone would pass a gateway whose probe
 * route does not exist (OpenClaw's own Kubernetes manifests assert the JSON contract for the same
 * reason). As OpenClaw 2026.9.6 answers them:
 *   /healthz   200 {"ok":true,"status":"live"}                                   liveness
 *   /startupz  503 {"ok":false,"status":"starting","version":…}, 200 {"ok":true,"status":"started","version":"2026.9.6",…}
 *   /readyz    200 {"ready":true,"failing":[],…}, 503 {"ready":false,"failing":["startup-sidecars"],…}
 * /startupz (since 2026.8.1) names the running version to a local caller; an older gateway has no
 * startup probe, and its version is whatever the installed files say.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import type { NodeContext } from './commands/context.js'

export interface ProbeResult {
  ok: boolean
  status: number | null
  ms: number
  body?: unknown
  error?: string
}

export async function probe(url: string, timeoutMs: number, signal: AbortSignal): Promise<ProbeResult> {
  const t0 = performance.now()
  try {
    const res = await fetch(url, { signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]) })
    const text = (await res.text()).slice(0, 4_096)
    let body: unknown = text
    try {
      body = JSON.parse(text)
    } catch {
      // Non-JSON bodies are reported as text.
    }
    return { ok: res.ok, status: res.status, ms: Math.round(performance.now() - t0), body }
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } }
    const reason =
      e.name === 'TimeoutError' ? `timed out after ${timeoutMs} ms` : (e.cause?.code ?? e.message)
    return { ok: false, status: null, ms: Math.round(performance.now() - t0), error: reason }
  }
}

const obj = (b: unknown): Record<string, unknown> | null =>
  b && typeof b === 'object' && !Array.isArray(b) ? (b as Record<string, unknown>) : null

/** /healthz answered with OpenClaw's liveness body. */
export function isLive(p: ProbeResult): boolean {
  const b = obj(p.body)
  return p.ok && b !== null && (b.ok === true || b.status === 'live')
}

/** /readyz answered with OpenClaw's readiness body saying ready. */
export function isReady(p: ProbeResult): boolean {
  return p.ok && obj(p.body)?.ready === true
}

/** What /startupz says: started or not, and the version; null when the gateway has no startup probe. */
export function startupOf(
  p: ProbeResult,
): { started: boolean; status: string; version: string | null } | null {
  const b = obj(p.body)
  if (!b || typeof b.status !== 'string') return null
  return {
    started: p.ok && b.status === 'started',
    status: b.status,
    version: typeof b.version === 'string' ? b.version : null,
  }
}

export async function probeUserGateway(ctx: NodeContext, signal: AbortSignal) {
  const base = ctx.config.userGateway.url.replace(/\/+$/, '')
  const timeout = ctx.config.userGateway.healthTimeoutMs
  const [healthz, readyz, startupz] = await Promise.all([
    probe(`${base}/healthz`, timeout, signal),
    probe(`${base}/readyz`, timeout, signal),
    probe(`${base}/startupz`, timeout, signal),
  ])
  const startup = startupOf(startupz)
  return {
    live: isLive(healthz),
    ready: isReady(readyz),
    started: startup ? startup.started : null,
    version: startup?.version ?? null,
    healthz,
    readyz,
    startupz,
  }
}

export type GatewayProbe = Awaited<ReturnType<typeof probeUserGateway>>

export interface ReadyVerdict {
  ok: boolean
  /** Why not: crashed, not-started, not-ready, unparseable-version, wrong-version. */
  reason: string | null
  detail: string
  /** The version the gateway reports (its startup probe), or null. */
  version: string | null
  waitedMs: number
}

/**
 * Waits until the gateway has started, is ready and live, and (with `expect`) reports that version.
 * Gives up at once when the service manager says the process died, or the version is wrong.
 */
export async function waitReady(
  ctx: NodeContext,
  o: {
    budgetMs: number
    signal: AbortSignal
    /** Checks the reported version: returns a reason when it is not acceptable. */
    expect?: (version: string | null, hasStartupProbe: boolean) => { reason: string; detail: string } | null
  },
): Promise<ReadyVerdict> {
  const t0 = Date.now()
  let last: GatewayProbe | null = null
  for (let i = 1; ; i++) {
    last = await probeUserGateway(ctx, o.signal)
    const started = last.started ?? last.ready
    if (started && last.ready && last.live) {
      const bad = o.expect?.(last.version, last.started !== null) ?? null
      if (bad) return { ok: false, ...bad, version: last.version, waitedMs: Date.now() - t0 }
      return {
        ok: true,
        reason: null,
        detail: 'started, ready and live',
        version: last.version,
        waitedMs: Date.now() - t0,
      }
    }
    if (i % 4 === 0) {
      const st = await ctx.services.status({ signal: o.signal, timeoutMs: 5_000 }).catch(() => undefined)
      if (st && (st.state === 'failed' || st.state === 'stopped'))
        return {
          ok: false,
          reason: 'crashed',
          detail: `the gateway process is ${st.state}${st.detail ? ` (${st.detail})` : ''}`,
          version: null,
          waitedMs: Date.now() - t0,
        }
    }
    if (Date.now() - t0 + 250 >= o.budgetMs || o.signal.aborted) break
    await sleep(250, undefined, { signal: o.signal }).catch(() => {})
  }
  const failing = (obj(last?.readyz.body)?.failing as string[] | undefined) ?? []
  const started = last?.started ?? last?.ready ?? false
  return {
    ok: false,
    reason: started ? 'not-ready' : 'not-started',
    detail: started
      ? `not ready after ${Math.round(o.budgetMs / 1000)} s${failing.length ? `: failing ${failing.join(', ')}` : ''}`
      : `not started after ${Math.round(o.budgetMs / 1000)} s (${last?.startupz.error ?? `startupz ${last?.startupz.status}`})`,
    version: last?.version ?? null,
    waitedMs: Date.now() - t0,
  }
}
