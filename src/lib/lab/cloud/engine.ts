/**
 * The lab cloud's provider-neutral state machine: servers power on through the boot driver, actions
 * finish on a timer or when the boot completes, region outages stop and resume boot drivers, and
 * every change is written to the state file. The API facades (hetzner-api.ts, ...) validate
 * requests and render this state in their provider's shape; they never change state themselves.
 *
 * Time: timed actions carry an absolute `dueAt`, so after a lab restart they finish when they
 * would have; boot-bound actions finish when the resumed boot driver reports ready.
 */
import { randomUUID } from 'node:crypto'
import type { Logger } from 'pino'
import type { Provider } from '../../domain/provider.js'
import { tagsToLabels } from '../../providers/tags.js'
import type { BootDriver, BootServer, StartReason, StopReason } from './boot-driver.js'
import type { ActionEffect, LabAction, LabPower, LabServer, LabSnapshot, LabState } from './model.js'
import type { StateFile } from './state-file.js'

export interface LabTimings {
  /** How long the instant boot driver takes (also seeded servers). */
  bootMs: number
  /** Power-off and plan-change duration. */
  actionMs: number
  /** Delete duration (the server answers 404 afterwards). */
  deleteMs: number
}

export const DEFAULT_TIMINGS: LabTimings = { bootMs: 1500, actionMs: 1000, deleteMs: 1000 }

export interface EngineOptions {
  state: LabState
  file: StateFile
  driver: BootDriver
  instant: BootDriver
  timings: LabTimings
  now: () => number
  logger: Logger
}

export interface NewServer {
  name: string
  region: string
  plan: string
  image: string
  labels?: Record<string, string>
  tags?: string[]
  userData: string | null
  hang?: boolean
  driver?: 'default' | 'instant'
  subscriptionId?: string | null
  defaultPassword?: string | null
  termMonths?: number
}

/** First id handed out per provider: realistic magnitudes, and ids never collide across providers. */
const ID_BASE: Record<Provider, number> = {
  hetzner: 40_000_000,
  digitalocean: 300_000_000,
  contabo: 200_000_000,
  hostinger: 1_000_000,
  vultr: 0,
}
const PROVIDER_INDEX: Record<Provider, number> = {
  hetzner: 1,
  vultr: 2,
  digitalocean: 3,
  contabo: 4,
  hostinger: 5,
}
const KEEP_FINISHED_ACTIONS = 5000

const key = (provider: Provider, id: string) => `${provider}:${id}`

export class LabEngine {
  private readonly byKey = new Map<string, LabServer>()
  private readonly actionsByKey = new Map<string, LabAction>()
  private readonly outages = new Set<string>()
  private timer: NodeJS.Timeout | null = null
  private timerAt = Number.POSITIVE_INFINITY
  private dirty = false
  /** Servers with a running action; rebuilt after any action changes. */
  private busyCache: Set<string> | null = null
  private closed = false
  /** The last driver call per server: the next one waits for it (a start never overtakes a stop). */
  private readonly driverCalls = new Map<string, Promise<void>>()

  constructor(private readonly o: EngineOptions) {
    for (const s of o.state.servers) this.byKey.set(key(s.provider, s.id), s)
    for (const a of o.state.actions) this.actionsByKey.set(key(a.provider, a.id), a)
  }

  get state(): LabState {
    return this.o.state
  }

  get timings(): LabTimings {
    return this.o.timings
  }

  now(): number {
    return this.o.now()
  }

  nowIso(): string {
    return new Date(this.o.now()).toISOString()
  }

  /** Finishes what is due, restarts boot drivers for powered-on servers, arms the timer. */
  start(outages: Iterable<string>): void {
    this.tick()
    for (const o of outages) this.outages.add(o)
    for (const s of this.o.state.servers) {
      if (this.inOutage(s)) continue
      if (s.booting && !s.hang) this.callStart(s, 'resume', s.bootGen)
      else if (s.power === 'running' || s.power === 'stopping') this.callStart(s, 'resume', s.bootGen)
    }
    this.flush()
    this.arm()
  }

  async close(): Promise<void> {
    this.closed = true
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
    this.flush()
    await this.o.driver.close?.()
    if (this.o.instant !== this.o.driver) await this.o.instant.close?.()
  }

  // ---- reading ---------------------------------------------------------------------------------

  servers(provider: Provider): LabServer[] {
    return this.o.state.servers.filter((s) => s.provider === provider)
  }

  find(provider: Provider, id: string): LabServer | undefined {
    return this.byKey.get(key(provider, id))
  }

