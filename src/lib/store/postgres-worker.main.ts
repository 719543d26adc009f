/**
 * The worker thread behind the PostgreSQL store. The store is called synchronously everywhere (as
 * node:sqlite is), and node-postgres is asynchronous: the calling thread posts each request here and
 * blocks on `Atomics.wait` until this thread has the answer (synckit). One worker per process serves
 * every PostgreSQL connection of that process, each a `pg.Client` kept under its id.
 *
 * Self-contained on purpose (only `pg`, `synckit` and Node): it runs as built JavaScript from dist/,
 * and as TypeScript through Node's own type stripping when the tests run the sources.
 */
import pg from 'pg'
import { runAsWorker } from 'synckit'

// node:sqlite returns integers and aggregates as numbers; so does this store. BIGINT (count, sum of
// integers) and NUMERIC (sum, avg) would otherwise arrive as strings.
pg.types.setTypeParser(pg.types.builtins.INT8, (v: string) => Number(v))
pg.types.setTypeParser(pg.types.builtins.NUMERIC, (v: string) => Number(v))

export type Request =
  | { op: 'open'; id: number; url: string; applicationName: string; lockTimeoutMs: number }
  | { op: 'query'; id: number; text: string; values: unknown[] }
  | { op: 'exec'; id: number; text: string }
  | { op: 'batch'; id: number; text: string; rows: unknown[][] }
  | { op: 'close'; id: number }

export interface QueryAnswer {
  rows: Record<string, unknown>[]
  rowCount: number
}

const clients = new Map<number, pg.Client>()
/** The error a connection lost between requests (the server went away): the next request gets it. */
const lost = new Map<number, Error>()

function client(id: number): pg.Client {
  const failure = lost.get(id)
  if (failure) throw failure
  const c = clients.get(id)
  if (!c) throw new Error(`PostgreSQL connection ${id} is closed`)
  return c
}

async function handle(req: Request): Promise<QueryAnswer | null> {
  switch (req.op) {
    case 'open': {
      const c = new pg.Client({ connectionString: req.url, application_name: req.applicationName })
      c.on('error', (err) => lost.set(req.id, err))
      await c.connect()
      // Text compares and sorts byte by byte, as in SQLite; a lock wait is bounded like SQLite's busy
      // timeout; and a session that dies mid-transaction gives up its locks within seconds.
      await c.query(
        `SET lock_timeout = ${Math.max(1, Math.trunc(req.lockTimeoutMs))}; SET idle_in_transaction_session_timeout = '60s'`,
      )
      clients.set(req.id, c)
      // The store's lock key: one per schema (see PostgresDatabase.beginWrite).
      const r = await c.query('SELECT hashtext(current_schema()) AS k')
      return { rows: r.rows, rowCount: 1 }
    }
    case 'query': {
      const r = await client(req.id).query({ text: req.text, values: req.values })
      return { rows: r.rows, rowCount: r.rowCount ?? 0 }
    }
    case 'exec':
      await client(req.id).query(req.text)
      return null
    case 'batch':
      return { rows: [], rowCount: await batch(client(req.id), req.text, req.rows) }
    case 'close': {
      const c = clients.get(req.id)
      clients.delete(req.id)
      lost.delete(req.id)
      await c?.end().catch(() => undefined)
      return null
    }
  }
}

/** A parameter as an SQL literal (node-postgres's own escaping for text). */
function literal(c: pg.Client, v: unknown): string {
  if (v === null || v === undefined) return 'NULL'
  if (typeof v === 'number' || typeof v === 'bigint') return String(v)
  if (v instanceof Uint8Array) return `'\\x${Buffer.from(v).toString('hex')}'::bytea`
  return c.escapeLiteral(String(v))
}

/**
 * `INSERT INTO t (c1, …) VALUES ($1, …)`, optionally `ON CONFLICT (k, …) DO …`, without RETURNING:
 * a statement a batch can send as one multi-row INSERT.
 */
const MULTI_ROW =
  /^\s*(INSERT\s+INTO\s+\w+\s*\(([^)]*)\)\s*VALUES)\s*(\([^()]*\))\s*(ON\s+CONFLICT\s*(?:\(([^)]*)\))?\s*DO\s+(UPDATE|NOTHING)\b(?:(?!RETURNING)[\s\S])*)?;?\s*$/i

/**
 * Rows of one statement, sent a thousand per round trip (in the caller's transaction, or as one
 * implicit transaction of their own). An INSERT becomes one multi-row INSERT per chunk, which the
 * server parses and plans once instead of once per row; an upsert's chunk ends before a row whose
 * key is already in it (one statement may not update a row twice), so later rows still win as they
 * do one by one. Anything else is one statement per row in one simple query.
 */
async function batch(c: pg.Client, text: string, rows: unknown[][]): Promise<number> {
  const bind = (part: string, r: unknown[]) =>
    part
      .split(/\$(\d+)/)
      .map((p, k) => (k % 2 === 1 ? literal(c, r[Number(p) - 1]) : p))
      .join('')
  const m = MULTI_ROW.exec(text)
  const columns = m ? m[2]!.split(',').map((x) => x.trim().replaceAll('"', '')) : []
  const inOrder = m
    ? m[3]!
        .slice(1, -1)
        .split(',')
        .every((p, i) => p.trim() === `$${i + 1}`)
    : false
  if (m && inOrder && columns.length === m[3]!.split(',').length) {
    const keyAt =
      m[6]?.toUpperCase() === 'UPDATE'
        ? (m[5] ?? '').split(',').map((k) => columns.indexOf(k.trim().replaceAll('"', '')))
        : []
    if (!keyAt.includes(-1) && !(m[4] && m[6]?.toUpperCase() === 'UPDATE' && keyAt.length === 0)) {
      let changed = 0
      let chunk: string[] = []
      let keys = new Set<string>()
      const flush = async () => {
        if (chunk.length === 0) return
        const res = await c.query(`${m[1]} ${chunk.join(',\n')} ${m[4] ?? ''}`)
        changed += res.rowCount ?? 0
        chunk = []
        keys = new Set()
      }
      for (const r of rows) {
        if (keyAt.length > 0) {
          const key = JSON.stringify(keyAt.map((i) => r[i] ?? null))
          if (keys.has(key)) await flush()
          keys.add(key)
        }
        chunk.push(bind(m[3]!, r))
        if (chunk.length === 1000) await flush()
      }
      await flush()
      return changed
    }
  }
  const parts = text.split(/\$(\d+)/)
  let changed = 0
  for (let i = 0; i < rows.length; i += 500) {
    const sql = rows
      .slice(i, i + 500)
      .map((r) => parts.map((p, k) => (k % 2 === 1 ? literal(c, r[Number(p) - 1]) : p)).join(''))
      .join(';\n')
    const res = (await c.query(sql)) as unknown as pg.QueryResult | pg.QueryResult[]
    for (const one of Array.isArray(res) ? res : [res]) changed += one.rowCount ?? 0
  }
  return changed
}

runAsWorker(handle)
