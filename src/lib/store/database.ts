/**
 * Opening the fleet database: one SQLite file, WAL mode, versioned migrations. A file that is not a
 * clawops store, is empty, cut off, damaged, marked damaged, or was written by a newer clawops is
 * refused before anything writes to it; only a missing file is created, and never half-way.
 */
import {
  closeSync,
  existsSync,
  linkSync,
  mkdirSync,
  openSync,
  readSync,
  rmSync,
  type Stats,
  statSync,
} from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { UserError } from '../errors.js'
import { checkDatabase, isCorruption, markDamaged, readDamageMark } from './integrity.js'
import { MIGRATIONS, SCHEMA_VERSION, sqliteSql } from './migrations.js'
import { type Database, Dialect, type SqlValue, type Statement } from './sql.js'

/** `PRAGMA application_id` of a clawops store: ASCII "Claw". */
export const APPLICATION_ID = 0x436c6177
const SQLITE_MAGIC = 'SQLite format 3\u0000'
/**
 * Stores up to this size get `PRAGMA quick_check` on every open: tens of milliseconds. A 10,000-pair
 * store with 30 days of history (592 MB) would pay 2.3–3.5 s on every command (BENCHMARKS.md), so
 * larger stores are checked through every backup's copy (watch takes one every 6 hours) and by
 * `audit verify`; SQLite checks each page a command reads either way.
 */
export const QUICK_CHECK_MAX_BYTES = 8 * 1024 * 1024
/** A WAL file holding no frames: its header only (32 bytes) or nothing. */
const EMPTY_WAL_BYTES = 32

export interface OpenOptions {
  /** Milliseconds to wait for another writer (the watch daemon, a parallel command). */
  busyTimeoutMs?: number
  /**
   * Open a store marked damaged, to check it again (`audit verify`) or to back it up. Everything else
   * refuses a marked store.
   */
  ignoreDamageMark?: boolean
}

/** The SQLite engine behind the store's `Database`: node:sqlite's own statements, unwrapped. */
export class SqliteDatabase implements Database {
  readonly engine = 'sqlite' as const
  readonly dialect = new Dialect('sqlite')

  constructor(
    readonly raw: DatabaseSync,
    readonly location: string,
    readonly migrated: readonly number[] = [],
  ) {}

  get isOpen(): boolean {
    return this.raw.isOpen
  }

  prepare(sql: string): Statement {
    return this.raw.prepare(sql) as Statement
  }

  exec(sql: string): void {
    this.raw.exec(sql)
  }

  batch(sql: string, rows: readonly (readonly SqlValue[])[]): number {
    const stmt = this.raw.prepare(sql)
    let n = 0
    for (const r of rows) n += Number(stmt.run(...r).changes)
    return n
  }

  beginWrite(): void {
    this.raw.exec('BEGIN IMMEDIATE')
  }

  /** SQLite has no row locks: a claim takes the write lock like any other write. */
  beginRows(): void {
    this.raw.exec('BEGIN IMMEDIATE')
  }

  close(): void {
    if (this.raw.isOpen) this.raw.close()
  }
}

function corrupt(path: string, why: string, cause?: unknown): UserError {
  return new UserError('STORE_CORRUPT', `${path} is not a readable clawops store: ${why}`, {
    hint: 'Point CLAWOPS_HOME at the right directory, or restore the store from a backup (clawops store restore <file>). clawops left it untouched.',
    details: { path },
    cause,
  })
}

function tooNew(path: string, found: number): UserError {
  return new UserError(
    'STORE_TOO_NEW',
    `${path} has schema version ${found}; this clawops understands up to ${SCHEMA_VERSION}`,
    {
      hint: 'Upgrade clawops. The store was not modified.',
      details: { path, found, supported: SCHEMA_VERSION },
    },
  )
}

function statOrNull(path: string): Stats | null {
  try {
    return statSync(path)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return null
    if (code === 'ENOTDIR') {
      throw new UserError('CONFIG_INVALID', `${dirname(path)} is not a directory`, {
        hint: 'CLAWOPS_HOME must name a directory (or a path clawops may create).',
        details: { path },
      })
    }
    throw err
  }
}

/** The home must be a directory (or not exist yet); a file there is a mistake, not a store. */
function checkHome(path: string): void {
  const home = dirname(path)
  const st = statOrNull(home)
  if (st && !st.isDirectory()) {
    throw new UserError('CONFIG_INVALID', `the clawops home ${home} is a file, not a directory`, {
      hint: 'Point CLAWOPS_HOME at a directory.',
      details: { home },
    })
  }
}

/** Reads the first 100 bytes (the SQLite header) without opening the file through SQLite. */
function readHeader(path: string): Buffer {
  const fd = openSync(path, 'r')
  try {
    const buf = Buffer.alloc(100)
    const n = readSync(fd, buf, 0, 100, 0)
    return buf.subarray(0, n)
  } finally {
    closeSync(fd)
  }
}