  action(provider: Provider, id: string): LabAction | undefined {
    return this.actionsByKey.get(key(provider, id))
  }

  /** A server with an unfinished action is locked: providers refuse new actions on it. */
  busy(server: LabServer): boolean {
    if (!this.busyCache) {
      this.busyCache = new Set()
      for (const a of this.o.state.actions)
        if (a.status === 'running') this.busyCache.add(key(a.provider, a.serverId))
    }
    return this.busyCache.has(key(server.provider, server.id))
  }

  nextSeq(name: string, start: number): number {
    const seq = this.o.state.seq
    const next = (seq[name] ?? start) + 1
    seq[name] = next
    this.markDirty()
    return next
  }

  // ---- changing --------------------------------------------------------------------------------

  /** `command` is the provider's word for the create action (Hetzner `create_server`, DigitalOcean `create`). */
  createServer(
    provider: Provider,
    spec: NewServer,
    command = 'create_server',
  ): { server: LabServer; action: LabAction } {
    const server = this.newServer(provider, spec, 'creating')
    const action = this.addAction(server, command, { kind: 'boot' }, null)
    this.boot(server, 'create')
    return { server, action }
  }

  /** Servers that exist and run already (synthetic fleets, benchmarks); they use the instant driver. */
  seed(provider: Provider, spec: NewServer): LabServer {
    return this.newServer(provider, { ...spec, driver: 'instant' }, 'running')
  }

  /** `command` is the provider's word for it (Hetzner `start_server`, DigitalOcean `power_on`). */
  powerOn(server: LabServer, command: string): LabAction {
    if (server.power !== 'off' && server.power !== 'error')
      return this.addAction(server, command, { kind: 'none' }, 0)
    server.power = 'starting'
    server.errorMessage = null
    const action = this.addAction(server, command, { kind: 'boot' }, null)
    this.boot(server, 'power_on')
    return action
  }

  powerOff(server: LabServer, command: string): LabAction {
    if (server.power === 'off') return this.addAction(server, command, { kind: 'none' }, 0)
    this.supersedeBoot(server, command)
    server.power = 'stopping'
    return this.addAction(server, command, { kind: 'power-off' }, this.o.timings.actionMs)
  }

  /** A reboot of a powered-off server powers it on, as on the real clouds. */
  reboot(server: LabServer, command: string): LabAction {
    if (server.power !== 'off') this.callStop(server, 'reboot')
    server.power = 'starting'
    const action = this.addAction(server, command, { kind: 'boot' }, null)
    this.boot(server, 'reboot')
    return action
  }

  changePlan(
    server: LabServer,
    command: string,
    plan: string,
    opts: { growDisk: boolean; restart: boolean; during: LabPower },
  ): LabAction {
    if (opts.restart) this.callStop(server, 'resize')
    this.supersedeBoot(server, command)
    server.power = opts.during
    return this.addAction(
      server,
      command,
      { kind: 'plan', plan, growDisk: opts.growDisk, restart: opts.restart },
      this.o.timings.actionMs,
    )
  }

  remove(server: LabServer, command: string): LabAction {
    this.callStop(server, 'delete')
    this.supersedeBoot(server, command)
    server.power = 'deleting'
    return this.addAction(server, command, { kind: 'delete' }, this.o.timings.deleteMs)
  }

  /**
   * Takes a snapshot of the server's disk as it is now; it is `available` once its action completes
   * (`command` is the provider's word: Hetzner `create_image`, DigitalOcean `snapshot`).
   */
  snapshot(
    server: LabServer,
    command: string,
    spec: {
      name: string
      description?: string
      labels?: Record<string, string>
      boundToServer: boolean
      /** Days until the provider removes it by itself; null: kept until deleted. */
      keepDays: number | null
      id?: string
    },
  ): { snapshot: LabSnapshot; action: LabAction } {
    const provider = server.provider
    const id =
      spec.id ??
      String(this.nextSeq(`${provider}:snapshot`, provider === 'hetzner' ? 90_000_000 : 170_000_000))
    const created = this.o.now()
    const snapshot: LabSnapshot = {
      provider,
      id,
      serverId: server.id,
      serverName: server.name,
      name: spec.name,
      description: spec.description ?? '',
      labels: spec.labels ?? {},
      region: server.region,
      plan: server.plan,
      image: server.image,
      status: 'creating',
      createdAt: new Date(created).toISOString(),
      expiresAt: spec.keepDays === null ? null : new Date(created + spec.keepDays * 86_400_000).toISOString(),
      boundToServer: spec.boundToServer,
      sizeGb: 1,
    }
    this.o.state.snapshots.push(snapshot)
    const driver = this.driverFor(server)
    const view = bootView(server)
    this.serially(server, async () => driver.snapshot?.(view, id), 'snapshot')
    const action = this.addAction(
      server,
      command,
      { kind: 'snapshot', snapshotId: id },
      this.o.timings.actionMs,
    )
    return { snapshot, action }
  }

