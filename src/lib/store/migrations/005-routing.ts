import type { Migration } from './migration.js'

/**
 * Provider routing: which providers new pairs are provisioned on, per region group. Every change is a
 * new row (never an update), so the version a pair was provisioned under can always be read back.
 */
export const routing: Migration = {
  version: 5,
  name: 'provider routing versions',
  sql: `
    CREATE TABLE routing_versions (
      version INTEGER PRIMARY KEY,
      config TEXT NOT NULL,
      actor TEXT NOT NULL,
      reason TEXT,
      op_id TEXT UNIQUE,
      plan_id TEXT,
      created_at TEXT NOT NULL
    ) STRICT;
  `,
}
