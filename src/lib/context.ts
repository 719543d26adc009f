/**
 * The context every use case receives instead of reaching for globals (the wrangler pattern): where
 * the home is, who is acting, the clock, the config, and the resources a command opens lazily (the
 * store, the logger, the operator's gateway links, the node invoker, provider adapters, status pages,
 * the join approver), so a command pays only for what it touches. The Context owns what it opened and
 * closes it once, in `dispose()`. Tests, the lab and benches hand in their own parts as `services`.
 */

import { statSync } from 'node:fs'
import { homedir, hostname, userInfo } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleepFor } from 'node:timers/promises'
import { DEFAULT_CONFIG } from './config/defaults.js'
import { readConfig } from './config/read.js'
import type { Config } from './config/schema.js'
import { storeLocation } from './config/store-location.js'
import { type WatchSettings, watchSettings } from './config/watch-settings.js'
import { ACTORS, type Actor, isActor } from './domain/actor.js'
import { defaultIdentity, isIdentity, parseIdentity } from './domain/identity.js'
import type { Provider } from './domain/provider.js'
import { UserError } from './errors.js'
import type { Joins } from './gateway/joins.js'
import type { GatewayEndpoint, GatewayLink, NodeInvoker, NodeTarget } from './gateway/link.js'
import { type GatewayShard, gatewayShards, mainShard, shardNamed } from './gateway/shards.js'
import type { Logger } from './log.js'
import type { OutputFormat } from './output/mode.js'
import type { ProviderStatusSource } from './providers/status-page.js'
import type { ProviderAdapter } from './providers/types.js'
import type { OpenOptions } from './store/database.js'
import { Instances } from './store/instances.js'
import { Store } from './store/store.js'

/** How a command's result is written: one JSON document, or tables for people. */

export type { OutputFormat }

/** Outside parts a Context hands out; any of them may be given instead of built from the config. */
export interface Services {
  /** gf-clawnode commands through the operator's gateway (`node.invoke`). */
  nodes: NodeInvoker
  /** The providers' own status pages (safety rule 4). */
  statusPages: ProviderStatusSource
  /** One adapter per provider and Context, so its rate limiter sees every request. */
  provider: (p: Provider) => ProviderAdapter | Promise<ProviderAdapter>
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>
  /** Approving and awaiting the nodes this process provisions (the lifecycle lab stands in for the gateway). */
  joins: JoinService
}

/** What provisioning uses of the join approver: its gateway connection (bootstrap tokens), and the wait. */
export type JoinService = Pick<Joins, 'client' | 'waitForNode'>

export interface ContextOptions {
  home?: string
  env?: NodeJS.ProcessEnv
  actor?: string
  /** Who acts under the role; resolved from the environment and config when absent (see `resolveIdentity`). */
  identity?: string
  format?: OutputFormat
  stream?: boolean
  clock?: () => Date
  /** The validated config; `Context.create` reads it from the home. */
  config?: Config
  /** Parts given rather than built (tests, the lab, benches). */
  services?: Partial<Services>
  /**
   * Whether credentials and endpoints may come from environment variables. Only when a human
   * operator invoked clawops; a derived context (watch acting as Guardian) keeps its parent's answer.
   */
  trustEnv?: boolean
  /** Long-lived processes (watch) keep their gateway links reconnecting. */
  daemon?: boolean
}

type LinkScope = 'operator' | 'admin'

export class Context {
  readonly home: string
  readonly env: NodeJS.ProcessEnv
  readonly actor: Actor
  /** Who acts: the operator's name, or the agent's id; the role (`actor`) is what policy judges. */
  readonly identity: string
  readonly format: OutputFormat
  readonly stream: boolean
  readonly clock: () => Date
  /** A clock handed in (tests, the lab) rules the store's leases too; see `Store.sharedClock`. */
  private readonly clockGiven: boolean
  readonly trustEnv: boolean
  readonly daemon: boolean
  readonly warnings: string[] = []
  private readonly cfg: Config
  private readonly given: Partial<Services>
  private storeInstance?: Store
  private loggerInstance?: Logger
  private settings?: WatchSettings
  /** One link per scope and gateway shard, keyed `scope:shard`. */
  private readonly links = new Map<string, GatewayLink>()
  private readonly adapters = new Map<Provider, ProviderAdapter>()
  private nodesInstance?: Promise<NodeInvoker>
  private statusInstance?: Promise<ProviderStatusSource>
  private readonly joinsByShard = new Map<string, Promise<Joins>>()
  private readonly disposers: (() => Promise<void> | void)[] = []

