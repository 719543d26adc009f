/**
 * The fleet store on PostgreSQL, for a team: several operators, agents and watch processes on several
 * hosts sharing one fleet, one journal and one audit trail. Opened from a URL
 * (`CLAWOPS_DATABASE_URL` or `store.url`); the same versioned migrations as SQLite, applied under an
 * advisory lock so two processes opening a fresh database never both migrate it. A database that
 * holds other tables, or versions a newer clawops wrote, is refused untouched.
 *
 * node-postgres runs in a worker thread (postgres-worker.main.ts); this side blocks on each request,
 * so the store keeps node:sqlite's synchronous API.
 */
import { existsSync } from 'node:fs'
import { join, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createSyncFn } from 'synckit'
import { UserError } from '../errors.js'
import { packageRoot } from '../paths.js'
import { MIGRATIONS, postgresSql, SCHEMA_VERSION } from './migrations.js'
import type { QueryAnswer, Request } from './postgres-worker.main.js'
import { type Database, Dialect, type Row, type RunResult, type SqlValue, type Statement } from './sql.js'

/** First key of the advisory locks of a clawops store (ASCII "Claw", as SQLite's application_id). */
const LOCK_CLASS = 0x436c6177

export function isPostgresUrl(s: string): boolean {
  return /^postgres(ql)?:\/\//i.test(s)
}

/** The URL without its password (and without any other secret-looking parameter), for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url)
    if (u.password) u.password = '***'
    for (const k of [...u.searchParams.keys()]) {
      if (/pass|secret|key|token|sslcert|sslkey/i.test(k)) u.searchParams.set(k, '***')
    }
    return u.toString()
  } catch {
    return 'postgresql://(unparseable URL)'
  }
}

function workerFile(): string {
  const root = packageRoot()
  const bundled = fileURLToPath(import.meta.url).includes(`${sep}dist${sep}`)
  const built = join(root, 'dist', 'src', 'lib', 'store', 'postgres-worker.main.js')
  return bundled && existsSync(built) ? built : join(root, 'src', 'lib', 'store', 'postgres-worker.main.ts')
}

let call: ((req: Request) => QueryAnswer | null) | undefined
function worker(req: Request): QueryAnswer | null {
  call ??= createSyncFn(workerFile()) as (req: Request) => QueryAnswer | null
  return call(req)
}

let nextId = 1

/**
 * `?` placeholders (the SQL both engines share) as PostgreSQL's `$1, $2 …`, leaving string literals,
 * quoted names and comments alone.
 */
export function numberPlaceholders(sql: string): string {
  let out = ''
  let n = 0
  let i = 0
  while (i < sql.length) {
    const c = sql[i]!
    if (c === "'" || c === '"') {
      const end = sql.indexOf(c, i + 1)
      const stop = end === -1 ? sql.length : end + 1
      out += sql.slice(i, stop)
      i = stop
    } else if (c === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i)
      const stop = end === -1 ? sql.length : end
      out += sql.slice(i, stop)
      i = stop
    } else if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2)
      const stop = end === -1 ? sql.length : end + 2
      out += sql.slice(i, stop)
      i = stop
    } else if (c === '?') {
      out += `$${++n}`
      i++
    } else {
      out += c
      i++
    }
  }
  return out
}

/** PostgreSQL's SQLSTATEs for damaged data or indexes. */
export function isPostgresCorruption(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code
  return code === 'XX001' || code === 'XX002'
}

class PgStatement implements Statement {
  constructor(
    private readonly db: PostgresDatabase,
    private readonly text: string,
  ) {}

  private query(params: SqlValue[]): QueryAnswer {
    return this.db.request({ op: 'query', id: this.db.id, text: this.text, values: params }) as QueryAnswer
  }

  get(...params: SqlValue[]): Row | undefined {
    return this.query(params).rows[0] as Row | undefined
  }

  all(...params: SqlValue[]): Row[] {
    return this.query(params).rows as Row[]
  }

  run(...params: SqlValue[]): RunResult {
    return { changes: this.query(params).rowCount }
  }

  iterate(...params: SqlValue[]): IterableIterator<Row> {
    return this.all(...params)[Symbol.iterator]()
  }
}

export interface PostgresOptions {
  /** Milliseconds a write waits for another writer (as SQLite's busy timeout). */
  busyTimeoutMs?: number
  readOnly?: boolean
}

export class PostgresDatabase implements Database {
  readonly engine = 'postgres' as const
  readonly dialect = new Dialect('postgres')
  readonly id = nextId++
  readonly location: string
  private open = false
  private lockKey = 0
  migrated: readonly number[] = []

  constructor(url: string, opts: PostgresOptions = {}) {
    this.location = redactUrl(url)
    try {
      const opened = worker({
        op: 'open',
        id: this.id,
        url,
        applicationName: `clawops:${process.pid}`,
        lockTimeoutMs: opts.busyTimeoutMs ?? 5000,
      })
      this.lockKey = opened!.rows[0]!.k as number
    } catch (err) {
      throw new UserError(
        'STORE_UNREACHABLE',
        `cannot open the PostgreSQL store ${this.location}: ${message(err)}`,
        {
          hint: 'Check that the server is running and that the URL (CLAWOPS_DATABASE_URL or store.url) names it, its database and a user that may log in.',
          details: { location: this.location },
          cause: err,
        },
      )
    }
    this.open = true
    if (opts.readOnly) this.exec('SET default_transaction_read_only = on')
  }

