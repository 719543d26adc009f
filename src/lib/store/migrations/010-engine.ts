import type { Migration } from './migration.js'

/**
 * The engine's bindings: who confirmed a plan and when (a confirmation lapses; a resume needs a live
 * one), and named leases, so one process at a time acts for a fleet-wide role (watch --heal) or on a
 * resource (a pair under an operation).
 */
export const engine: Migration = {
  version: 10,
  name: 'engine',
  sql: `
    ALTER TABLE plans ADD COLUMN confirmed_by TEXT;
    ALTER TABLE plans ADD COLUMN confirmed_at TEXT;
    CREATE TABLE leases (
      name TEXT PRIMARY KEY,
      owner TEXT NOT NULL,
      holder TEXT NOT NULL,
      until TEXT NOT NULL,
      acquired_at TEXT NOT NULL
    ) STRICT;
  `,
}