  constructor(opts: ContextOptions = {}) {
    this.env = opts.env ?? process.env
    this.home = resolveHome(opts.home, this.env)
    this.actor = resolveActor(opts.actor ?? this.env.CLAWOPS_ACTOR)
    this.format = opts.format ?? 'table'
    this.stream = opts.stream ?? false
    this.clock = opts.clock ?? (() => new Date())
    this.clockGiven = opts.clock !== undefined
    this.cfg = opts.config ?? structuredClone(DEFAULT_CONFIG)
    this.given = opts.services ?? {}
    this.trustEnv = opts.trustEnv ?? this.actor === 'operator'
    this.daemon = opts.daemon ?? false
    this.identity =
      opts.identity !== undefined
        ? parseIdentity(opts.identity, 'the identity')
        : resolveIdentity(this.actor, this.cfg, this.trustEnv ? this.env : {})
  }

  /** The role and the identity, as an audit entry, a plan or an operation records them. */
  get who(): { actor: Actor; identity: string } {
    return { actor: this.actor, identity: this.identity }
  }

  /** A context whose config is read (and validated) from the home's config file. */
  static async create(opts: Omit<ContextOptions, 'config'> = {}): Promise<Context> {
    const env = opts.env ?? process.env
    const home = resolveHome(opts.home, env)
    assertHomeIsDirectory(home)
    const actor = resolveActor(opts.actor ?? env.CLAWOPS_ACTOR)
    // An agent's exec can set variables: it never chooses the config file.
    const configEnv = actor === 'operator' ? env : { ...env, CLAWOPS_CONFIG: undefined }
    const config = await readConfig(home, configEnv)
    return new Context({ ...opts, config })
  }

  /**
   * The same home, config, clock and given parts, acting as another role (watch heals as Guardian).
   * It shares this context's store and resources and is disposed with it.
   */
  as(actor: Actor): Context {
    if (actor === this.actor) return this
    const child = new Context({
      home: this.home,
      env: this.env,
      actor,
      format: this.format,
      clock: this.clock,
      config: this.cfg,
      services: this.given,
      trustEnv: this.trustEnv,
      daemon: this.daemon,
    })
    child.parent = this
    return child
  }

  /** The context a derived one (`as`) takes its store and resources from. */
  private parent?: Context

  get json(): boolean {
    return this.format === 'json'
  }

  now(): string {
    return this.clock().toISOString()
  }

  get storePath(): string {
    return join(this.home, 'fleet.db')
  }

  /**
   * Where the store is: CLAWOPS_DATABASE_URL (when the environment is trusted: an operator, not an
   * agent's exec), else `store.url` or the file `store.urlFile` of the config, else the SQLite file in
   * the home. The URL can carry a password: it is never logged nor put in JSON (see `Store.location`).
   */
  storeLocation(): string {
    return storeLocation(this.home, this.cfg, this.trustEnv ? this.env.CLAWOPS_DATABASE_URL : undefined)
  }

  /** The fleet store, opened on first use (`opts` apply to that first open only). */
  store(opts: Pick<OpenOptions, 'ignoreDamageMark'> = {}): Store {
    if (this.parent) return this.parent.store(opts)
    this.storeInstance ??= Store.open(this.storeLocation(), {
      ...(this.clockGiven ? { clock: this.clock } : {}),
      ...opts,
    })
    return this.storeInstance
  }

  config(): Config {
    return this.cfg
  }

  /** The settings of health, heal, failover and watch (the config's `watch` section over defaults). */
  watchSettings(): WatchSettings {
    this.settings ??= watchSettings(this.cfg)
    return this.settings
  }

  /** The logger, loaded on first use (pino stays off the path of commands that never log). */
  async logger(): Promise<Logger> {
    if (this.parent) return this.parent.logger()
    if (!this.loggerInstance) {
      const { createLogger } = await import('./log.js')
      this.loggerInstance = createLogger({ home: this.home })
    }
    return this.loggerInstance
  }

  /** The gateway shards of the config, the operator's gateway first (src/lib/gateway/shards.ts). */
  shards(): GatewayShard[] {
    return gatewayShards(this.cfg)
  }

  /** The name of the operator's gateway shard. */
  mainShard(): string {
    return mainShard(this.cfg)
  }

