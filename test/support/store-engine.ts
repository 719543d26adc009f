/**
 * Which engine the store of a test runs on. The `unit` and `cli` projects use SQLite files; their
 * `-pg` twins run the same test files on PostgreSQL, each clawops home getting a schema of its own
 * in the run's database (see global-postgres.ts), so tests stay as isolated as separate files.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { inject } from 'vitest'
import { tablesOf } from '../../src/lib/store/copy.js'
import { PostgresDatabase } from '../../src/lib/store/postgres.js'
import { Store } from '../../src/lib/store/store.js'

const schemas = new Map<string, string>()
let counter = 0
let admin: PostgresDatabase | undefined

/** The run's PostgreSQL database when this project runs on PostgreSQL. */
export function postgresUrl(): string | undefined {
  return inject('postgresUrl')
}

export function onPostgres(): boolean {
  return postgresUrl() !== undefined
}

/** A new, empty schema of the run's database, as a URL whose connections use it. */
export function freshSchemaUrl(): string {
  const base = postgresUrl()
  if (!base) throw new Error('this test project does not run on PostgreSQL')
  const schema = `t${process.pid}_${++counter}_${Math.random().toString(36).slice(2, 8)}`
  // One connection per test process makes every schema (its worker thread never holds the process).
  admin ??= new PostgresDatabase(base)
  admin.exec(`CREATE SCHEMA ${schema}`)
  const u = new URL(base)
  u.searchParams.set('options', `-c search_path=${schema}`)
  return u.toString()
}

/** Where the store of `home` is: its fleet.db on SQLite, its own schema on PostgreSQL. */
export function storeLocation(home: string): string {
  if (!onPostgres()) return join(home, 'fleet.db')
  let url = schemas.get(home)
  if (!url) {
    url = freshSchemaUrl()
    schemas.set(home, url)
  }
  return url
}

/**
 * Environment that points a clawops process run for `home` at that home's store. On PostgreSQL the
 * home's config.json names the schema too (`store.url`, written when the home exists and its config
 * is valid JSON): an agent's run ignores CLAWOPS_DATABASE_URL (it may not choose its store), so the
 * config is how a team points every actor at the shared store, and how these tests do.
 */
export function storeEnv(home: string | undefined): Record<string, string> {
  if (!home || !onPostgres()) return {}
  const url = storeLocation(home)
  pinStore(home, url)
  return { CLAWOPS_DATABASE_URL: url }
}

/** Environment of a run for `home` that keeps to the SQLite file in it, whatever the project's engine. */
export function sqliteHome(home: string): Record<string, string> {
  return { CLAWOPS_HOME: home, CLAWOPS_DATABASE_URL: '' }
}

function pinStore(home: string, url: string): void {
  if (!existsSync(home) || !statSync(home).isDirectory()) return
  const file = join(home, 'config.json')
  let config: Record<string, unknown> = {}
  if (existsSync(file)) {
    try {
      config = JSON.parse(readFileSync(file, 'utf8'))
    } catch {
      return
    }
    if (typeof config !== 'object' || config === null || Array.isArray(config)) return
  }
  const store = (config.store ?? {}) as Record<string, unknown>
  if (store.url === url || store.urlFile) return
  writeFileSync(file, `${JSON.stringify({ ...config, store: { ...store, url } }, null, 2)}\n`, {
    mode: 0o600,
  })
}

/** A store on this project's engine: for `home` (a new one by default). */
export function openTestStore(home?: string, opts: { clock?: () => Date } = {}): Store {
  return Store.open(storeLocation(home ?? mkdtempSync(join(tmpdir(), 'clawops-test-'))), opts)
}

/** The schema a URL of freshSchemaUrl names. */
function schemaOf(url: string): string {
  const m = /search_path=(\w+)/.exec(new URL(url).searchParams.get('options') ?? '')
  if (!m) throw new Error(`no schema in ${url}`)
  return m[1]!
}

let identities: { t: string; c: string }[] | undefined

/**
 * A copy of the clawops home `from` at `to`, its store included: the fleet.db comes with the files on
 * SQLite; on PostgreSQL `to` gets a schema of its own holding every row of `from`'s. Both schemas are
 * in the run's database, so the rows are copied there, table by table in one request, identity
 * sequences continuing after the highest value as `store copy` leaves them (that command, which
 * reads every row through clawops and checks the target, is tested in store-engines; here it would
 * cost ~0.7 s per home, and the gate matrix copies hundreds).
 */
export function copyHome(from: string, to: string): void {
  cpSync(from, to, { recursive: true })
  if (!onPostgres()) return
  const source = schemaOf(storeLocation(from))
  const target = Store.open(storeLocation(to))
  try {
    identities ??= target.db
      .prepare(
        `SELECT table_name AS t, column_name AS c FROM information_schema.columns
         WHERE table_schema = current_schema() AND is_identity = 'YES'`,
      )
      .all() as { t: string; c: string }[]
    const copy = tablesOf(target).map(
      (t) => `INSERT INTO ${t} OVERRIDING SYSTEM VALUE SELECT * FROM ${source}.${t};`,
    )
    const restart = identities.map(
      ({ t, c }) =>
        `SELECT setval(pg_get_serial_sequence('${t}', '${c}'), coalesce(max(${c}), 0) + 1, false) FROM ${t};`,
    )
    target.db.exec(['BEGIN;', ...copy, ...restart, 'COMMIT;'].join('\n'))
  } finally {
    target.close()
  }
}

/** What an attacker holding the database would do first: take the audit trail's triggers off. */
export function dropAuditTriggers(store: Store): void {
  if (store.engine === 'sqlite') {
    store.db.exec('DROP TRIGGER IF EXISTS audit_no_update; DROP TRIGGER IF EXISTS audit_no_delete')
  } else {
    store.db.exec('ALTER TABLE audit DISABLE TRIGGER USER')
  }
}

/**
 * Everything a store holds, as text: the SQLite file's bytes (checkpointed), or every row of every
 * table of a PostgreSQL schema. For tests that check what reached the store (never a secret) and that
 * a read leaves it as it was.
 */
export function storeDump(location: string): string {
  if (!location.startsWith('postgres')) {
    const db = new DatabaseSync(location)
    db.exec('PRAGMA wal_checkpoint(TRUNCATE)')
    db.close()
    return readFileSync(location).toString('latin1')
  }
  const db = new PostgresDatabase(location)
  try {
    const tables = db
      .prepare(
        'SELECT table_name AS t FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY 1',
      )
      .all()
      .map((r) => r.t as string)
    return tables
      .map((t) => `${t}\n${JSON.stringify(db.prepare(`SELECT * FROM ${t} ORDER BY 1`).all())}`)
      .join('\n')
  } finally {
    db.close()
  }
}

/** SQL run on the store at `location` outside clawops (what someone holding the database could do). */
export function rawExec(location: string, sql: string): void {
  if (!location.startsWith('postgres')) {
    const db = new DatabaseSync(location)
    db.exec(sql)
    db.close()
    return
  }
  const db = new PostgresDatabase(location)
  try {
    db.exec(sql)
  } finally {
    db.close()
  }
}
