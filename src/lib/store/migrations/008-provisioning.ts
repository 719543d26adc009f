import type { Migration } from './migration.js'

/**
 * Provisioning: the one-time join secret clawops issues to each instance it creates (the node proves
 * itself with it; the first device that joins binds it), and the signed webhooks owed to COMPANION,
 * kept until delivered; and final journal steps (a notification that waits for every pair).
 */
export const provisioning: Migration = {
  version: 8,
  name: 'provisioning (join secrets, outgoing webhooks)',
  sql: `
    CREATE TABLE join_secrets (
      instance_id TEXT PRIMARY KEY,
      secret TEXT NOT NULL,
      bound_device_id TEXT,
      created_at TEXT NOT NULL,
      bound_at TEXT
    ) STRICT;

    CREATE TABLE webhooks_out (
      id TEXT PRIMARY KEY,
      url TEXT NOT NULL,
      type TEXT NOT NULL,
      body TEXT NOT NULL,
      state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
      attempts INTEGER NOT NULL DEFAULT 0,
      last_error TEXT,
      created_at TEXT NOT NULL,
      delivered_at TEXT
    ) STRICT;
    CREATE INDEX webhooks_out_state ON webhooks_out(state);

    -- Steps that run once every other step of the operation has finished (e.g. a notification).
    ALTER TABLE op_steps ADD COLUMN final INTEGER NOT NULL DEFAULT 0;
  `,
}
