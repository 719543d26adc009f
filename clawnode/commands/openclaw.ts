/**
 * openclaw.health|restart|stop|start|update|logs: the user's OpenClaw gateway on this host, probed
 * over its real /healthz and /readyz endpoints and driven through the service manager.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { z } from 'zod'
import type { NodeContext } from './context.js'
import { defineCommand } from './registry.js'

export interface ProbeResult {
  ok: boolean
  status: number | null
  ms: number
  body?: unknown
  error?: string
}

async function probe(url: string, timeoutMs: number, signal: AbortSignal): Promise<ProbeResult> {
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

export async function probeUserGateway(ctx: NodeContext, signal: AbortSignal) {
  const base = ctx.config.userGateway.url.replace(/\/+$/, '')
  const timeout = ctx.config.userGateway.healthTimeoutMs
  const [healthz, readyz] = await Promise.all([
    probe(`${base}/healthz`, timeout, signal),
    probe(`${base}/readyz`, timeout, signal),
  ])
  return { live: healthz.ok, ready: readyz.ok, healthz, readyz }
}

/**
 * Polls /healthz until it answers 200 or the budget runs out. It gives up early when the service
 * manager reports the gateway process dead: a gateway that crashed on start will not come up.
 */
export async function waitHealthy(ctx: NodeContext, budgetMs: number, signal: AbortSignal) {
  const t0 = Date.now()
  for (let i = 1; ; i++) {
    const r = await probeUserGateway(ctx, signal)
    if (r.live) return { healthy: true, waitedMs: Date.now() - t0 }
    if (Date.now() - t0 + 250 >= budgetMs || signal.aborted)
      return { healthy: false, waitedMs: Date.now() - t0 }
    if (i % 4 === 0) {
      const st = await ctx.services.status({ signal, timeoutMs: 5_000 }).catch(() => undefined)
      if (st && (st.state === 'failed' || st.state === 'stopped')) {
        return { healthy: false, waitedMs: Date.now() - t0, service: st }
      }
    }
    await sleep(250, undefined, { signal }).catch(() => {})
  }
}

const Wait = z
  .object({
    wait: z.boolean().default(true),
    waitTimeoutMs: z.number().int().min(100).max(300_000).default(30_000),
  })
  .strict()

const budget = (remaining: number) => ({ timeoutMs: Math.max(1_000, remaining) })

export function openclawCommands() {
  const health = defineCommand({
    name: 'openclaw.health',
    params: z.object({}).strict(),
    async run(_p, run) {
      const ctx = run.node
      const svc = ctx.services
      const [probes, service] = await Promise.all([
        probeUserGateway(ctx, run.signal),
        svc
          .status({ signal: run.signal, timeoutMs: Math.min(5_000, run.remainingMs()) })
          .catch((err: Error) => ({
            kind: svc.kind,
            state: 'unknown' as const,
            detail: err.message,
          })),
      ])
      return { instanceId: ctx.instanceId, healthy: probes.live && probes.ready, ...probes, service }
    },
  })

  const lifecycle = (name: 'openclaw.restart' | 'openclaw.start', action: 'restart' | 'start') =>
    defineCommand({
      name,
      params: Wait,
      timeoutMs: 120_000,
      async run(p, run) {
        const ctx = run.node
        const t0 = Date.now()
        await ctx.services[action]({ signal: run.signal, ...budget(run.remainingMs()) })
        const waited = p.wait
          ? await waitHealthy(ctx, Math.min(p.waitTimeoutMs, run.remainingMs()), run.signal)
          : null
        return {
          action,
          service: ctx.services.kind,
          ms: Date.now() - t0,
          ...(waited ? { healthy: waited.healthy, waitedMs: waited.waitedMs } : {}),
        }
      },
    })

  const stop = defineCommand({
    name: 'openclaw.stop',
    params: z.object({}).strict(),
    timeoutMs: 60_000,
    async run(_p, run) {
      const t0 = Date.now()
      await run.node.services.stop({ signal: run.signal, ...budget(run.remainingMs()) })
      return { action: 'stop', service: run.node.services.kind, ms: Date.now() - t0 }
    },
  })

  const update = defineCommand({
    name: 'openclaw.update',
    params: z.object({ version: z.string().max(64).optional(), ...Wait.shape }).strict(),
    timeoutMs: 600_000,
    async run(p, run) {
      const ctx = run.node
      const t0 = Date.now()
      const { steps } = await ctx.services.update(p.version, {
        signal: run.signal,
        ...budget(run.remainingMs()),
      })
      const waited = p.wait
        ? await waitHealthy(ctx, Math.min(p.waitTimeoutMs, run.remainingMs()), run.signal)
        : null
      return {
        action: 'update',
        version: p.version ?? 'latest',
        steps,
        ms: Date.now() - t0,
        ...(waited ? { healthy: waited.healthy } : {}),
      }
    },
  })

  const logs = defineCommand({
    name: 'openclaw.logs',
    params: z.object({ lines: z.number().int().min(1).max(10_000).default(200) }).strict(),
    async run(p, run) {
      const ctx = run.node
      const lines = Math.min(p.lines, ctx.config.limits.maxLogLines)
      const out = await ctx.services.logs(lines, { signal: run.signal, timeoutMs: run.remainingMs() })
      return {
        service: ctx.services.kind,
        lines: out,
        count: out.length,
        ...(lines < p.lines ? { truncatedTo: lines } : {}),
      }
    },
  })

  return [
    health,
    lifecycle('openclaw.restart', 'restart'),
    stop,
    lifecycle('openclaw.start', 'start'),
    update,
    logs,
  ]
}
