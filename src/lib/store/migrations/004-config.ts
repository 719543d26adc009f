import type { Migration } from './migration.js'

/**
 * Config pushes to the users' gateways (`clawops config push`). No foreign keys to instances: the
 * history of what was pushed where must outlive the instances it names.
 *
 * - config_versions: every pushed change (and every rollback) with a version number, the document and
 *   its diff. Never edited.
 * - config_rollouts: one row per push or rollback operation (the rollout id is derived from the
 *   operation id): its status (running, paused, halted, complete, rolled back), settings and progress.
 * - config_rollout_targets: one row per instance of a push: its batch, where it stands (pending, a
 *   push in flight, done), its outcome, and the hashes that make a resumed push and a rollback exact:
 *   the file's hash and its kept previous version's hash before the push, the digest of the config
 *   pushed, the file's hash after. `revert_state` records the rollback of this instance.
 * - config_rollout_changes: the distinct changes a push made (redacted), keyed by digest, so the diff
 *   is stored once however many instances it touched.
 */
export const config: Migration = {
  version: 4,
  name: 'config rollouts and versions',
  sql: `
    CREATE TABLE config_versions (
      version INTEGER PRIMARY KEY,
      rollout_id TEXT NOT NULL UNIQUE,
      kind TEXT NOT NULL,
      format TEXT,
      document TEXT,
      diff TEXT NOT NULL,
      reverts INTEGER,
      summary TEXT NOT NULL,
      actor TEXT NOT NULL,
      created_at TEXT NOT NULL
    ) STRICT;

    CREATE TABLE config_rollouts (
      id TEXT PRIMARY KEY,
      op_id TEXT NOT NULL UNIQUE,
      plan_id TEXT NOT NULL,
      kind TEXT NOT NULL,
      version INTEGER NOT NULL,
      reverts_rollout TEXT,
      status TEXT NOT NULL,
      settings TEXT NOT NULL,
      batches INTEGER NOT NULL,
      current_batch INTEGER NOT NULL DEFAULT 0,
      accepted TEXT,
      reason TEXT,
      actor TEXT NOT NULL,
      created_at TEXT NOT NULL,
      updated_at TEXT NOT NULL,
      finished_at TEXT
    ) STRICT;

    CREATE TABLE config_rollout_targets (
      rollout_id TEXT NOT NULL REFERENCES config_rollouts(id),
      instance_id TEXT NOT NULL,
      batch INTEGER NOT NULL,
      pos INTEGER NOT NULL,
      pair_id TEXT NOT NULL,
      user_id TEXT NOT NULL,
      role TEXT NOT NULL,
      state TEXT NOT NULL DEFAULT 'pending',
      outcome TEXT,
      reason TEXT,
      detail TEXT,
      pre_hash TEXT,
      pre_prev_hash TEXT,
      candidate_digest TEXT,
      change_digest TEXT,
      post_hash TEXT,
      restart INTEGER,
      healthy INTEGER,
      revert_state TEXT,
      revert_detail TEXT,
      attempts INTEGER NOT NULL DEFAULT 0,
      updated_at TEXT NOT NULL,
      PRIMARY KEY (rollout_id, instance_id)
    ) STRICT;
    CREATE INDEX config_rollout_targets_batch ON config_rollout_targets (rollout_id, batch, pos);

    CREATE TABLE config_rollout_changes (
      rollout_id TEXT NOT NULL,
      digest TEXT NOT NULL,
      changes TEXT NOT NULL,
      PRIMARY KEY (rollout_id, digest)
    ) STRICT;
  `,
}