  snapshots(provider: Provider): LabSnapshot[] {
    return this.o.state.snapshots.filter((x) => x.provider === provider && !this.expiredSnapshot(x))
  }

  findSnapshot(provider: Provider, id: string): LabSnapshot | undefined {
    return this.snapshots(provider).find((x) => x.id === id)
  }

  removeSnapshot(snapshot: LabSnapshot): void {
    this.o.state.snapshots = this.o.state.snapshots.filter((x) => x !== snapshot)
    const driver = this.o.driver
    void Promise.resolve()
      .then(() => driver.dropSnapshot?.(snapshot.provider, snapshot.id))
      .catch((err: unknown) =>
        this.o.logger.warn({ err, snapshot: snapshot.id }, 'dropping a snapshot failed'),
      )
    this.markDirty()
  }

  /**
   * Installs the OS afresh (Contabo reinstall, Hostinger recreate): the disk is wiped and the server
   * boots from the new user data (none: a bare OS). `dropsSnapshots`: the provider deletes the
   * server's snapshots with it (Hostinger says so).
   */
  reinstall(
    server: LabServer,
    command: string,
    spec: { image: string; userData: string | null; dropsSnapshots: boolean },
  ): LabAction {
    this.supersedeBoot(server, command)
    this.callStop(server, 'reinstall')
    if (spec.dropsSnapshots) {
      for (const x of this.o.state.snapshots.filter(
        (y) => y.provider === server.provider && y.serverId === server.id,
      ))
        this.removeSnapshot(x)
    }
    server.image = spec.image
    server.userData = spec.userData
    server.power = 'creating'
    server.errorMessage = null
    const action = this.addAction(server, command, { kind: 'boot' }, null)
    this.boot(server, 'reinstall')
    return action
  }

  /** Removes servers at once, without an action (lab control: wipe a provider). */
  purge(provider: Provider | null): number {
    const gone = this.o.state.servers.filter((s) => provider === null || s.provider === provider)
    for (const s of gone) {
      if (this.poweredOn(s) || s.booting) this.callStop(s, 'delete')
      this.byKey.delete(key(s.provider, s.id))
    }
    this.o.state.servers = this.o.state.servers.filter((s) => !gone.includes(s))
    this.markDirty()
    return gone.length
  }

  /** An action that is done at once (a facade changed the server itself: protection, name). */
  instantAction(server: LabServer, command: string): LabAction {
    return this.addAction(server, command, { kind: 'none' }, 0)
  }

  /** Actions of one server, oldest first. */
  actionsOf(server: LabServer): LabAction[] {
    return this.o.state.actions.filter((a) => a.provider === server.provider && a.serverId === server.id)
  }

  /** Marks a change made by a facade directly on a server or provider record (labels, cancel date). */
  touch(): void {
    this.markDirty()
  }

  /** Region outages: `${provider}:${region}` keys. Stops boot drivers of servers entering one, restarts leaving ones. */
  setOutages(next: Set<string>): void {
    const before = new Set(this.outages)
    this.outages.clear()
    for (const o of next) this.outages.add(o)
    for (const s of this.o.state.servers) {
      const k = key(s.provider, s.region)
      const was = before.has(k)
      const is = next.has(k)
      if (!was && is && this.poweredOn(s)) this.callStop(s, 'outage')
      if (was && !is && this.poweredOn(s) && !s.hang) this.callStart(s, 'recover', s.bootGen)
    }
  }

  /** Applies every action that is due; called before each request and by the timer. */
  tick(): void {
    const now = this.o.now()
    for (const a of this.o.state.actions) {
      if (a.status === 'running' && a.dueAt !== null && a.dueAt <= now) this.complete(a)
    }
  }

  flush(): void {
    if (!this.dirty) return
    this.dirty = false
    this.trimActions()
    this.o.file.save(this.o.state)
  }

  // ---- internals -------------------------------------------------------------------------------

  private markDirty(): void {
    this.dirty = true
    this.busyCache = null
  }

