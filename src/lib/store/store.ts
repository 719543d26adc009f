/**
 * The fleet store: one SQLite file under $CLAWOPS_HOME. Every multi-row write goes through `tx`, so a
 * crash leaves either all of it or none. Repositories hang off the store and share its connection.
 */
import type { DatabaseSync } from 'node:sqlite'
import { UserError } from '../errors.js'
import { type OpenOptions, openDatabase, openDatabaseReadOnly } from './database.js'
import { type CheckKind, type CheckResult, checkDatabase, isCorruption, markDamaged } from './integrity.js'

export type Clock = () => Date

export class Store {
  private depth = 0
  private readonly repos = new Map<string, unknown>()

  constructor(
    readonly db: DatabaseSync,
    readonly path: string,
    readonly clock: Clock = () => new Date(),
  ) {}

  static open(path: string, opts: OpenOptions & { clock?: Clock } = {}): Store {
    return new Store(openDatabase(path, opts), path, opts.clock)
  }

  /** An existing store, read only: no migration, no write (see `openDatabaseReadOnly`). */
  static openReadOnly(path: string, opts: OpenOptions & { clock?: Clock } = {}): Store {
    return new Store(openDatabaseReadOnly(path, opts), path, opts.clock)
  }

  now(): string {
    return this.clock().toISOString()
  }

  /**
   * Runs `fn` in one transaction (a savepoint when nested). BEGIN IMMEDIATE takes the write lock up
   * front so two clawops processes never interleave a read-modify-write.
   */
  tx<T>(fn: () => T): T {
    const outer = this.depth === 0
    const savepoint = `sp${this.depth}`
    this.db.exec(outer ? 'BEGIN IMMEDIATE' : `SAVEPOINT ${savepoint}`)
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
      if (isCorruption(err)) {
        markDamaged(this.path, (err as Error).message)
        throw new UserError('STORE_CORRUPT', `${this.path} is damaged: ${(err as Error).message}`, {
          hint: 'Restore the store from a backup (clawops store restore <file>); the failed write was rolled back.',
          details: { path: this.path },
          cause: err,
        })
      }
      throw err
    }
  }

  /** SQLite's own check of every page (`quick_check`) or of everything (`integrity_check`). */
  check(kind: CheckKind): CheckResult {
    return checkDatabase(this.db, kind)
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
    if (this.db.isOpen) this.db.close()
  }
}