  /**
   * Where a gateway shard (default: the operator's gateway) is and the token that opens it. The
   * address comes from the config alone, so a token taken from an agent's environment can only ever
   * be sent to that gateway: the environment is trusted for the token, never for where it goes.
   */
  async gatewayEndpoint(shard?: string): Promise<GatewayEndpoint> {
    const { shardEndpoint } = await import('./gateway/shards.js')
    return shardEndpoint(shardNamed(this.cfg, shard ?? this.mainShard()), this.env)
  }

  /** The hooks token `clawops watch` delivers events with, if any (sent only to gateway.url). */
  async hooksToken(): Promise<string | undefined> {
    const { hooksToken } = await import('./gateway/link.js')
    return hooksToken(this.cfg, this.env)
  }

  /**
   * The operator's connection to a gateway shard (default: the operator's gateway), opened on first
   * use and shared: `operator` (read and write) for node commands and RPCs, `admin` (pairing and
   * admin scopes) for approving joins.
   */
  async gateway(scope: LinkScope = 'operator', shard?: string): Promise<GatewayLink> {
    if (this.parent) return this.parent.gateway(scope, shard)
    const name = shard ?? this.mainShard()
    const key = `${scope}:${name}`
    let link = this.links.get(key)
    if (!link) {
      const [{ GatewayLink }, { OPERATOR_SCOPES }] = await Promise.all([
        import('./gateway/link.js'),
        import('./gateway/client.js'),
      ])
      const logger = (await this.logger()).child({ component: 'gateway', gateway: name })
      const endpoint = await this.gatewayEndpoint(name)
      // Another caller may have opened it while this one awaited.
      link = this.links.get(key)
      if (link) return link
      link = new GatewayLink(
        endpoint,
        logger,
        this.daemon || scope === 'admin',
        scope === 'admin' ? OPERATOR_SCOPES : undefined,
      )
      this.links.set(key, link)
    }
    return link
  }

  /**
   * The gateway shard an instance's node is on: the target's own `gateway` when it carries one, else
   * the store's. A row from before shards (gateway NULL) is on the operator's gateway. With one shard
   * the store is not asked.
   */
  shardOf(target: NodeTarget): string {
    if (this.parent) return this.parent.shardOf(target)
    if (!this.cfg.gateways?.length) return this.mainShard()
    const stored =
      target.gateway !== undefined ? target.gateway : this.store().repo(Instances).gatewayOf(target.id)
    return stored ?? this.mainShard()
  }

  /** gf-clawnode commands on instances, each through the gateway shard its node is on. */
  nodes(): Promise<NodeInvoker> {
    if (this.given.nodes) return Promise.resolve(this.given.nodes)
    if (this.parent) return this.parent.nodes()
    this.nodesInstance ??= (async () => {
      const { shardedInvoker } = await import('./gateway/link.js')
      return shardedInvoker({
        link: (shard) => this.gateway('operator', shard),
        shardOf: (t) => this.shardOf(t),
        named: (this.cfg.gateways?.length ?? 0) > 0,
      })
    })()
    return this.nodesInstance
  }

  /** The providers' status pages, as configured (`watch.statusPages`, `watch.statusPageBase`). */
  statusPages(): Promise<ProviderStatusSource> {
    if (this.given.statusPages) return Promise.resolve(this.given.statusPages)
    if (this.parent) return this.parent.statusPages()
    this.statusInstance ??= import('./providers/status-page.js').then(
      (m) => new m.HttpProviderStatus(this.watchSettings(), this.clock),
    )
    return this.statusInstance
  }

  /** The adapter for a provider, built once from the config (and, for the operator, the environment). */
  async provider(p: Provider): Promise<ProviderAdapter> {
    if (this.given.provider) return this.given.provider(p)
    if (this.parent) return this.parent.provider(p)
    let adapter = this.adapters.get(p)
    if (!adapter) {
      const [{ providerOptions }, { createProvider }] = await Promise.all([
        import('./providers/credentials.js'),
        import('./providers/index.js'),
      ])
      const options = providerOptions(this.cfg, p, this.env, { trustEnv: this.trustEnv })
      const logger = (await this.logger()).child({ component: 'provider', provider: p })
      adapter = createProvider(options, { logger })
      this.adapters.set(p, adapter)
    }
    return adapter
  }

