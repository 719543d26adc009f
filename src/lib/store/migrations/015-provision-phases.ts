import type { Migration } from './migration.js'

/**
 * Provisioning that reports what happened: each member's tries (a server that never came up is
 * replaced), how long each phase took (create, boot, join, first healthy), and, while it runs, the
 * member's progress, so a resumed operation continues the same try.
 */
export const provisionPhases: Migration = {
  version: 15,
  name: 'provision-phases',
  sql: `
    ALTER TABLE provision_attempts ADD COLUMN tries INTEGER NOT NULL DEFAULT 1;
    ALTER TABLE provision_attempts ADD COLUMN create_ms INTEGER;
    ALTER TABLE provision_attempts ADD COLUMN boot_ms INTEGER;
    ALTER TABLE provision_attempts ADD COLUMN join_ms INTEGER;
    ALTER TABLE provision_attempts ADD COLUMN health_ms INTEGER;
    ALTER TABLE provision_attempts ADD COLUMN failed_phase TEXT;
    CREATE TABLE provision_members (
      op_id TEXT NOT NULL,
      instance_id TEXT NOT NULL,
      -- The try running now (1 is the first server), and the create calls of all tries so far.
      try INTEGER NOT NULL DEFAULT 1,
      create_calls INTEGER NOT NULL DEFAULT 0,
      -- A failed try's server being deleted before the next try: set until the delete went through.
      retiring TEXT,
      phases TEXT NOT NULL DEFAULT '{}',
      failures TEXT NOT NULL DEFAULT '[]',
      started_at TEXT NOT NULL,
      updated_at TEXT NOT NULL,
      PRIMARY KEY (op_id, instance_id)
    ) STRICT;
  `,
}
