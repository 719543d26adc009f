/**
 * The database the repositories talk to, whichever engine is behind it: SQLite (node:sqlite, one file
 * under $CLAWOPS_HOME) or PostgreSQL (a server shared by a team). Synchronous, like node:sqlite, so
 * the store's callers never learn which one they have. Repositories write SQL in the subset both
 * engines run; the few places where the engines differ go through `Dialect`.
 */

export type Engine = 'sqlite' | 'postgres'

export type SqlValue = null | number | bigint | string | Uint8Array
export type Row = Record<string, SqlValue>

export interface RunResult {
  changes: number | bigint
}

export interface Statement {
  get(...params: SqlValue[]): Row | undefined
  all(...params: SqlValue[]): Row[]
  run(...params: SqlValue[]): RunResult
  iterate(...params: SqlValue[]): IterableIterator<Row>
}

export interface Database {
  readonly engine: Engine
  readonly dialect: Dialect
  readonly isOpen: boolean
  /** Where the store is, fit for messages and logs (a PostgreSQL URL without its password). */
  readonly location: string
  /** Migrations this open applied (empty when the store was up to date). */
  readonly migrated: readonly number[]
  prepare(sql: string): Statement
  /** Runs one or more statements without parameters. */
  exec(sql: string): void
  /**
   * Runs `sql` once per parameter row (bulk writes: a seeded fleet, a sweep's samples); the number
   * of rows changed. One round trip per few hundred rows on PostgreSQL, a prepared loop on SQLite.
   */
  batch(sql: string, rows: readonly (readonly SqlValue[])[]): number
  /**
   * Opens the outermost transaction of a write. Writers are serialized across every process and
   * host, as SQLite's BEGIN IMMEDIATE does on one machine, so a read-modify-write never interleaves.
   */
  beginWrite(): void
  /** Opens a transaction that only takes the row locks its statements ask for (FOR UPDATE SKIP LOCKED). */
  beginRows(): void
  close(): void
}

/** SQL for the few things the two engines spell differently. */
export class Dialect {
  constructor(readonly engine: Engine) {}

  /** The larger of two values (SQLite's two-argument max). */
  greatest(a: string, b: string): string {
    return this.engine === 'sqlite' ? `max(${a}, ${b})` : `greatest(${a}, ${b})`
  }

  /** The smaller of two values (SQLite's two-argument min). */
  least(a: string, b: string): string {
    return this.engine === 'sqlite' ? `min(${a}, ${b})` : `least(${a}, ${b})`
  }

  /** The text of a top-level member of a JSON column; `key` is SQL (a literal or a `?`). */
  jsonText(column: string, key: string): string {
    return this.engine === 'sqlite'
      ? `json_extract(${column}, '$.' || json_quote(${key}))`
      : `(${column}::jsonb ->> CAST(${key} AS TEXT))`
  }

  /** Whether a top-level member of a JSON column is `true` (false when absent). */
  jsonTrue(column: string, key: string): string {
    return this.engine === 'sqlite'
      ? `(json_extract(${column}, '$.' || json_quote(${key})) IS 1)`
      : `coalesce((${column}::jsonb -> CAST(${key} AS TEXT)) = 'true'::jsonb, false)`
  }

  /** A row source with one `value` column: the elements (as text) of a JSON array member of `column`. */
  jsonArray(column: string, key: string): string {
    return this.engine === 'sqlite'
      ? `json_each(${column}, '$.' || json_quote(${key}))`
      : `jsonb_array_elements_text(${column}::jsonb -> CAST(${key} AS TEXT)) AS json_array(value)`
  }

  /** Concatenation of a group's values, `separator` between them (a SQL string literal). */
  groupConcat(expr: string, separator: string): string {
    return this.engine === 'sqlite'
      ? `group_concat(${expr}, ${separator})`
      : `string_agg(${expr}, ${separator})`
  }

  /** Tells SQLite's planner to scan the table rather than use an index (PostgreSQL plans by itself). */
  get notIndexed(): string {
    return this.engine === 'sqlite' ? 'NOT INDEXED' : ''
  }

  /** A row lock a claim takes; rows another transaction holds are skipped. Nothing on SQLite. */
  get skipLocked(): string {
    return this.engine === 'sqlite' ? '' : 'FOR UPDATE SKIP LOCKED'
  }
}
