/**
 * Opening the fleet database: one SQLite file, WAL mode, versioned migrations. A file that is not a
 * clawops store, is corrupt, or was written by a newer clawops is refused before anything writes to it.
 */
import { closeSync, existsSync, mkdirSync, openSync, readSync, statSync } from 'node:fs'
import { dirname } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { UserError } from '../errors.js'
import { MIGRATIONS, SCHEMA_VERSION } from './migrations.js'

/** `PRAGMA application_id` of a clawops store: ASCII "Claw". */
export const APPLICATION_ID = 0x436c6177
const SQLITE_MAGIC = 'SQLite format 3\u0000'
const SQLITE_CORRUPT = 11
const SQLITE_NOTADB = 26

export interface OpenOptions {
  /** Milliseconds to wait for another writer (the watch daemon, a parallel command). */
  busyTimeoutMs?: number
}

/** Reads the 100-byte SQLite header without opening the file through SQLite. */
function readHeader(path: string): Buffer | null {
  if (!existsSync(path) || statSync(path).size === 0) return null
  const fd = openSync(path, 'r')
  try {
    const buf = Buffer.alloc(100)
    const n = readSync(fd, buf, 0, 100, 0)
    return buf.subarray(0, n)
  } finally {
    closeSync(fd)
  }
}

function corrupt(path: string, why: string, cause?: unknown): UserError {
  return new UserError('STORE_CORRUPT', `${path} is not a readable clawops store: ${why}`, {
    hint: 'Point CLAWOPS_HOME at the right directory, or restore the file from a backup. clawops left it untouched.',
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

/** Checks the header of an existing file: magic, application id and schema version. */
function checkHeader(path: string, header: Buffer): void {
  if (header.length < 100 || header.toString('latin1', 0, 16) !== SQLITE_MAGIC) {
    throw corrupt(path, 'the file is not an SQLite database')
  }
  const userVersion = header.readUInt32BE(60)
  const appId = header.readUInt32BE(68)
  if (appId !== APPLICATION_ID && !(appId === 0 && userVersion === 0)) {
    throw corrupt(path, 'the file is an SQLite database of another application')
  }
  if (userVersion > SCHEMA_VERSION) throw tooNew(path, userVersion)
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

/** True for the SQLite errors that mean a damaged file. */
export function isCorruption(err: unknown): boolean {
  const code = (err as { errcode?: number } | null)?.errcode
  return code === SQLITE_CORRUPT || code === SQLITE_NOTADB
}

export function openDatabase(path: string, opts: OpenOptions = {}): DatabaseSync {
  const header = readHeader(path)
  if (header) checkHeader(path, header)
  else mkdirSync(dirname(path), { recursive: true })

  let db: DatabaseSync
  try {
    db = new DatabaseSync(path, { timeout: opts.busyTimeoutMs ?? 5000, enableForeignKeyConstraints: true })
  } catch (err) {
    throw corrupt(path, (err as Error).message, err)
  }
  try {
    // The header can lag behind the WAL; these reads see the committed truth.
    const row = db.prepare('PRAGMA user_version').get() as { user_version: number }
    const app = db.prepare('PRAGMA application_id').get() as { application_id: number }
    if (row.user_version > SCHEMA_VERSION) throw tooNew(path, row.user_version)
    if (app.application_id !== APPLICATION_ID && !(app.application_id === 0 && row.user_version === 0)) {
      throw corrupt(path, 'the file is an SQLite database of another application')
    }
    if (row.user_version === 0) {
      const tables = db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'").get() as {
        n: number
      }
      if (tables.n > 0) throw corrupt(path, 'the file holds tables but no clawops schema version')
    }
    const unknown = unknownVersions(db)
    if (unknown.length > 0) throw tooNew(path, Math.max(...unknown))
    db.exec('PRAGMA synchronous = NORMAL')
    if (row.user_version === 0 || needsMigration(db)) migrate(db, row.user_version)
    return db
  } catch (err) {
    db.close()
    if (err instanceof UserError) throw err
    if (isCorruption(err)) throw corrupt(path, (err as Error).message, err)
    throw err
  }
}

/**
 * Applies every migration this store lacks. Applied versions are recorded one by one (not only the
 * highest), because versions are assigned to features up front and may land out of order.
 */
function migrate(db: DatabaseSync, from: number): void {
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
    for (const m of MIGRATIONS) {
      if (applied.has(m.version)) continue
      db.exec(m.sql)
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
  } catch (err) {
    db.exec('ROLLBACK')
    throw err
  }
}

/** Versions recorded in the store that this clawops does not know: a newer clawops wrote them. */
function unknownVersions(db: DatabaseSync): number[] {
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
export function openDatabaseReadOnly(path: string, opts: OpenOptions = {}): DatabaseSync {
  const header = readHeader(path)
  if (!header) {
    throw new UserError('NOT_FOUND', `no clawops store at ${path}`, {
      hint: 'Point CLAWOPS_HOME (or the plugin config "home") at the operator’s clawops home; any clawops command creates the store.',
      details: { path },
    })
  }
  checkHeader(path, header)
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
    return db
  } catch (err) {
    db.close()
    if (err instanceof UserError) throw err
    if (isCorruption(err)) throw corrupt(path, (err as Error).message, err)
    throw err
  }
}
