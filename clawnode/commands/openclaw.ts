/**
 * openclaw.health|restart|stop|start|update|rollback|version|logs: the user's OpenClaw gateway on this
 * host, probed over its real /healthz, /startupz and /readyz endpoints, driven through the service
 * manager, and upgraded or put back (clawnode/openclaw-upgrade.ts).
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { z } from 'zod'
import {
  installedVersion,
  lastUpgrade,
  refuseWhileUpgrading,
  revertOpenclaw,
  upgradeOpenclaw,
} from '../openclaw-upgrade.js'
import { probeUserGateway } from '../readiness.js'
import { selfUpdateState } from '../self-update.js'
import { VERSION_RE } from '../service/version.js'
import type { NodeContext } from './context.js'
import { defineCommand } from './registry.js'

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
        refuseWhileUpgrading(ctx)
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
      refuseWhileUpgrading(run.node)
      const t0 = Date.now()
      await run.node.services.stop({ signal: run.signal, ...budget(run.remainingMs()) })
      return { action: 'stop', service: run.node.services.kind, ms: Date.now() - t0 }
    },
  })

  const Key = z.string().min(1).max(200)
  const Sha256 = z.string().regex(/^[a-f0-9]{64}$/)

  // The whole upgrade runs to its end (rolled back if it fails) even when the caller stops waiting;
  // a repeat of the key answers with its outcome.
  const update = defineCommand({
    name: 'openclaw.update',
    params: z
      .object({
        version: z.string().regex(VERSION_RE),
        sha256: Sha256,
        key: Key,
        allowDowngrade: z.boolean().default(false),
      })
      .strict(),
    timeoutMs: 1_800_000,
    run: (p, run) => upgradeOpenclaw(run.node, p),
  })

  const rollback = defineCommand({
    name: 'openclaw.rollback',
    params: z.object({ upgradeKey: Key, key: Key }).strict(),
    timeoutMs: 1_800_000,
    run: (p, run) => revertOpenclaw(run.node, p),
  })

  const version = defineCommand({
    name: 'openclaw.version',
    params: z.object({}).strict(),
    async run(_p, run) {
      const ctx = run.node
      const probes = await probeUserGateway(ctx, run.signal)
      const installed = installedVersion(ctx)
      const self = selfUpdateState(ctx.config)
      return {
        instanceId: ctx.instanceId,
        openclaw: {
          version: probes.version ?? installed,
          source: probes.version ? 'startupz' : installed ? 'installed' : 'none',
          installed,
          live: probes.live,
          ready: probes.ready,
          install: ctx.config.openclaw.install.kind,
        },
        clawnode: {
          version: ctx.version,
          selfUpdate: ctx.config.self ? 'enabled' : 'unavailable',
          pending: self.pending,
          last: self.last,
          rolledBack: self.rolledBack,
        },
        lastUpgrade: lastUpgrade(ctx),
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
    rollback,
    version,
    logs,
  ]
}
