/**
 * `clawops watch`: the fleet health monitor.
 *
 * - A cycle every `intervalMs` (5 min): full health sweep, then the detectors (pairs unserved or at risk,
 *   provision backlog, provider health with incidents; hourly: cost and the provider score over days),
 *   the reprovision queue, heals when
 *   `--heal` is on, housekeeping (incl. COMPANION webhook retries, archive expiry and the store's
 *   scheduled backup), and delivery. A store marked damaged stops the cycles and fails /healthz.
 * - While connected to the gateway, it approves the joins of nodes clawops provisioned.
 * - Real time: a node disconnect (gateway presence) is probed after a short grace; a webhook saying an
 *   instance is unreachable likewise. A bad probe moves the instance to DEGRADED at once, the event is
 *   delivered at once, and with `--heal` the heal tree starts at once.
 * - Delivery: the outbox is drained after every change and polled every 2 s (events queued by other
 *   clawops processes, such as an agent's `clawops heal`).
 * - `--heal` runs the heal tree as Guardian (its audit actor), at most `heal.concurrency` at a time,
 *   primaries first, each instance at most once per cooldown; heals tell the agents what they did.
 *   Heals past the restart budget of their provider or region are not run (heal-storm.ts).
 * - On start, heal and failover operations a previous run left unfinished are resumed from the journal.
 * - `stop()` (SIGTERM) stops taking work, waits briefly for running heals and deliveries, and closes.
 */
import { hostname } from 'node:os'
import archivePrune from '../archive/prune.js'
import { feedUrl } from '../config/team-feeds.js'
import type { WatchSettings } from '../config/watch-settings.js'
import type { Context } from '../context.js'
import type { Engine } from '../engine/engine.js'
import { pairsInOperation } from '../engine/locks.js'
import { UserError } from '../errors.js'
import type { WebhookSecrets } from '../events/webhook-signature.js'
import healKind, { healOutcome } from '../heal/heal.js'
import { applyProbe } from '../health/apply.js'
import { probeInstance } from '../health/probe.js'
import { isMonitored } from '../health/state.js'
import { type SweepResult, sweepHealth } from '../health/sweep.js'
import { newId } from '../ids.js'
import { refreshLedgerGlance } from '../ledger/glance.js'
import type { Logger } from '../log.js'
import { deliverPendingWebhooks } from '../provisioning/companion-webhook.js'
import { InstanceHealth } from '../store/instance-health.js'
import { Instances } from '../store/instances.js'
import { readDamageMark } from '../store/integrity.js'
import { Operations } from '../store/operations.js'
import { Outbox } from '../store/outbox.js'
import { WATCH_HEARTBEAT_MS, WatchRuns } from '../store/watch-runs.js'
import { WebhookReceipts } from '../store/webhook-receipts.js'
import { backupDue, backupSettings, backupStore } from '../store-admin/backup.js'
import { Deliverer, type DeliveryReport } from './deliverer.js'
import {
  detectBacklog,
  detectCost,
  detectPairFailures,
  detectProviderScores,
  detectProviders,
  fireReprovisionQueue,
  type ProviderReport,
} from './detectors.js'
import { escalateHealStorms, type HealStorm, withinRestartBudget } from './heal-storm.js'
import { type HealthReport, startHttpServer, type WatchHttpServer } from './http-server.js'
import type { PresenceChange, WatchDeps } from './ports.js'
import { receiveWebhook } from './webhook-receiver.js'

export interface WatchOptions {
  heal: boolean
  /** null: no HTTP server (no /healthz, no webhooks). */
  listen: { host: string; port: number } | null
  secrets: WebhookSecrets
  intervalMs?: number
  /** How long `stop()` waits for running heals and deliveries (default 15 s). */
  stopGraceMs?: number
  /** Passed to the deliverer (crash-window tests). */
  afterPost?: (deliveryId: string) => void | Promise<void>
}

export interface CycleReport {
  at: string
  durationMs: number
  sweep:
    | {
        swept: number
        durationMs: number
        byState: SweepResult['byState']
        transitions: SweepResult['transitions']
      }
    | { skipped: string }
  pairsFailed: number
  pairsAtRisk: number
  backlog: number
  providers: Pick<ProviderReport, 'opened' | 'resolved' | 'statusUnknown'> & { degraded: string[] }
  cost: { checked: boolean; anomalies: number }
  providerScores: { checked: boolean; degraded: string[] }
  reprovisionReady: string[]
  heals: { instanceId: string; opId: string | null; outcome: string }[]
  /** Scopes whose due heals were past the restart budget: held back and escalated to Commander. */
  healStorms: HealStorm[]
  delivery: DeliveryReport
}

