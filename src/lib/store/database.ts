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
    db.exec('PRAGMA synchronous = NORMAL')
    if (row.user_version < SCHEMA_VERSION) migrate(db, row.user_version)
    return db
  } catch (err) {
    db.close()
    if (err instanceof UserError) throw err
    if (isCorruption(err)) throw corrupt(path, (err as Error).message, err)
    throw err
  }
}

function migrate(db: DatabaseSync, from: number): void {
  if (from === 0) {
    // WAL is a property of the file, set once before the first table exists.
    db.exec('PRAGMA journal_mode = WAL')
  }
  for (const m of MIGRATIONS) {
    if (m.version <= from) continue
    db.exec('BEGIN IMMEDIATE')
    try {
      // Another process may have migrated while we waited for the write lock.
      const now = (db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version
      if (now >= m.version) {
        db.exec('COMMIT')
        continue
      }
      db.exec(m.sql)
      db.exec(`PRAGMA user_version = ${m.version}`)
      db.exec(`PRAGMA application_id = ${APPLICATION_ID}`)
      db.exec('COMMIT')
    } catch (err) {
      db.exec('ROLLBACK')
      throw err
    }
  }
}