  private newServer(provider: Provider, spec: NewServer, power: LabPower): LabServer {
    const n = this.nextSeq(`${provider}:server`, ID_BASE[provider])
    const ipn = this.nextSeq('ip', 0)
    const id = provider === 'vultr' ? randomUUID() : String(n)
    const server: LabServer = {
      provider,
      id,
      name: spec.name,
      region: spec.region,
      plan: spec.plan,
      image: spec.image,
      labels: spec.labels ?? {},
      tags: spec.tags ?? [],
      userData: spec.userData,
      power,
      ipv4: `198.${18 + (ipn >> 16)}.${(ipn >> 8) & 255}.${ipn & 255}`,
      ipv6: `2001:db8:${PROVIDER_INDEX[provider]}:${(ipn >> 16).toString(16)}:${(ipn & 0xffff).toString(16)}::1`,
      createdAt: this.nowIso(),
      bootGen: 0,
      booting: false,
      hang: spec.hang ?? false,
      driver: spec.driver ?? 'default',
      diskGrown: false,
      termMonths: spec.termMonths ?? 1,
      cancelDate: null,
      subscriptionId: spec.subscriptionId ?? null,
      defaultPassword: spec.defaultPassword ?? null,
      errorMessage: null,
      protection: { delete: false, rebuild: false },
    }
    this.o.state.servers.push(server)
    this.byKey.set(key(provider, id), server)
    this.markDirty()
    return server
  }

  private addAction(
    server: LabServer,
    command: string,
    effect: ActionEffect,
    afterMs: number | null,
  ): LabAction {
    const provider = server.provider
    const id = String(this.nextSeq(`${provider}:action`, provider === 'hetzner' ? 1_000_000 : 2_000_000))
    const action: LabAction = {
      provider,
      id,
      serverId: server.id,
      command,
      status: 'running',
      progress: 0,
      startedAt: this.nowIso(),
      finishedAt: null,
      dueAt: afterMs === null ? null : this.o.now() + afterMs,
      effect,
      error: null,
    }
    this.o.state.actions.push(action)
    this.actionsByKey.set(key(provider, id), action)
    this.markDirty()
    if (afterMs === 0) this.complete(action)
    else this.arm()
    return action
  }

  private complete(a: LabAction): void {
    const server = this.find(a.provider, a.serverId)
    a.status = 'success'
    a.progress = 100
    a.finishedAt = this.nowIso()
    this.markDirty()
    const e = a.effect
    if (e.kind === 'snapshot') {
      const snap = this.o.state.snapshots.find((x) => x.provider === a.provider && x.id === e.snapshotId)
      if (snap) snap.status = 'available'
      return
    }
    if (!server) return
    if (e.kind === 'power-off') {
      server.power = 'off'
      this.callStop(server, 'power_off')
    } else if (e.kind === 'plan') {
      server.plan = e.plan
      server.diskGrown ||= e.growDisk
      if (e.restart) {
        server.power = 'starting'
        this.boot(server, 'resize')
      } else {
        server.power = 'off'
      }
    } else if (e.kind === 'delete') {
      this.o.state.servers = this.o.state.servers.filter((s) => s !== server)
      this.byKey.delete(key(server.provider, server.id))
      for (const x of this.o.state.snapshots.filter(
        (y) => y.boundToServer && y.provider === server.provider && y.serverId === server.id,
      ))
        this.removeSnapshot(x)
    }
  }

  private expiredSnapshot(x: LabSnapshot): boolean {
    return x.expiresAt !== null && Date.parse(x.expiresAt) <= this.o.now()
  }

  /**
   * A boot that will not finish (the server is being stopped, resized or deleted): its waiting
   * actions end in error instead of running forever and locking the server.
   */
  private supersedeBoot(server: LabServer, by: string): void {
    server.booting = false
    for (const a of this.o.state.actions) {
      if (
        a.provider === server.provider &&
        a.serverId === server.id &&
        a.status === 'running' &&
        a.effect.kind === 'boot'
      ) {
        a.status = 'error'
        a.finishedAt = this.nowIso()
        a.error = { code: 'action_superseded', message: `superseded by ${by}` }
      }
    }
    this.markDirty()
  }

  private boot(server: LabServer, reason: StartReason): void {
    server.bootGen += 1
    server.booting = true
    this.markDirty()
    if (server.hang || this.inOutage(server)) return
    this.callStart(server, reason, server.bootGen)
  }

