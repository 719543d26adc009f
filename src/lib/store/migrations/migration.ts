/**
 * One step of the schema, the same for both engines. `sql` is written in SQLite's DDL and runs as is
 * there; on PostgreSQL it runs through `postgresSql` (migrations.ts), which maps the types. What the
 * engines spell too differently to map (triggers) goes in `sqlite` and `postgres`, run after `sql`.
 */
export interface Migration {
  version: number
  name: string
  sql: string
  sqlite?: string
  postgres?: string
}