export interface WatchSummary {
  startedAt: string
  stoppedAt: string
  cycles: number
  eventsDelivered: number
  deliveries: number
  heals: number
  realtimeChecks: number
  webhooks: { accepted: number; rejected: number }
  lastCycle: CycleReport | null
}

const DELIVERY_POLL_MS = 2_000
const LINK_SETTLE_MS = 30_000
const HOUSEKEEPING_MS = 3600_000
/** Cost and the provider score over days are computed from days of data: hourly is plenty. */
const SLOW_CHECKS_MS = 3600_000
const STOP_GRACE_MS = 15_000
const DAY_MS = 24 * 3600_000

export class WatchDaemon {
  private readonly healCtx: Context
  private readonly deliverer: Deliverer
  private log!: Logger
  private http: WatchHttpServer | null = null
  private stopped = false
  private cycleTimer: NodeJS.Timeout | undefined
  private heartbeatTimer: NodeJS.Timeout | undefined
  /** This process's row in watch_runs: how readers of the store (fleet status, the plugin) see watch. */
  private runId = ''
  private deliveryTimer: NodeJS.Timeout | undefined
  private cycleRunning: Promise<CycleReport> | null = null
  private delivering: Promise<DeliveryReport> | null = null
  private deliverAgain = false
  private readonly healing = new Map<string, Promise<unknown>>()
  private readonly checks = new Map<string, NodeJS.Timeout>()
  private linkUp = true
  private linkUpAt = 0
  private lastHousekeeping = 0
  private lastSlowChecks = 0
  private backupProblem: string | null = null
  private readonly startedAt: Date
  private lastCycle: CycleReport | null = null
  private lastCycleEndedAt = 0
  private readonly stats = {
    cycles: 0,
    eventsDelivered: 0,
    deliveries: 0,
    heals: 0,
    realtimeChecks: 0,
    webhooks: { accepted: 0, rejected: 0 },
  }
  /** Detection times of real-time checks (disconnect → DEGRADED), newest last; for /healthz and bench. */
  readonly detections: { instanceId: string; disconnectedAt: string; detectedAt: string; state: string }[] =
    []

  constructor(
    private readonly ctx: Context,
    private readonly engine: Engine,
    private readonly deps: WatchDeps,
    private readonly settings: WatchSettings,
    private readonly opts: WatchOptions,
  ) {
    this.startedAt = ctx.clock()
    // Heals are Guardian-level actions: audited as guardian unless watch itself runs as an agent.
    this.healCtx = ctx.as(ctx.actor === 'operator' ? 'guardian' : ctx.actor)
    this.deliverer = new Deliverer({
      store: ctx.store(),
      settings,
      hooks: deps.hooks,
      verifier: deps.verifier,
      feedUrl:
        settings.feeds.length > 0 ? (name) => feedUrl(ctx.config(), name, ctx.trustEnv ? ctx.env : {}) : null,
      clock: ctx.clock,
      afterPost: opts.afterPost,
    })
  }

  private get interval(): number {
    return this.opts.intervalMs ?? this.settings.intervalMs
  }

  /** Recovery and the parts that run in both modes. */
  private async prepare(mode: 'daemon' | 'once'): Promise<void> {
    // Watch moves instance states and heals as its acting role: a role without them has no monitor.
    this.engine.permit(this.healCtx, 'health.sweep')
    if (this.opts.heal) this.engine.permit(this.healCtx, 'heal')
    this.log = (await this.ctx.logger()).child({ component: 'watch' })
    this.runId = newId('w')
    this.ctx.store().repo(WatchRuns).start({
      id: this.runId,
      mode,
      heal: this.opts.heal,
      pid: process.pid,
      host: hostname(),
      intervalMs: this.interval,
      startedAt: this.startedAt.toISOString(),
    })
    const rec = await this.deliverer.recover()
    if (rec.unsent) this.log.info(rec, 'unsent deliveries from a previous run')
    if (!this.deps.hooks) this.log.warn('no hooks token: events are queued in the outbox but not delivered')
    if (!this.deps.operatorAlerts) this.log.info('operator alerts off (no briefer.channels configured)')
  }

