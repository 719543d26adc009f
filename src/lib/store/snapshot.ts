/**
 * Copies of the fleet database: taken online with SQLite's backup API while other processes keep
 * writing, checked before anyone relies on them, and put in place whole or not at all.
 */
import { createHash } from 'node:crypto'
import {
  closeSync,
  copyFileSync,
  createReadStream,
  existsSync,
  fsyncSync,
  openSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { backup, DatabaseSync } from 'node:sqlite'
import { UserError } from '../errors.js'
import { APPLICATION_ID, inspectStoreFile, unknownVersions } from './database.js'
import { type CheckKind, type CheckResult, checkDatabase } from './integrity.js'
import { SCHEMA_VERSION } from './migrations.js'
import type { Store } from './store.js'

/**
 * All pages in one step: one read transaction, so the copy is the store as of one commit however
 * busy other writers are (WAL readers never block them). Smaller steps would restart on every
 * write of another process and might never finish under a busy watch.
 */
const ALL_PAGES = 2_147_483_647

export interface SnapshotResult {
  path: string
  bytes: number
  pages: number
  sha256: string
  ms: number
}

function fsyncFile(path: string): void {
  const fd = openSync(path, 'r')
  try {
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
}

function removeWithSidecars(path: string): void {
  for (const f of [path, `${path}-wal`, `${path}-shm`]) rmSync(f, { force: true })
}

export async function sha256Of(path: string): Promise<string> {
  const h = createHash('sha256')
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer)
  return h.digest('hex')
}

/**
 * Copies the store to `dest` (which must not exist): written aside, checked with `check`, synced,
 * then renamed into place. A copy that fails its check is removed and reported as damage of the
 * store it came from.
 */
export async function snapshotTo(
  store: Store,
  dest: string,
  check: CheckKind,
): Promise<SnapshotResult & { check: CheckResult }> {
  if (existsSync(dest)) {
    throw new UserError('CONFLICT', `${dest} already exists; a backup never overwrites a file`, {
      hint: 'Name a new file, or move the old one away first.',
      details: { path: dest },
    })
  }
  const db = store.sqlite('store backup')
  const t0 = performance.now()
  const tmp = join(dirname(dest), `.${basename(dest)}.partial-${process.pid}`)
  removeWithSidecars(tmp)
  try {
    const pages = await backup(db.raw, tmp, { rate: ALL_PAGES })
    const inspected = checkStoreFile(tmp, check)
    if (!inspected.check.ok) {
      throw new UserError(
        'STORE_CORRUPT',
        `the copy of ${db.location} fails ${check}: ${inspected.check.problems.slice(0, 3).join('; ')}`,
        {
          hint: 'The store itself is damaged: restore it from an earlier backup (clawops store restore <file>).',
          details: { path: db.location, problems: inspected.check.problems },
        },
      )
    }
    fsyncFile(tmp)
    renameSync(tmp, dest)
    fsyncFile(dirname(dest))
    const bytes = statSync(dest).size
    return {
      path: dest,
      bytes,
      pages,
      sha256: await sha256Of(dest),
      ms: Math.round(performance.now() - t0),
      check: inspected.check,
    }
  } finally {
    removeWithSidecars(tmp)
  }
}

export interface StoreFileReport {
  schemaVersion: number
  /** The time of the last audit entry: how recent the fleet in this file is. */
  asOf: string | null
  pairs: number
  check: CheckResult
}

/**
 * Reads a store file that is not the live store (a backup, a copy): its header, our application id
 * and schema, SQLite's check of every page, and how recent it is. Nothing is migrated or written.
 */
export function checkStoreFile(path: string, check: CheckKind): StoreFileReport {
  inspectStoreFile(path)
  const db = new DatabaseSync(path, { readOnly: true })
  try {
    const version = (db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version
    const app = (db.prepare('PRAGMA application_id').get() as { application_id: number }).application_id
    if (app !== APPLICATION_ID || version === 0) {
      throw new UserError('STORE_CORRUPT', `${path} is not a clawops store`, { details: { path } })
    }
    if (version > SCHEMA_VERSION || unknownVersions(db).length > 0) {
      throw new UserError('STORE_TOO_NEW', `${path} was written by a newer clawops (schema ${version})`, {
        hint: 'Upgrade clawops first.',
        details: { path, found: version, supported: SCHEMA_VERSION },
      })
    }
    const result = checkDatabase(db, check)
    let asOf: string | null = null
    let pairs = 0
    if (result.ok) {
      asOf = (db.prepare('SELECT max(ts) AS ts FROM audit').get() as { ts: string | null }).ts
      pairs = (
        db.prepare("SELECT count(DISTINCT pair_id) AS n FROM instances WHERE state <> 'DELETED'").get() as {
          n: number
        }
      ).n
    }
    return { schemaVersion: version, asOf, pairs, check: result }
  } finally {
    db.close()
  }
}

/** Places a copy of `source` at `dest` atomically (a reader sees the old file or the whole new one). */
export function placeCopy(source: string, dest: string): void {
  const tmp = join(dirname(dest), `.${basename(dest)}.restore-${process.pid}`)
  removeWithSidecars(tmp)
  try {
    copyFileSync(source, tmp)
    fsyncFile(tmp)
    renameSync(tmp, dest)
    fsyncFile(dirname(dest))
  } finally {
    removeWithSidecars(tmp)
  }
}

const SQLITE_BUSY = 5

/**
 * Refuses when another process has the store open (watch, a running command): every SQLite connection
 * holds a shared lock on the file while it is open in WAL mode, so an exclusive lock is only granted
 * to the last one. A file SQLite cannot read at all can be in no one's use worth protecting.
 */
export function assertNotInUse(path: string): void {
  let db: DatabaseSync
  try {
    db = new DatabaseSync(path, { timeout: 0 })
  } catch {
    return
  }
  try {
    db.exec('PRAGMA locking_mode = EXCLUSIVE')
    db.exec('BEGIN EXCLUSIVE')
    db.exec('ROLLBACK')
  } catch (err) {
    if ((err as { errcode?: number }).errcode === SQLITE_BUSY) {
      throw new UserError(
        'CONFLICT',
        `${path} is in use by another process (clawops watch, or a command still running)`,
        {
          hint: 'Stop clawops watch (and wait for running commands) before restoring the store.',
          details: { path },
        },
      )
    }
  } finally {
    db.close()
  }
}
