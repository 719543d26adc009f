/**
 * The context every use case receives instead of reaching for globals (the wrangler pattern): where
 * the home is, who is acting, the clock, the config, and lazily opened resources (store, logger), so
 * a command pays only for what it touches.
 */
import { statSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { DEFAULT_CONFIG } from './config/defaults.js'
import { readConfig } from './config/read.js'
import type { Config } from './config/schema.js'
import { UserError } from './errors.js'
import type { Logger } from './log.js'
import type { OutputFormat } from './output/mode.js'
import { ACTORS, type Actor, isActor } from './policy/roles.js'
import type { OpenOptions } from './store/database.js'
import { Store } from './store/store.js'

export interface ContextOptions {
  home?: string
  env?: NodeJS.ProcessEnv
  actor?: string
  format?: OutputFormat
  stream?: boolean
  clock?: () => Date
  /** The validated config; `Context.create` reads it from the home. */
  config?: Config
}

export class Context {
  readonly home: string
  readonly env: NodeJS.ProcessEnv
  readonly actor: Actor
  readonly format: OutputFormat
  readonly stream: boolean
  readonly clock: () => Date
  readonly warnings: string[] = []
  private readonly cfg: Config
  private storeInstance?: Store
  private loggerInstance?: Logger
  private readonly disposers: (() => Promise<void> | void)[] = []

  constructor(opts: ContextOptions = {}) {
    this.env = opts.env ?? process.env
    this.home = resolveHome(opts.home, this.env)
    this.actor = resolveActor(opts.actor ?? this.env.CLAWOPS_ACTOR)
    this.format = opts.format ?? 'table'
    this.stream = opts.stream ?? false
    this.clock = opts.clock ?? (() => new Date())
    this.cfg = opts.config ?? structuredClone(DEFAULT_CONFIG)
  }

  /** A context whose config is read (and validated) from the home's config file. */
  static async create(opts: Omit<ContextOptions, 'config'> = {}): Promise<Context> {
    const env = opts.env ?? process.env
    const home = resolveHome(opts.home, env)
    assertHomeIsDirectory(home)
    const config = await readConfig(home, env)
    return new Context({ ...opts, config })
  }

  get json(): boolean {
    return this.format === 'json'
  }

  now(): string {
    return this.clock().toISOString()
  }

  get storePath(): string {
    return join(this.home, 'fleet.db')
  }

  /** The fleet store, opened on first use (`opts` apply to that first open only). */
  store(opts: Pick<OpenOptions, 'ignoreDamageMark'> = {}): Store {
    this.storeInstance ??= Store.open(this.storePath, { clock: this.clock, ...opts })
    return this.storeInstance
  }

  config(): Config {
    return this.cfg
  }

  /** The logger, loaded on first use (pino stays off the path of commands that never log). */
  async logger(): Promise<Logger> {
    if (!this.loggerInstance) {
      const { createLogger } = await import('./log.js')
      this.loggerInstance = createLogger({ home: this.home })
    }
    return this.loggerInstance
  }

  warn(message: string): void {
    this.warnings.push(message)
  }

  /** Registers cleanup for something this context opened (a gateway connection, an approver). */
  defer(fn: () => Promise<void> | void): void {
    this.disposers.push(fn)
  }

  /** Runs the deferred cleanups (newest first), then closes the store and flushes the logger. */
  async dispose(): Promise<void> {
    while (this.disposers.length > 0) {
      try {
        await this.disposers.pop()!()
      } catch {
        // Cleanup must not hide the command's own result or error.
      }
    }
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

export function resolveActor(name: string | undefined): Actor {
  const actor = name ?? 'operator'
  if (!isActor(actor)) {
    throw new UserError('INVALID_INPUT', `unknown actor "${actor}"`, {
      hint: `Use --as (or CLAWOPS_ACTOR) with one of: ${ACTORS.join(', ')}.`,
    })
  }
  return actor
}
