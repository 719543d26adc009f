import type { Migration } from './migration.js'

/**
 * Archives taken through a provider's snapshot API when the user's node could not be reached: how
 * each archive was taken (`via`: a file or an S3 object of the bytes gf-clawnode sent, or the
 * provider's snapshot of the server's disk), the provider, server and snapshot it is, the operation
 * that took it. A snapshot has no bytes or digest clawops saw, so those become optional; SQLite
 * cannot relax NOT NULL in place, so the table is rebuilt with its rows.
 */
export const archiveSources: Migration = {
  version: 16,
  name: 'archive sources: node archives and provider snapshots',
  sql: `
    CREATE TABLE archives_v16 (
      id TEXT PRIMARY KEY,
      user_id TEXT NOT NULL,
      pair_id TEXT NOT NULL,
      instance_id TEXT NOT NULL,
      via TEXT NOT NULL CHECK (via IN ('file', 's3', 'provider-snapshot')),
      location TEXT NOT NULL,
      provider TEXT,
      server_id TEXT,
      snapshot_id TEXT,
      op_id TEXT,
      bytes INTEGER,
      sha256 TEXT,
      created_at TEXT NOT NULL,
      expires_at TEXT NOT NULL,
      deleted_at TEXT,
      CHECK ((via = 'provider-snapshot') = (snapshot_id IS NOT NULL)),
      CHECK (via = 'provider-snapshot' OR (bytes IS NOT NULL AND sha256 IS NOT NULL))
    ) STRICT;
    INSERT INTO archives_v16 (id, user_id, pair_id, instance_id, via, location, bytes, sha256, created_at, expires_at, deleted_at)
      SELECT id, user_id, pair_id, instance_id,
             CASE WHEN location LIKE 's3://%' THEN 's3' ELSE 'file' END,
             location, bytes, sha256, created_at, expires_at, deleted_at
      FROM archives;
    DROP TABLE archives;
    ALTER TABLE archives_v16 RENAME TO archives;
    CREATE INDEX archives_expiry ON archives(expires_at) WHERE deleted_at IS NULL;
    CREATE INDEX archives_by_op ON archives(op_id, instance_id) WHERE op_id IS NOT NULL;
  `,
}