/**
 * Checks an existing file before SQLite sees it: a regular file, SQLite's magic, our application id,
 * a schema version we know, and a size that fits the header (an empty or cut-off file is damage, never
 * an invitation to start a new store over it).
 */
export function inspectStoreFile(path: string, st: Stats = statSync(path)): void {
  if (st.isDirectory()) throw corrupt(path, 'it is a directory')
  if (!st.isFile()) throw corrupt(path, 'it is not a regular file')
  if (st.size === 0) throw corrupt(path, 'the file is empty (0 bytes)')
  const header = readHeader(path)
  if (header.length < 100) throw corrupt(path, `the file is cut off (${st.size} bytes)`)
  if (header.toString('latin1', 0, 16) !== SQLITE_MAGIC)
    throw corrupt(path, 'the file is not an SQLite database')
  const userVersion = header.readUInt32BE(60)
  const appId = header.readUInt32BE(68)
  if (appId !== APPLICATION_ID && !(appId === 0 && userVersion === 0)) {
    throw corrupt(path, 'the file is an SQLite database of another application')
  }
  if (userVersion > SCHEMA_VERSION) throw tooNew(path, userVersion)
  const rawPageSize = header.readUInt16BE(16)
  const pageSize = rawPageSize === 1 ? 65_536 : rawPageSize
  if (pageSize < 512 || (pageSize & (pageSize - 1)) !== 0) throw corrupt(path, 'the header is damaged')
  // With frames in the WAL, the file may lag the header until the next checkpoint: SQLite decides.
  const wal = statOrNull(`${path}-wal`)
  if (wal && wal.size > EMPTY_WAL_BYTES) return
  if (st.size % pageSize !== 0) throw corrupt(path, `the file is cut off (${st.size} bytes)`)
  // The header's page count is valid only when its change counter matches (SQLite's own rule).
  const pages = header.readUInt32BE(28)
  if (header.readUInt32BE(24) === header.readUInt32BE(92) && st.size < pages * pageSize) {
    throw corrupt(path, `the file is cut off (${st.size} of ${pages * pageSize} bytes)`)
  }
}

/**
 * A new store is built aside and linked into place in one step, so no crash can leave an empty or
 * half-made fleet.db behind (which a later open would rightly refuse). When two processes race, the
 * first link wins and the other opens what it made.
 */
function createStore(path: string, busyTimeoutMs: number): number[] {
  const dir = dirname(path)
  mkdirSync(dir, { recursive: true })
  const tmp = join(dir, `.${basename(path)}.new-${process.pid}-${Date.now()}`)
  try {
    const db = new DatabaseSync(tmp, { timeout: busyTimeoutMs, enableForeignKeyConstraints: true })
    let applied: number[]
    try {
      applied = migrate(db, 0)
    } finally {
      db.close()
    }
    try {
      linkSync(tmp, path)
      return applied
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      return []
    }
  } finally {
    for (const f of [tmp, `${tmp}-wal`, `${tmp}-shm`]) rmSync(f, { force: true })
  }
}

/** True when some migration of this clawops has not been applied to the store yet. */
function needsMigration(db: DatabaseSync): boolean {
  const hasTable = db
    .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'")
    .get()
  if (!hasTable) return true
  const n = (db.prepare('SELECT count(*) AS n FROM schema_migrations').get() as { n: number }).n
  return n < MIGRATIONS.length
}