  /** One cycle and a delivery drain, for cron (`watch --once`). */
  async runOnce(deadlineMs = 30_000): Promise<CycleReport> {
    await this.prepare('once')
    await this.resumeUnfinished()
    const report = await this.runCycle({ awaitHeals: true })
    const until = Date.now() + deadlineMs
    // Drain what is due now; retries scheduled beyond the deadline stay in the outbox for the next run.
    for (;;) {
      const r = await this.deliver()
      report.delivery = mergeDelivery(report.delivery, r)
      if (r.deliveries === 0 || Date.now() > until) break
    }
    // One cycle only: no timers may outlive it (a cron run must exit).
    this.stopped = true
    clearTimeout(this.deliveryTimer)
    clearTimeout(this.cycleTimer)
    this.ctx.store().repo(WatchRuns).stop(this.runId, this.ctx.now())
    return report
  }

  async start(): Promise<void> {
    await this.prepare('daemon')
    this.heartbeat()
    if (this.opts.listen) {
      this.http = await startHttpServer(this.opts.listen, {
        health: () => this.health(),
        webhook: (req) => {
          const a = receiveWebhook(this.ctx, this.settings, req, this.opts.secrets, {
            instanceSuspect: (id) => this.scheduleCheck(id, 0, 'webhook'),
            providerSignal: () => void this.providerCheck(),
          })
          if (a.status === 200) this.stats.webhooks.accepted++
          else this.stats.webhooks.rejected++
          this.kickDelivery()
          return a
        },
      })
      this.log.info({ url: this.http.url }, 'watch http server listening')
    }
    if (this.deps.presence) {
      // Nodes clawops provisioned are approved while watch runs (a node that reconnects with a wider
      // command surface after an upgrade asks again); strangers never are.
      for (const shard of this.ctx.shards()) {
        this.ctx
          .joins(shard.name)
          .catch((err: unknown) =>
            this.log.warn({ err: String(err), gateway: shard.name }, 'join approver not running'),
          )
      }
      await this.deps.presence.start({
        change: (c) => this.onPresence(c),
        link: (up) => this.onLink(up),
      })
    }
    void this.resumeUnfinished()
    this.scheduleCycle(0)
    this.kickDelivery()
  }

  /** A sign of life in the store every 30 s, independent of the (5-minute) cycle. */
  private heartbeat(): void {
    if (this.stopped) return
    this.heartbeatTimer = setTimeout(() => {
      try {
        this.ctx.store().repo(WatchRuns).seen(this.runId, this.ctx.now())
      } catch (err) {
        this.log.warn({ err: String(err) }, 'could not record the heartbeat')
      }
      this.heartbeat()
    }, WATCH_HEARTBEAT_MS)
    this.heartbeatTimer.unref()
  }

  get url(): string | null {
    return this.http?.url ?? null
  }

  private scheduleCycle(delay: number): void {
    if (this.stopped) return
    clearTimeout(this.cycleTimer)
    this.cycleTimer = setTimeout(() => {
      this.runCycle({ awaitHeals: false })
        .catch((err: unknown) => this.log.error({ err: String(err) }, 'cycle failed'))
        .finally(() => this.scheduleCycle(this.interval))
    }, delay)
  }

  async runCycle(o: { awaitHeals: boolean }): Promise<CycleReport> {
    if (this.cycleRunning) return this.cycleRunning
    this.cycleRunning = this.cycle(o).finally(() => {
      this.cycleRunning = null
    })
    return this.cycleRunning
  }

