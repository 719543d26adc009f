/**
 * The fleet store: one SQLite file under $CLAWOPS_HOME, or a PostgreSQL database a team shares (a
 * `postgres://` URL). Every multi-row write goes through `tx`, so a crash leaves either all of it or
 * none. Repositories hang off the store and share its connection.
 */
import { UserError } from '../errors.js'
import { type OpenOptions, openDatabase, openDatabaseReadOnly, SqliteDatabase } from './database.js'
import { type CheckKind, type CheckResult, checkDatabase, isCorruption, markDamaged } from './integrity.js'
import { isPostgresCorruption, isPostgresUrl, openPostgres } from './postgres.js'
import type { Database, Dialect, Engine } from './sql.js'

export type Clock = () => Date

export class Store {
  private depth = 0
  private readonly repos = new Map<string, unknown>()

  readonly clock: Clock
  private readonly clockGiven: boolean

  constructor(
    readonly db: Database,
    clock?: Clock,
  ) {
    this.clock = clock ?? (() => new Date())
    this.clockGiven = clock !== undefined
  }

  /** The store at `location`: an SQLite file's path or a PostgreSQL URL. */
  static open(location: string, opts: OpenOptions & { clock?: Clock } = {}): Store {
    const db = isPostgresUrl(location) ? openPostgres(location, opts) : openDatabase(location, opts)
    return new Store(db, opts.clock)
  }

  /** An existing store, read only: no migration, no write (see `openDatabaseReadOnly`). */
  static openReadOnly(location: string, opts: OpenOptions & { clock?: Clock } = {}): Store {
    const db = isPostgresUrl(location)
      ? openPostgres(location, { ...opts, readOnly: true })
      : openDatabaseReadOnly(location, opts)
    return new Store(db, opts.clock)
  }

  /** Where the store is, fit for messages (a PostgreSQL URL without its password). */
  get location(): string {
    return this.db.location
  }

  get engine(): Engine {
    return this.db.engine
  }

  /** Migrations this open applied (empty when the store was up to date). */
  get migrated(): readonly number[] {
    return this.db.migrated
  }

  /**
   * The SQLite database, for what only a file has (backups, SQLite's page checks). On PostgreSQL,
   * `what` is refused with ENGINE_UNSUPPORTED: the server's own tools do that job.
   */
  sqlite(what: string): SqliteDatabase {
    if (this.db instanceof SqliteDatabase) return this.db
    throw engineUnsupported(what, this.location)
  }

  /** SQL for what the engines spell differently. */
  get sql(): Dialect {
    return this.db.dialect
  }

  now(): string {
    return this.clock().toISOString()
  }

  /**
   * The time leases are measured by, the same for every process of the store: on PostgreSQL the
   * server's clock (hosts' clocks drift apart, and a lease taken on one host expires on another); on
   * SQLite, one machine's. A clock given to the store (tests, the lab) is used as it is.
   */
  sharedClock(): Date {
    if (this.clockGiven || this.db.engine === 'sqlite') return this.clock()
    const r = this.db.prepare('SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint AS ms').get()!
    return new Date(r.ms as number)
  }

  sharedNow(): string {
    return this.sharedClock().toISOString()
  }

  /**
   * Runs `fn` in one transaction (a savepoint when nested). The store's write lock is taken up front
   * (SQLite's BEGIN IMMEDIATE; on PostgreSQL an advisory lock every clawops process on every host
   * takes), so two processes never interleave a read-modify-write. With `rowLocks`, PostgreSQL takes
   * only the row locks the statements ask for, so claims of different rows (FOR UPDATE SKIP LOCKED)
   * run side by side; SQLite, which has no row locks, takes its write lock as always.
   */
  tx<T>(fn: () => T, opts: { rowLocks?: boolean } = {}): T {
    const outer = this.depth === 0
    const savepoint = `sp${this.depth}`
    if (!outer) this.db.exec(`SAVEPOINT ${savepoint}`)
    else if (opts.rowLocks) this.db.beginRows()
    else this.db.beginWrite()
    this.depth++
    try {
      const result = fn()
      if (result instanceof Promise) throw new Error('Store.tx takes a synchronous function')
      this.depth--
      this.db.exec(outer ? 'COMMIT' : `RELEASE ${savepoint}`)
      return result
    } catch (err) {
      this.depth--
      this.db.exec(outer ? 'ROLLBACK' : `ROLLBACK TO ${savepoint}; RELEASE ${savepoint}`)
      if (isCorruption(err) || isPostgresCorruption(err)) {
        if (this.db.engine === 'sqlite') markDamaged(this.location, (err as Error).message)
        throw new UserError('STORE_CORRUPT', `${this.location} is damaged: ${(err as Error).message}`, {
          hint: 'Restore the store from a backup (clawops store restore <file>); the failed write was rolled back.',
          details: { path: this.location },
          cause: err,
        })
      }
      throw err
    }
  }

  /**
   * SQLite's own check of every page (`quick_check`) or of everything (`integrity_check`); null on
   * PostgreSQL, whose server checks its own pages (data checksums) as it reads them.
   */
  check(kind: CheckKind): CheckResult | null {
    return this.db instanceof SqliteDatabase ? checkDatabase(this.db.raw, kind) : null
  }

  /** One shared instance per repository class, created on first use. */
  repo<R>(ctor: new (store: Store) => R): R {
    let r = this.repos.get(ctor.name) as R | undefined
    if (!r) {
      r = new ctor(this)
      this.repos.set(ctor.name, r)
    }
    return r
  }

  close(): void {
    this.db.close()
  }
}

/** A command that works on the SQLite file only, asked of a PostgreSQL store. */
export function engineUnsupported(what: string, location: string): UserError {
  return new UserError(
    'ENGINE_UNSUPPORTED',
    `${what} works on the SQLite store file only; this store is PostgreSQL (${location})`,
    {
      hint: 'Back up and restore a PostgreSQL store with its own tools (pg_dump, pg_restore, base backups); `clawops store copy --to <new-file.db>` writes a verified SQLite copy of it.',
      details: { engine: 'postgres', location, command: what },
    },
  )
}