  /**
   * Approving the nodes this process provisions on a gateway shard (default: the operator's gateway),
   * and waiting for them to join there.
   */
  joins(shard?: string): Promise<JoinService> {
    if (this.given.joins) return Promise.resolve(this.given.joins)
    if (this.parent) return this.parent.joins(shard)
    const name = shard ?? this.mainShard()
    let joins = this.joinsByShard.get(name)
    if (!joins) {
      joins = (async () => {
        const [{ Joins }, { auditedJoinRegistry }] = await Promise.all([
          import('./gateway/joins.js'),
          import('./store/join-secrets.js'),
        ])
        const link = await this.gateway('admin', name)
        const logger = (await this.logger()).child({ component: 'join', gateway: name })
        const registry = auditedJoinRegistry(this.store(), this.who, this.mainShard())
        const j = await Joins.start(await link.get(), registry, logger, name)
        this.defer(() => j.stop())
        return j
      })().catch((err: unknown) => {
        this.joinsByShard.delete(name)
        throw err
      })
      this.joinsByShard.set(name, joins)
    }
    return joins
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return this.given.sleep ? this.given.sleep(ms, signal) : sleepFor(ms, undefined, { signal })
  }

  warn(message: string): void {
    this.warnings.push(message)
  }

  /** Registers cleanup for something this context opened (a server, a watcher). */
  defer(fn: () => Promise<void> | void): void {
    if (this.parent) this.parent.defer(fn)
    else this.disposers.push(fn)
  }

  /**
   * Runs the deferred cleanups (newest first), closes the gateway links, then the store and the
   * logger. Safe to call twice.
   */
  async dispose(): Promise<void> {
    while (this.disposers.length > 0) {
      try {
        await this.disposers.pop()!()
      } catch {
        // Cleanup must not hide the command's own result or error.
      }
    }
    const links = [...this.links.values()]
    this.links.clear()
    this.nodesInstance = undefined
    this.joinsByShard.clear()
    await Promise.all(links.map((l) => l.close().catch(() => undefined)))
    this.adapters.clear()
    this.close()
  }

  close(): void {
    this.storeInstance?.close()
    this.storeInstance = undefined
    this.loggerInstance?.flush?.()
  }
}

export function resolveHome(explicit: string | undefined, env: NodeJS.ProcessEnv): string {
  return explicit ?? env.CLAWOPS_HOME ?? join(homedir(), '.clawops')
}

/** A home that exists must be a directory; one that does not is created when something is written. */
export function assertHomeIsDirectory(home: string): void {
  let isDir: boolean
  try {
    isDir = statSync(home).isDirectory()
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return
    if (code !== 'ENOTDIR') throw err
    isDir = false
  }
  if (!isDir) {
    throw new UserError('CONFIG_INVALID', `the clawops home ${home} is not a directory`, {
      hint: 'Point CLAWOPS_HOME (default ~/.clawops) at a directory.',
      details: { home },
    })
  }
}

/**
 * Who acts under `actor`. An agent is its gateway agent id (`watch.agents.<role>.agentId`, default
 * the role's name), from the config alone: OpenClaw's exec gives a command no agent or session id it
 * could not also set itself. The operator is CLAWOPS_OPERATOR (only from a trusted environment), else
 * the config's `operator.name`, else the OS user at the host.
 */
export function resolveIdentity(actor: Actor, cfg: Config, env: NodeJS.ProcessEnv): string {
  if (actor !== 'operator') {
    const id = cfg.watch?.agents?.[actor]?.agentId ?? actor
    if (isIdentity(id)) return id
    throw new UserError('CONFIG_INVALID', `watch.agents.${actor}.agentId is not a valid identity`, {
      hint: 'Agent ids are letters, digits and . _ @ + - (at most 64), as OpenClaw names agents.',
    })
  }
  const fromEnv = env.CLAWOPS_OPERATOR
  const named =
    fromEnv !== undefined && fromEnv !== '' ? parseIdentity(fromEnv, 'CLAWOPS_OPERATOR') : cfg.operator?.name
  if (named !== undefined) {
    // A human named `guardian` would read as the agent in every list and filter.
    if (isActor(named) && named !== 'operator') {
      throw new UserError('INVALID_INPUT', `the operator's name "${named}" is an agent role`, {
        hint: 'Name the operator after the person (e.g. ada@laptop), not a role.',
      })
    }
    return named
  }
  let user = 'user'
  try {
    user = userInfo().username
  } catch {
    // A uid with no passwd entry (some containers): the host still tells machines apart.
  }
  return defaultIdentity(user, hostname())
}

export function resolveActor(name: string | undefined): Actor {
  const actor = name ?? 'operator'
  if (!isActor(actor)) {
    throw new UserError('INVALID_INPUT', `unknown actor "${actor}"`, {
      hint: `Use --as (or CLAWOPS_ACTOR) with one of: ${ACTORS.join(', ')}.`,
    })
  }
  return actor
}