  private async cycle(o: { awaitHeals: boolean }): Promise<CycleReport> {
    const t0 = performance.now()
    const at = this.ctx.now()
    // A store found damaged (by this process, a command or a backup) is not worked on any further.
    const damage = readDamageMark(this.ctx.storePath)
    if (damage) {
      throw new UserError('STORE_CORRUPT', `the fleet store was found damaged: ${damage.reason}`, {
        hint: 'Stop watch and restore the store from a backup (clawops store restore <file>).',
      })
    }
    let sweep: CycleReport['sweep']
    try {
      const s = await sweepHealth(this.healCtx, this.settings, { keepResults: false })
      sweep = { swept: s.swept, durationMs: s.durationMs, byState: s.byState, transitions: s.transitions }
    } catch (err) {
      if (!(err instanceof UserError && err.code === 'GATEWAY_UNREACHABLE')) throw err
      sweep = { skipped: err.message }
      this.log.warn({ err: err.message }, 'sweep skipped: the gateway is unreachable')
    }
    const pairs = detectPairFailures(this.ctx, this.settings)
    const backlog = detectBacklog(this.ctx, this.settings)
    const providers = await detectProviders(this.ctx, this.settings, await this.ctx.statusPages())
    const slow = Date.now() - this.lastSlowChecks >= SLOW_CHECKS_MS
    if (slow) this.lastSlowChecks = Date.now()
    const cost = slow
      ? await detectCost(this.ctx, this.settings, this.deps.cost)
      : { checked: false, anomalies: 0 }
    const scores = slow
      ? await detectProviderScores(this.ctx, this.settings, this.deps.providerScores)
      : { checked: false, degraded: [] }
    if (slow) {
      // The Ledger's part of the fleet snapshot (fleet status, the gateway's Fleet tab), hourly.
      try {
        refreshLedgerGlance(this.ctx)
      } catch (err) {
        this.log.warn({ err: String(err) }, 'fleet snapshot refresh failed')
      }
    }
    this.housekeeping()
    await this.backupWhenDue()
    // Signed COMPANION webhooks that failed earlier, and archives past their retention.
    await deliverPendingWebhooks(this.ctx).catch((err: unknown) =>
      this.log.warn({ err: String(err) }, 'webhook retry failed'),
    )
    await this.pruneArchives()
    // Every heal starts with a probe through the gateway: none while the gateway is unreachable.
    const { heals, storms } =
      this.opts.heal && !('skipped' in sweep) ? await this.startHeals() : { heals: [], storms: [] }
    const healReports = o.awaitHeals
      ? await Promise.all(heals.map((h) => h.done))
      : heals.map((h) => h.started)
    // After the heals: a failover of this cycle may owe a standby that can be provisioned at once.
    const reprovision = await fireReprovisionQueue(this.ctx, this.settings, await this.ctx.statusPages())
    const delivery = await this.deliver()
    const report: CycleReport = {
      at,
      durationMs: Math.round(performance.now() - t0),
      sweep,
      pairsFailed: pairs.failed,
      pairsAtRisk: pairs.atRisk,
      backlog: backlog.depth,
      providers: {
        degraded: providers.degraded.map((s) => (s.region ? `${s.provider}/${s.region}` : s.provider)),
        opened: providers.opened,
        resolved: providers.resolved,
        statusUnknown: providers.statusUnknown,
      },
      cost: { checked: cost.checked, anomalies: cost.anomalies },
      providerScores: scores,
      reprovisionReady: reprovision.ready,
      heals: healReports,
      healStorms: storms,
      delivery,
    }
    this.stats.cycles++
    this.lastCycle = report
    this.lastCycleEndedAt = Date.now()
    this.ctx
      .store()
      .repo(WatchRuns)
      .cycle(this.runId, {
        at,
        endedAt: this.ctx.now(),
        durationMs: report.durationMs,
        swept: 'swept' in sweep ? sweep.swept : null,
        skipped: 'skipped' in sweep ? sweep.skipped : null,
      })
    this.log.info(
      {
        swept: 'swept' in sweep ? sweep.swept : 0,
        ms: report.durationMs,
        heals: heals.length,
        delivered: delivery.events,
      },
      'cycle done',
    )
    return report
  }

  /** The store's scheduled backup (store.backup.intervalMinutes); its copy's check checks the store. */
  private async backupWhenDue(): Promise<void> {
    const settings = backupSettings(this.ctx)
    if (!backupDue(this.ctx, settings)) return
    try {
      const r = await backupStore(this.ctx)
      this.backupProblem = null
      this.log.info({ path: r.path, bytes: r.bytes, ms: r.ms, pruned: r.pruned.length }, 'store backed up')
    } catch (err) {
      this.backupProblem = err instanceof Error ? err.message : String(err)
      this.log.error({ err: this.backupProblem }, 'store backup failed')
    }
  }

  private housekeeping(): void {
    if (Date.now() - this.lastHousekeeping < HOUSEKEEPING_MS) return
    this.lastHousekeeping = Date.now()
    const now = this.ctx.clock().getTime()
    this.ctx
      .store()
      .repo(Outbox)
      .prune(new Date(now - 30 * DAY_MS).toISOString())
    this.ctx
      .store()
      .repo(WebhookReceipts)
      .prune(new Date(now - DAY_MS).toISOString())
  }

