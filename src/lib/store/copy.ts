/**
 * Moving a fleet between stores (`clawops store copy --to <url>`): every row of every table of the
 * source, read in one consistent snapshot, written to an empty target of the same schema in one
 * transaction, then checked there before it commits: each table holds as many rows as the source's,
 * and the audit trail verifies (every hash and link, up to the recorded head). A target that already
 * holds a fleet is refused; a failed check leaves the target as it was.
 */
import { UserError } from '../errors.js'
import { AuditTrail, type VerifyResult } from './audit-trail.js'
import type { SqlValue } from './sql.js'
import type { Store } from './store.js'

export interface CopyResult {
  from: { engine: string; location: string }
  to: { engine: string; location: string }
  schemaVersion: number
  tables: { name: string; rows: number }[]
  rows: number
  audit: VerifyResult
}

/** Tables of the store in the order they were created (a table is created after those it references). */
export function tablesOf(store: Store): string[] {
  const rows =
    store.engine === 'sqlite'
      ? store.db
          .prepare(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY rowid",
          )
          .all()
      : store.db
          .prepare(
            `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = current_schema() AND c.relkind = 'r' ORDER BY c.oid`,
          )
          .all()
  return rows.map((r) => r.name as string).filter((n) => n !== 'schema_migrations')
}

function count(store: Store, table: string): number {
  return (store.db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n
}

export function schemaVersion(store: Store): number {
  return (store.db.prepare('SELECT max(version) AS v FROM schema_migrations').get() as { v: number }).v
}

/** Columns of a table in their defined order. */
function columnsOf(store: Store, table: string): string[] {
  const rows =
    store.engine === 'sqlite'
      ? store.db.prepare(`SELECT name FROM pragma_table_info('${table}') ORDER BY cid`).all()
      : store.db
          .prepare(
            `SELECT column_name AS name FROM information_schema.columns
             WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position`,
          )
          .all(table)
  return rows.map((r) => r.name as string)
}

/** A read of the whole store that sees one moment of it, while other processes go on writing. */
function snapshot<T>(store: Store, fn: () => T): T {
  store.db.exec(store.engine === 'sqlite' ? 'BEGIN' : 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY')
  try {
    return fn()
  } finally {
    store.db.exec('COMMIT')
  }
}

const CHUNK = 1000

export function copyStore(source: Store, target: Store): CopyResult {
  const version = schemaVersion(source)
  const targetVersion = schemaVersion(target)
  if (version !== targetVersion) {
    throw new UserError(
      'CONFLICT',
      `the source has schema version ${version} and the target ${targetVersion}; both must be opened by this clawops`,
    )
  }
  const tables = tablesOf(source)
  const targetTables = new Set(tablesOf(target))
  const missing = tables.filter((t) => !targetTables.has(t))
  if (missing.length > 0) {
    throw new UserError('CONFLICT', `the target lacks tables ${missing.join(', ')}`)
  }
  const occupied = tables.filter((t) => count(target, t) > 0)
  if (occupied.length > 0) {
    throw new UserError(
      'CONFLICT',
      `the target ${target.location} already holds a fleet (${occupied.join(', ')})`,
      {
        hint: 'Copy into an empty database (or schema); clawops never merges two fleets.',
        details: { tables: occupied },
      },
    )
  }
  return snapshot(source, () =>
    target.tx(() => {
      const copied: { name: string; rows: number }[] = []
      for (const table of tables) {
        const columns = columnsOf(source, table)
        const quoted = columns.map((c) => `"${c}"`)
        const insert = `INSERT INTO ${table} (${quoted.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`
        let rows = 0
        let chunk: SqlValue[][] = []
        for (const r of source.db.prepare(`SELECT ${quoted.join(', ')} FROM ${table}`).iterate()) {
          chunk.push(columns.map((c) => r[c] ?? null))
          if (chunk.length === CHUNK) {
            rows += target.db.batch(insert, chunk)
            chunk = []
          }
        }
        rows += target.db.batch(insert, chunk)
        copied.push({ name: table, rows })
      }
      restartIdentities(target, tables)
      // Checked in the target's own transaction: a mismatch rolls the whole copy back.
      const mismatched = copied.filter((t) => count(target, t.name) !== count(source, t.name))
      if (mismatched.length > 0) {
        throw new UserError(
          'CONFLICT',
          `row counts differ after the copy: ${mismatched.map((t) => t.name).join(', ')}`,
        )
      }
      const audit = target.repo(AuditTrail).verify()
      if (!audit.ok) {
        throw new UserError(
          'AUDIT_CHAIN_BROKEN',
          `the copied audit trail does not verify: entry ${audit.firstBad?.seq}: ${audit.firstBad?.reason}`,
          {
            hint: 'Run `clawops audit verify` on the source; nothing was written to the target.',
            details: audit,
          },
        )
      }
      return {
        from: { engine: source.engine, location: source.location },
        to: { engine: target.engine, location: target.location },
        schemaVersion: version,
        tables: copied,
        rows: copied.reduce((n, t) => n + t.rows, 0),
        audit,
      }
    }),
  )
}

/** Identity columns (PostgreSQL) continue after the highest value copied, as SQLite's rowids do. */
function restartIdentities(target: Store, tables: readonly string[]): void {
  if (target.engine !== 'postgres') return
  const identities = target.db
    .prepare(
      `SELECT table_name AS t, column_name AS c FROM information_schema.columns
       WHERE table_schema = current_schema() AND is_identity = 'YES'`,
    )
    .all() as { t: string; c: string }[]
  for (const { t, c } of identities) {
    if (!tables.includes(t)) continue
    target.db
      .prepare(`SELECT setval(pg_get_serial_sequence(?, ?), coalesce(max(${c}), 0) + 1, false) FROM ${t}`)
      .get(t, c)
  }
}
