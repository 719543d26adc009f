/**
 * `clawops watch` as a use case: builds the real parts (wiring.ts), runs one cycle (`--once`) or the
 * daemon until the signal fires, and returns what happened.
 */

import { hostname } from 'node:os'
import type { Context } from '../context.js'
import type { Engine } from '../engine/engine.js'
import { awaitLease, type HeldLease, holdLease } from '../engine/lease.js'
import { UserError } from '../errors.js'
import { type CycleReport, WatchDaemon, type WatchSummary } from './daemon.js'
import { standbyLease, WATCH_LEASE } from './lease-names.js'
import type { WatchDeps } from './ports.js'

/**
 * A leader that vanished (kill -9, its host lost) is replaced by a standby within this long plus one
 * poll: short, because nothing heals the fleet in between.
 */
export const WATCH_LEASE_TTL_MS = 12_000
const STANDBY_POLL_MS = 1_000

export interface WatchRunOptions {
  heal: boolean
  once: boolean
  /** host:port for /healthz and webhooks; null for none; undefined for the configured default. */
  listen?: string | null
  intervalMs?: number
  /**
   * When another watch leads: wait hot and take over once its lease lapses, instead of refusing.
   * Only for the daemon; a cron cycle beside a leader has nothing to do.
   */
  standby?: boolean
  signal: AbortSignal
  onReady?: (info: { url: string | null }) => void
  /** A standby heard who leads (once per leader). */
  onStandby?: (leader: { holder: string; until: string }) => void
}

export type WatchResult =
  | ({ mode: 'once'; heal: boolean } & CycleReport)
  | ({ mode: 'daemon'; heal: boolean; url: string | null; stoppedBy: string } & WatchSummary)
  | { mode: 'standby'; heal: boolean; stoppedBy: string; led: false }

function parseListen(v: string): { host: string; port: number } {
  const m = /^(.+):(\d{1,5})$/.exec(v)
  const port = m ? Number(m[2]) : Number.NaN
  if (!m || port > 65_535) throw new UserError('INVALID_INPUT', `--listen wants host:port, not "${v}"`)
  return { host: m[1]!, port }
}

export async function runWatch(
  ctx: Context,
  engine: Engine,
  o: WatchRunOptions,
  given?: WatchDeps,
): Promise<WatchResult> {
  const settings = ctx.watchSettings()
  // One watch acts for a fleet at a time: a second one (a cron --once beside the service, a second
  // service) is refused here, before it sweeps, heals or delivers anything; a --standby waits for
  // the leader's lease to lapse and then leads.
  const holder = `clawops watch${o.once ? ' --once' : ''}${o.heal ? ' --heal' : ''} (pid ${process.pid} on ${hostname()}, as ${ctx.actor})`
  let lease: HeldLease
  if (o.standby && !o.once) {
    // Named while it waits (its own lease, renewed like the leader's), for `watch status`.
    const waiting = holdLease(ctx, standbyLease(`${hostname()}:${process.pid}`), `${holder} standing by`, {
      ttlMs: WATCH_LEASE_TTL_MS,
    })
    let got: HeldLease | null
    try {
      got = await awaitLease(ctx, WATCH_LEASE, holder, {
        ttlMs: WATCH_LEASE_TTL_MS,
        pollMs: STANDBY_POLL_MS,
        signal: o.signal,
        ...(o.onStandby ? { onWaiting: (l) => o.onStandby!(l) } : {}),
      })
    } finally {
      waiting.release()
    }
    if (!got)
      return {
        mode: 'standby',
        heal: o.heal === true,
        stoppedBy: String(o.signal.reason ?? 'signal'),
        led: false,
      }
    lease = got
  } else {
    lease = holdLease(ctx, WATCH_LEASE, holder, {
      ttlMs: WATCH_LEASE_TTL_MS,
      hint: 'Another clawops watch runs for this fleet; see clawops watch status. Stop it first, let it do the work, or run this one with --standby.',
    })
  }
  let deps: WatchDeps
  try {
    deps = given ?? (await (await import('./wiring.js')).buildWatchDeps(ctx, { daemon: !o.once }))
  } catch (err) {
    lease.release()
    throw err
  }
  const env = ctx.env
  const daemon = new WatchDaemon(ctx, engine, deps, settings, {
    heal: o.heal,
    listen: o.once ? null : o.listen === null ? null : o.listen ? parseListen(o.listen) : settings.listen,
    secrets: {
      current: env[settings.webhooks.secretEnv] ?? null,
      previous: env[settings.webhooks.previousSecretEnv] ?? null,
    },
    ...(o.intervalMs ? { intervalMs: o.intervalMs } : {}),
  })
  try {
    if (o.once) return { mode: 'once', heal: o.heal === true, ...(await daemon.runOnce()) }
    await daemon.start()
    o.onReady?.({ url: daemon.url })
    let lost: NodeJS.Timeout | undefined
    const stoppedBy = await new Promise<string>((resolve) => {
      if (o.signal.aborted) resolve(String(o.signal.reason ?? 'signal'))
      o.signal.addEventListener('abort', () => resolve(String(o.signal.reason ?? 'signal')), { once: true })
      // A watch that lost its lease (its store was unreachable past the lease's time and another
      // watch took over) stops acting at once.
      lost = setInterval(() => {
        if (!lease.held()) resolve('lease lost to another watch')
      }, 1_000)
      lost.unref()
    })
    clearInterval(lost)
    const summary = await daemon.stop()
    return { mode: 'daemon', heal: o.heal === true, url: daemon.url, stoppedBy, ...summary }
  } finally {
    lease.release()
    await deps.close()
  }
}
