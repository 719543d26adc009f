/**
 * One step of the schema, the same for both engines. `sql` is written in SQLite's DDL and runs as is
 * there; on PostgreSQL it runs through `postgresSql` (migrations.ts), which maps the types. What the
 * engines spell too differently to map (triggers) goes in `sqlite` and `postgres`, run after `sql`.
 *
 * What a migration's `sql` must keep to, so that it runs on both (the -pg test projects apply every
 * migration to PostgreSQL, so a slip fails there, not in production):
 * - Types: TEXT, INTEGER, REAL, BLOB only (STRICT tables); an `INTEGER PRIMARY KEY` for a rowid-like
 *   key (an identity on PostgreSQL), never AUTOINCREMENT. Booleans are INTEGER with CHECK (x IN (0, 1)).
 * - Statements both engines share: CREATE TABLE / INDEX (partial indexes too), ALTER TABLE … ADD /
 *   DROP / RENAME COLUMN, DROP TABLE / INDEX, INSERT / UPDATE / DELETE of plain values. Defaults are
 *   literals (no strftime(), datetime() or other SQLite-only functions); timestamps are ISO text the
 *   code writes.
 * - Names: snake_case; a name that is a keyword in either engine (`end`) double-quoted everywhere.
 * - No PRAGMA, no INSERT OR REPLACE / IGNORE (use ON CONFLICT … DO UPDATE / DO NOTHING), no
 *   triggers or views in `sql` (they go in `sqlite` and `postgres`).
 */
export interface Migration {
  version: number
  name: string
  sql: string
  sqlite?: string
  postgres?: string
}