  /** DEGRADED and FAILED instances due a heal: primaries first, none already healing or cooling down. */
  private healCandidates(): string[] {
    const store = this.ctx.store()
    const memory = store.repo(InstanceHealth).all()
    const cutoff = this.ctx.clock().getTime() - this.settings.heal.cooldownMs
    // A pair a running operation holds is left to it: a heal would only wait for its lease.
    const busyPairs = new Set([
      ...store
        .repo(Instances)
        .list({ states: ['STANDBY_PROMOTING'] })
        .map((i) => i.pairId),
      ...pairsInOperation(this.ctx),
    ])
    return store
      .repo(Instances)
      .list({ states: ['DEGRADED', 'FAILED'] })
      .filter((i) => !this.healing.has(i.id) && !busyPairs.has(i.pairId))
      .filter((i) => {
        const last = memory.get(i.id)?.lastHealAt
        return !last || Date.parse(last) < cutoff
      })
      .sort((a, b) => (a.role === b.role ? a.id.localeCompare(b.id) : a.role === 'primary' ? -1 : 1))
      .map((i) => i.id)
  }

  private async startHeals(only?: string[]) {
    const free = Math.max(0, this.settings.heal.concurrency - this.healing.size)
    const candidates = this.healCandidates()
    const { fit, held } = withinRestartBudget(
      this.ctx,
      this.settings,
      only ? candidates.filter((id) => only.includes(id)) : candidates,
    )
    // Started before anything is awaited, so a concurrent call never starts the same heal twice.
    const heals = fit.slice(0, free).map((id) => {
      const started = { instanceId: id, opId: null as string | null, outcome: 'started' }
      const done = this.heal(id).then((r) => ({ instanceId: id, ...r }))
      this.healing.set(id, done)
      void done.finally(() => {
        this.healing.delete(id)
        this.kickDelivery()
      })
      return { started, done }
    })
    const storms = await escalateHealStorms(this.ctx, this.engine, this.healCtx, this.settings, this.log, {
      held,
      fullCycle: only === undefined,
    })
    return { heals, storms }
  }