export function openDatabase(path: string, opts: OpenOptions = {}): SqliteDatabase {
  const busyTimeoutMs = opts.busyTimeoutMs ?? 5000
  checkHome(path)
  let st = statOrNull(path)
  let created: number[] = []
  if (!st) {
    created = createStore(path, busyTimeoutMs)
    st = statSync(path)
  }
  inspectStoreFile(path, st)
  if (!opts.ignoreDamageMark) {
    const mark = readDamageMark(path)
    if (mark) {
      throw new UserError(
        'STORE_CORRUPT',
        `${path} was found damaged (${mark.detectedAt}: ${mark.reason}); clawops will not use it`,
        {
          hint: 'Restore it from a backup (clawops store restore <file>); clawops audit verify checks it again and lifts the mark if it is whole.',
          details: { path, damage: mark },
        },
      )
    }
  }

  let db: DatabaseSync
  try {
    db = new DatabaseSync(path, { timeout: busyTimeoutMs, enableForeignKeyConstraints: true })
  } catch (err) {
    throw corrupt(path, (err as Error).message, err)
  }
  try {
    // Every page read is checked against its cell layout too: damage shows up sooner and louder.
    db.exec('PRAGMA cell_size_check = ON')
    // The header can lag behind the WAL; these reads see the committed truth.
    const row = db.prepare('PRAGMA user_version').get() as { user_version: number }
    const app = db.prepare('PRAGMA application_id').get() as { application_id: number }
    if (row.user_version > SCHEMA_VERSION) throw tooNew(path, row.user_version)
    if (app.application_id !== APPLICATION_ID && !(app.application_id === 0 && row.user_version === 0)) {
      throw corrupt(path, 'the file is an SQLite database of another application')
    }
    if (row.user_version === 0) {
      // clawops stamps a store when it makes it (createStore): an unstamped file is someone else's.
      const tables = db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'").get() as {
        n: number
      }
      throw corrupt(
        path,
        tables.n > 0
          ? 'the file holds tables but no clawops schema version'
          : 'the file is an empty SQLite database',
      )
    }
    const unknown = unknownVersions(db)
    if (unknown.length > 0) throw tooNew(path, Math.max(...unknown))
    if (st.size <= QUICK_CHECK_MAX_BYTES && !opts.ignoreDamageMark) {
      const check = checkDatabase(db, 'quick_check')
      if (!check.ok) {
        markDamaged(path, `quick_check: ${check.problems[0]}`)
        throw corrupt(path, `quick_check found damage: ${check.problems.slice(0, 3).join('; ')}`)
      }
    }
    db.exec('PRAGMA synchronous = NORMAL')
    const migrated = needsMigration(db) ? migrate(db, row.user_version) : created
    return new SqliteDatabase(db, path, migrated)
  } catch (err) {
    db.close()
    if (err instanceof UserError) throw err
    if (isCorruption(err)) {
      markDamaged(path, (err as Error).message)
      throw corrupt(path, (err as Error).message, err)
    }
    throw err
  }
}

/**
 * Applies every migration this store lacks. Applied versions are recorded one by one (not only the
 * highest), because versions are assigned to features up front and may land out of order.
 */
function migrate(db: DatabaseSync, from: number): number[] {
  if (from === 0) {
    // WAL is a property of the file, set once before the first table exists.
    db.exec('PRAGMA journal_mode = WAL')
  }
  db.exec('BEGIN IMMEDIATE')
  try {
    db.exec(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL) STRICT',
    )
    const applied = new Set(
      (db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map(
        (r) => r.version,
      ),
    )
    const now: number[] = []
    for (const m of MIGRATIONS) {
      if (applied.has(m.version)) continue
      now.push(m.version)
      db.exec(sqliteSql(m))
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
        m.version,
        m.name,
        new Date().toISOString(),
      )
      applied.add(m.version)
    }
    db.exec(`PRAGMA user_version = ${Math.max(...applied)}`)
    db.exec(`PRAGMA application_id = ${APPLICATION_ID}`)
    db.exec('COMMIT')
    return now
  } catch (err) {
    db.exec('ROLLBACK')
    throw err
  }
}

/** Versions recorded in the store that this clawops does not know: a newer clawops wrote them. */
export function unknownVersions(db: DatabaseSync): number[] {
  const hasTable = db
    .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'")
    .get()
  if (!hasTable) return []
  const known = new Set(MIGRATIONS.map((m) => m.version))
  return (db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[])
    .map((r) => r.version)
    .filter((v) => !known.has(v))
}

/**
 * Opens an existing store for reading only (the gateway plugin): the same checks as `openDatabase`,
 * but nothing is ever written, not even a migration. A store that lacks one of this clawops's
 * migrations is refused with the command that brings it up to date.
 */
export function openDatabaseReadOnly(path: string, opts: OpenOptions = {}): SqliteDatabase {
  if (!existsSync(path)) {
    throw new UserError('NOT_FOUND', `no clawops store at ${path}`, {
      hint: 'Point CLAWOPS_HOME (or the plugin config "home") at the operator’s clawops home; any clawops command creates the store.',
      details: { path },
    })
  }
  // The same refusals as a writing open: an empty, cut-off or foreign file is damage, not a new store.
  inspectStoreFile(path)
  let db: DatabaseSync
  try {
    db = new DatabaseSync(path, { readOnly: true, timeout: opts.busyTimeoutMs ?? 5000 })
  } catch (err) {
    throw corrupt(path, (err as Error).message, err)
  }
  try {
    const row = db.prepare('PRAGMA user_version').get() as { user_version: number }
    if (row.user_version > SCHEMA_VERSION) throw tooNew(path, row.user_version)
    const unknown = unknownVersions(db)
    if (unknown.length > 0) throw tooNew(path, Math.max(...unknown))
    if (needsMigration(db)) {
      throw new UserError(
        'CONFLICT',
        `${path} predates this clawops (schema ${row.user_version}); it is read as it is`,
        {
          hint: 'Run any clawops command once (e.g. `clawops fleet status`) to bring the store up to date.',
          details: { path, found: row.user_version, supported: SCHEMA_VERSION },
        },
      )
    }
    return new SqliteDatabase(db, path)
  } catch (err) {
    db.close()
    if (err instanceof UserError) throw err
    if (isCorruption(err)) throw corrupt(path, (err as Error).message, err)
    throw err
  }
}