  private ready(k: string, gen: number): void {
    const s = this.byKey.get(k)
    if (!s || this.closed || s.bootGen !== gen || !s.booting) return
    s.booting = false
    if (s.power === 'creating' || s.power === 'starting') s.power = 'running'
    for (const a of this.o.state.actions) {
      if (
        a.provider === s.provider &&
        a.serverId === s.id &&
        a.status === 'running' &&
        a.effect.kind === 'boot'
      ) {
        a.status = 'success'
        a.progress = 100
        a.finishedAt = this.nowIso()
      }
    }
    this.markDirty()
    this.flush()
  }

  private failed(k: string, gen: number, reason: string): void {
    const s = this.byKey.get(k)
    if (!s || this.closed || s.bootGen !== gen || !s.booting) return
    s.booting = false
    s.power = 'error'
    s.errorMessage = reason
    for (const a of this.o.state.actions) {
      if (
        a.provider === s.provider &&
        a.serverId === s.id &&
        a.status === 'running' &&
        a.effect.kind === 'boot'
      ) {
        a.status = 'error'
        a.finishedAt = this.nowIso()
        a.error = { code: 'boot_failed', message: reason }
      }
    }
    this.markDirty()
    this.flush()
  }

  private driverFor(s: LabServer): BootDriver {
    return s.driver === 'instant' ? this.o.instant : this.o.driver
  }

  private callStart(s: LabServer, reason: StartReason, gen: number): void {
    const k = key(s.provider, s.id)
    const signals = {
      ready: () => this.ready(k, gen),
      failed: (why: string) => this.failed(k, gen, why),
    }
    const driver = this.driverFor(s)
    const view = bootView(s)
    this.serially(s, async () => {
      try {
        await driver.start(view, signals, { reason })
      } catch (err) {
        this.o.logger.warn({ err, server: k, driver: driver.name }, 'boot driver start failed')
        signals.failed(
          `boot driver ${driver.name} failed: ${err instanceof Error ? err.message : String(err)}`,
        )
      }
    })
  }

  private callStop(s: LabServer, reason: StopReason): void {
    const driver = this.driverFor(s)
    const view = bootView(s)
    this.serially(s, async () => driver.stop(view, { reason }), 'boot driver stop')
  }

  /** Runs a driver call for a server after the ones asked for before it have finished. */
  private serially(s: LabServer, fn: () => Promise<unknown>, what = 'driver call'): void {
    const k = key(s.provider, s.id)
    const next = (this.driverCalls.get(k) ?? Promise.resolve()).then(fn).then(
      () => undefined,
      (err: unknown) => this.o.logger.warn({ err, server: k }, `${what} failed`),
    )
    this.driverCalls.set(k, next)
    void next.then(() => {
      if (this.driverCalls.get(k) === next) this.driverCalls.delete(k)
    })
  }

  private poweredOn(s: LabServer): boolean {
    return s.power === 'creating' || s.power === 'starting' || s.power === 'running' || s.power === 'stopping'
  }

  private inOutage(s: LabServer): boolean {
    return this.outages.has(key(s.provider, s.region))
  }

  private arm(): void {
    if (this.closed) return
    let next = Number.POSITIVE_INFINITY
    for (const a of this.o.state.actions) {
      if (a.status === 'running' && a.dueAt !== null && a.dueAt < next) next = a.dueAt
    }
    if (next === Number.POSITIVE_INFINITY || (this.timer && this.timerAt <= next)) return
    if (this.timer) clearTimeout(this.timer)
    this.timerAt = next
    this.timer = setTimeout(
      () => {
        this.timer = null
        this.timerAt = Number.POSITIVE_INFINITY
        this.tick()
        this.flush()
        this.arm()
      },
      Math.max(0, next - this.o.now()),
    )
    this.timer.unref()
  }

  private trimActions(): void {
    const actions = this.o.state.actions
    const finished = actions.filter((a) => a.status !== 'running').length
    if (finished <= KEEP_FINISHED_ACTIONS) return
    let drop = finished - KEEP_FINISHED_ACTIONS
    this.o.state.actions = actions.filter((a) => {
      if (drop > 0 && a.status !== 'running') {
        drop--
        this.actionsByKey.delete(key(a.provider, a.id))
        return false
      }
      return true
    })
  }
}

export function bootView(s: LabServer): BootServer {
  const labels: Record<string, string> = { ...tagsToLabels(s.tags), ...s.labels }
  return {
    provider: s.provider,
    id: s.id,
    name: s.name,
    region: s.region,
    plan: s.plan,
    image: s.image,
    ipv4: s.ipv4,
    ipv6: s.ipv6,
    userData: s.userData,
    labels,
  }
}

export { key as serverKey }