  private async heal(id: string): Promise<{ opId: string | null; outcome: string }> {
    this.stats.heals++
    this.ctx.store().repo(InstanceHealth).update(id, { lastHealAt: this.ctx.now() })
    try {
      const r = await this.engine.mutate(this.healCtx, healKind, { instance: id })
      if (r.status === 'dry-run') return { opId: null, outcome: 'dry-run' }
      const outcome = healOutcome(r.operation.steps) ?? r.operation.state
      this.log.info({ instanceId: id, opId: r.operation.id, outcome }, 'heal finished')
      return { opId: r.operation.id, outcome }
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err)
      this.log.warn({ instanceId: id, err: message }, 'heal did not run')
      return {
        opId: null,
        outcome: err instanceof UserError ? `${err.code}: ${message}` : `error: ${message}`,
      }
    }
  }

  /**
   * Archives past their retention, deleted through the engine as the heal role (audited before each
   * deletion). More than 10 users' archives at once wait for a human's confirmation; the plan id is
   * logged and the next cycle plans again.
   */
  private async pruneArchives(): Promise<void> {
    try {
      const r = await this.engine.mutate(this.healCtx, archivePrune, {})
      if (r.status !== 'dry-run')
        this.log.info({ opId: r.operation.id, summary: r.plan.summary }, 'archives pruned')
    } catch (err) {
      if (err instanceof UserError && err.code === 'CONFLICT') return // nothing past its retention
      this.log.warn(
        { err: String(err), ...(err instanceof UserError ? { code: err.code, details: err.details } : {}) },
        'archive pruning did not run',
      )
    }
  }

  /** Heal and failover operations a previous watch left running (a crash or a stop mid-heal). */
  private async resumeUnfinished(): Promise<void> {
    const ops = this.ctx
      .store()
      .repo(Operations)
      .list({ states: ['running'], limit: 1000 })
    for (const op of ops.filter((o) => o.kind === 'heal' || o.kind === 'failover').reverse()) {
      if (this.stopped) return
      try {
        await this.engine.run(this.healCtx, op.id)
        this.log.info({ opId: op.id, kind: op.kind }, 'resumed an unfinished operation')
      } catch (err) {
        this.log.warn({ opId: op.id, err: String(err) }, 'could not resume (another process may hold it)')
      }
    }
  }

  private onLink(up: boolean): void {
    // Only a link that comes back (the gateway restarted, so every node is reconnecting) needs the settle time.
    if (up && !this.linkUp) this.linkUpAt = Date.now()
    this.linkUp = up
    if (!up) for (const id of [...this.checks.keys()]) this.cancelCheck(id)
    this.log.info({ up }, 'gateway link')
  }

  private onPresence(c: PresenceChange): void {
    if (this.stopped) return
    const store = this.ctx.store()
    const at = c.at.toISOString()
    store.tx(() => {
      store.repo(InstanceHealth).update(c.instanceId, { connected: c.state === 'connected', presenceAt: at })
      if (c.state === 'connected' && store.repo(Instances).get(c.instanceId)) {
        store.repo(Instances).update(c.instanceId, { lastHeartbeatAt: at })
      }
    })
    if (c.state === 'connected') this.cancelCheck(c.instanceId)
    else {
      // Right after watch's own link came back, nodes are still reconnecting: give them time.
      const settle = Math.max(0, this.linkUpAt + LINK_SETTLE_MS - Date.now())
      this.scheduleCheck(c.instanceId, Math.max(this.settings.disconnectGraceMs, settle), 'presence', at)
    }
  }

  private cancelCheck(id: string): void {
    clearTimeout(this.checks.get(id))
    this.checks.delete(id)
  }

  private scheduleCheck(id: string, delayMs: number, why: string, disconnectedAt?: string): void {
    if (this.stopped) return
    this.cancelCheck(id)
    const t = setTimeout(() => {
      this.checks.delete(id)
      this.checkInstance(id, why, disconnectedAt).catch((err: unknown) =>
        this.log.warn({ instanceId: id, err: String(err) }, 'real-time check failed'),
      )
    }, delayMs)
    this.checks.set(id, t)
  }

  /** Probes one instance now (presence loss, a webhook); heals it at once when it went bad. */
  async checkInstance(id: string, why: string, disconnectedAt?: string): Promise<void> {
    if (this.stopped || this.healing.has(id)) return
    if (why === 'presence' && !this.linkUp) return
    const inst = this.ctx.store().repo(Instances).get(id)
    if (!inst || !isMonitored(inst.state)) return
    // A pair an operation is acting on (a resize takes a server off on purpose) is the operation's.
    if (pairsInOperation(this.ctx).has(inst.pairId)) return
    this.stats.realtimeChecks++
    const mem = this.ctx.store().repo(InstanceHealth).get(id)
    const probe = await probeInstance(await this.ctx.nodes(), inst, {
      timeoutMs: this.settings.probeTimeoutMs,
      now: this.ctx.clock(),
      lastHeartbeatAt: inst.lastHeartbeatAt,
      connected: mem.connected,
    })
    const r = applyProbe(this.ctx, this.settings, probe)
    if (!r) return
    if (disconnectedAt && r.state !== 'ACTIVE') {
      this.detections.push({ instanceId: id, disconnectedAt, detectedAt: this.ctx.now(), state: r.state })
      if (this.detections.length > 100) this.detections.shift()
    }
    this.log.info({ instanceId: id, why, score: r.score, state: r.state }, 'real-time check')
    if (this.opts.heal && (r.state === 'DEGRADED' || r.state === 'FAILED')) await this.startHeals([id])
    this.kickDelivery()
  }

  private async providerCheck(): Promise<void> {
    try {
      await detectProviders(this.ctx, this.settings, await this.ctx.statusPages())
      await fireReprovisionQueue(this.ctx, this.settings, await this.ctx.statusPages())
      this.kickDelivery()
    } catch (err) {
      this.log.warn({ err: String(err) }, 'provider check failed')
    }
  }

  /** Drains the outbox now; concurrent calls share one run and trigger one more after it. */
  async deliver(): Promise<DeliveryReport> {
    if (this.delivering) {
      this.deliverAgain = true
      return this.delivering
    }
    this.delivering = (async () => {
      let total = emptyDelivery()
      do {
        this.deliverAgain = false
        const r = await this.deliverer.deliverDue()
        total = mergeDelivery(total, r)
        await this.alertOperator()
      } while (this.deliverAgain && !this.stopped)
      this.stats.deliveries += total.deliveries
      this.stats.eventsDelivered += total.events
      return total
    })().finally(() => {
      this.delivering = null
    })
    return this.delivering
  }

  /** The operator's real-time alerts ride on every delivery pass; their failures never stop it. */
  private async alertOperator(): Promise<void> {
    if (!this.deps.operatorAlerts) return
    try {
      const a = await this.deps.operatorAlerts.deliverDue()
      if (a.sent || a.queued || a.failed.length) this.log.info(a, 'operator alerts')
    } catch (err) {
      this.log.warn({ err: String(err) }, 'operator alerts failed')
    }
  }

  private kickDelivery(): void {
    if (this.stopped) return
    void this.deliver()
      .catch((err: unknown) => this.log.warn({ err: String(err) }, 'delivery failed'))
      .finally(() => this.scheduleDeliveryPoll())
  }

  private scheduleDeliveryPoll(): void {
    if (this.stopped) return
    clearTimeout(this.deliveryTimer)
    this.deliveryTimer = setTimeout(() => this.kickDelivery(), DELIVERY_POLL_MS)
  }

  health(): HealthReport {
    const outbox = this.ctx.store().repo(Outbox).stats()
    const problems: string[] = []
    const sinceCycle = this.lastCycleEndedAt ? Date.now() - this.lastCycleEndedAt : null
    if (sinceCycle !== null && sinceCycle > 3 * this.interval)
      problems.push(`no cycle for ${Math.round(sinceCycle / 1000)} s`)
    if (this.lastCycle && 'skipped' in this.lastCycle.sweep)
      problems.push(`last sweep skipped: ${this.lastCycle.sweep.skipped}`)
    if (outbox.stuck > 0) problems.push(`${outbox.stuck} deliveries failing: ${outbox.lastError ?? ''}`)
    if (!this.deps.hooks) problems.push('no hooks token configured: events are not delivered')
    if (this.deps.presence && !this.linkUp) problems.push('gateway link down')
    const damage = readDamageMark(this.ctx.storePath)
    if (damage) problems.push(`fleet store damaged: ${damage.reason}`)
    else if (this.backupProblem) problems.push(`store backup failing: ${this.backupProblem}`)
    return {
      ok: problems.length === 0 && !this.stopped,
      status: this.stopped ? 'stopping' : problems.length ? 'degraded' : 'live',
      problems,
      startedAt: this.startedAt.toISOString(),
      heal: this.opts.heal,
      cycles: this.stats.cycles,
      lastCycle: this.lastCycle && {
        at: this.lastCycle.at,
        durationMs: this.lastCycle.durationMs,
        sweep: this.lastCycle.sweep,
      },
      gatewayLink: this.deps.presence ? this.linkUp : null,
      healing: [...this.healing.keys()],
      outbox,
      delivered: { deliveries: this.stats.deliveries, events: this.stats.eventsDelivered },
      webhooks: this.stats.webhooks,
    }
  }

  async stop(): Promise<WatchSummary> {
    this.stopped = true
    clearTimeout(this.cycleTimer)
    clearTimeout(this.deliveryTimer)
    clearTimeout(this.heartbeatTimer)
    for (const id of [...this.checks.keys()]) this.cancelCheck(id)
    await this.deps.presence?.stop().catch(() => {})
    await this.http?.close()
    const pending = [
      ...this.healing.values(),
      ...(this.cycleRunning ? [this.cycleRunning] : []),
      ...(this.delivering ? [this.delivering] : []),
    ].map((p) => p.catch(() => {}))
    // A heal still waiting after the grace stays `running` in the journal; the next watch resumes it.
    await Promise.race([
      Promise.all(pending),
      new Promise((r) => setTimeout(r, this.opts.stopGraceMs ?? STOP_GRACE_MS).unref()),
    ])
    this.ctx.store().repo(WatchRuns).stop(this.runId, this.ctx.now())
    return {
      startedAt: this.startedAt.toISOString(),
      stoppedAt: this.ctx.now(),
      ...this.stats,
      lastCycle: this.lastCycle,
    }
  }
}

export function emptyDelivery(): DeliveryReport {
  return { deliveries: 0, events: 0, failed: [], deferred: [], silenced: 0, nextDueAt: null }
}

function mergeDelivery(a: DeliveryReport, b: DeliveryReport): DeliveryReport {
  return {
    deliveries: a.deliveries + b.deliveries,
    events: a.events + b.events,
    failed: [...a.failed, ...b.failed],
    deferred: b.deferred,
    silenced: a.silenced + b.silenced,
    nextDueAt: b.nextDueAt,
  }
}
