import type { Migration } from './migration.js'

/** Archives of users' OpenClaw state taken before a teardown, kept until they expire (30 days). */
export const archives: Migration = {
  version: 9,
  name: 'archives',
  sql: `
    CREATE TABLE archives (
      id TEXT PRIMARY KEY,
      user_id TEXT NOT NULL,
      pair_id TEXT NOT NULL,
      instance_id TEXT NOT NULL,
      location TEXT NOT NULL,
      bytes INTEGER NOT NULL,
      sha256 TEXT NOT NULL,
      created_at TEXT NOT NULL,
      expires_at TEXT NOT NULL,
      deleted_at TEXT
    ) STRICT;
    CREATE INDEX archives_expiry ON archives(expires_at) WHERE deleted_at IS NULL;
  `,
}
