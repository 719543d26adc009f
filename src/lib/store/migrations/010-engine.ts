import type { Migration } from './migration.js'

/**
 * The engine's bindings: who confirmed a plan and when (a confirmation lapses; a resume needs a live
 * one); the resources an unfinished operation holds (one operation per pair at a time); and named
 * leases, so one process at a time acts for a fleet-wide role (watch).
 */
export const engine: Migration = {
  version: 10,
  name: 'engine',
  sql: `
    ALTER TABLE plans ADD COLUMN confirmed_by TEXT;
    ALTER TABLE plans ADD COLUMN confirmed_at TEXT;
    CREATE TABLE op_locks (
      name TEXT PRIMARY KEY,
      op_id TEXT NOT NULL REFERENCES operations(id),
      acquired_at TEXT NOT NULL
    ) STRICT;
    CREATE INDEX op_locks_op ON op_locks(op_id);
    CREATE TABLE leases (
      name TEXT PRIMARY KEY,
      owner TEXT NOT NULL,
      holder TEXT NOT NULL,
      until TEXT NOT NULL,
      acquired_at TEXT NOT NULL
    ) STRICT;
  `,
}