  get isOpen(): boolean {
    return this.open
  }

  request(req: Request): QueryAnswer | null {
    if (!this.open) throw new Error(`the PostgreSQL store ${this.location} is closed`)
    return worker(req)
  }

  prepare(sql: string): Statement {
    return new PgStatement(this, numberPlaceholders(sql))
  }

  exec(sql: string): void {
    this.request({ op: 'exec', id: this.id, text: sql })
  }

  batch(sql: string, rows: readonly (readonly SqlValue[])[]): number {
    if (rows.length === 0) return 0
    const r = this.request({
      op: 'batch',
      id: this.id,
      text: numberPlaceholders(sql),
      rows: rows as SqlValue[][],
    })
    return r!.rowCount
  }

  beginWrite(): void {
    try {
      this.exec(`BEGIN; SELECT pg_advisory_xact_lock(${LOCK_CLASS}, ${this.lockKey})`)
    } catch (err) {
      // The lock wait timed out inside the transaction just begun: end it, or the session stays aborted.
      this.exec('ROLLBACK')
      throw err
    }
  }

  beginRows(): void {
    this.exec('BEGIN')
  }

  /** The lock every writer of this store takes first (migrations take it too). */
  get writeLock(): string {
    return `pg_advisory_xact_lock(${LOCK_CLASS}, ${this.lockKey})`
  }

  close(): void {
    if (!this.open) return
    this.open = false
    worker({ op: 'close', id: this.id })
  }
}

/** A string as an SQL literal. */
function literal(s: string): string {
  return `'${s.replaceAll("'", "''")}'`
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

function tooNew(location: string, found: number): UserError {
  return new UserError(
    'STORE_TOO_NEW',
    `${location} has schema version ${found}; this clawops understands up to ${SCHEMA_VERSION}`,
    {
      hint: 'Upgrade clawops. The store was not modified.',
      details: { location, found, supported: SCHEMA_VERSION },
    },
  )
}

interface SchemaState {
  hasMigrations: boolean
  tables: number
  applied: Set<number>
}

function schemaState(db: PostgresDatabase): SchemaState {
  const t = db
    .prepare(
      `SELECT count(*) AS n, count(*) FILTER (WHERE table_name = 'schema_migrations') AS m
       FROM information_schema.tables WHERE table_schema = current_schema()`,
    )
    .get() as { n: number; m: number }
  const applied = new Set<number>()
  if (t.m > 0) {
    for (const r of db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]) {
      applied.add(r.version)
    }
  }
  return { hasMigrations: t.m > 0, tables: t.n, applied }
}

/** Refuses a database that is not a clawops store or was written by a newer clawops. */
function check(db: PostgresDatabase, s: SchemaState): void {
  if (!s.hasMigrations && s.tables > 0) {
    throw new UserError(
      'STORE_CORRUPT',
      `${db.location} is not a clawops store: its schema holds tables but no clawops schema version`,
      {
        hint: 'Point the URL at an empty database (or schema) for clawops. clawops left it untouched.',
        details: { location: db.location },
      },
    )
  }
  const known = new Set(MIGRATIONS.map((m) => m.version))
  const unknown = [...s.applied].filter((v) => !known.has(v))
  if (unknown.length > 0) throw tooNew(db.location, Math.max(...unknown))
}

function migrate(db: PostgresDatabase): number[] {
  db.beginWrite()
  try {
    // Another process may have migrated while this one waited for the lock.
    const s = schemaState(db)
    check(db, s)
    db.exec(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)',
    )
    // Every missing migration and its record in one round trip (DDL is most of a fresh store's open).
    const at = new Date().toISOString()
    const missing = MIGRATIONS.filter((m) => !s.applied.has(m.version))
    db.exec(
      missing
        .map(
          (m) =>
            `${postgresSql(m)};\nINSERT INTO schema_migrations (version, name, applied_at) VALUES (${m.version}, ${literal(m.name)}, ${literal(at)});`,
        )
        .join('\n'),
    )
    db.exec('COMMIT')
    return missing.map((m) => m.version)
  } catch (err) {
    db.exec('ROLLBACK')
    throw err
  }
}

export function openPostgres(url: string, opts: PostgresOptions = {}): PostgresDatabase {
  const db = new PostgresDatabase(url, opts)
  try {
    const s = schemaState(db)
    check(db, s)
    const missing = MIGRATIONS.some((m) => !s.applied.has(m.version))
    // As SQLite's missing file: an empty schema read only is no store yet, not an old one.
    if (opts.readOnly && s.tables === 0) {
      throw new UserError('NOT_FOUND', `no clawops store at ${db.location}`, {
        hint: 'Point the URL at the team’s clawops database; any clawops command creates the store.',
        details: { location: db.location },
      })
    }
    if (missing && opts.readOnly) {
      throw new UserError(
        'CONFLICT',
        `${db.location} predates this clawops (schema ${Math.max(0, ...s.applied)}); it is read as it is`,
        {
          hint: 'Run any clawops command once (e.g. `clawops fleet status`) to bring the store up to date.',
          details: { location: db.location, supported: SCHEMA_VERSION },
        },
      )
    }
    if (missing) db.migrated = migrate(db)
    return db
  } catch (err) {
    db.close()
    throw err
  }
}
