import type { Migration } from './migration.js'

/**
 * Rolling upgrades of the users' OpenClaw and of gf-clawnode (`clawops openclaw upgrade`,
 * `clawops clawnode upgrade`):
 *
 * - upgrade_rollouts: one row per upgrade or rollback operation (the id follows the operation's), the
 *   target version, the release it installs (file and SHA-256 from the release location's index),
 *   status, settings, the batch in flight and the failures an operator accepted by resuming a halt.
 * - upgrade_targets: one row per instance of an upgrade: its batch, where it stands (pending,
 *   upgrading: the node was asked under the row's key, done), the outcome and why, the version before
 *   and after, whether the node put the previous version and state back (and found the state intact),
 *   and, after a rollback of the rollout, whether it was reverted.
 * - instance_versions: the last OpenClaw and gf-clawnode versions each instance reported (to
 *   `openclaw versions` or an upgrade), for fleet status and briefings without asking every node.
 */
export const upgrades: Migration = {
  version: 17,
  name: 'upgrades: rolling OpenClaw and gf-clawnode upgrades, instance versions',
  sql: `
    CREATE TABLE upgrade_rollouts (
      id TEXT PRIMARY KEY,
      op_id TEXT NOT NULL UNIQUE,
      plan_id TEXT NOT NULL,
      kind TEXT NOT NULL CHECK (kind IN ('openclaw', 'clawnode', 'rollback')),
      target_version TEXT NOT NULL,
      release TEXT,
      reverts_rollout TEXT REFERENCES upgrade_rollouts(id),
      status TEXT NOT NULL CHECK (status IN ('running', 'pausing', 'paused', 'halted', 'complete', 'rolling-back', 'rolled-back')),
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
    CREATE INDEX upgrade_rollouts_status ON upgrade_rollouts (status, created_at);

    CREATE TABLE upgrade_targets (
      rollout_id TEXT NOT NULL REFERENCES upgrade_rollouts(id),
      instance_id TEXT NOT NULL,
      batch INTEGER NOT NULL,
      pos INTEGER NOT NULL,
      pair_id TEXT NOT NULL,
      user_id TEXT NOT NULL,
      role TEXT NOT NULL,
      state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'upgrading', 'done')),
      outcome TEXT CHECK (outcome IN ('upgraded', 'unchanged', 'skipped', 'blocked', 'failed')),
      reason TEXT,
      detail TEXT,
      from_version TEXT,
      version TEXT,
      rolled_back INTEGER,
      state_intact INTEGER,
      healthy INTEGER,
      ms INTEGER,
      revert_state TEXT CHECK (revert_state IN ('reverting', 'reverted', 'superseded', 'failed', 'not-applied')),
      revert_detail TEXT,
      attempts INTEGER NOT NULL DEFAULT 0,
      updated_at TEXT NOT NULL,
      PRIMARY KEY (rollout_id, instance_id)
    ) STRICT;
    CREATE INDEX upgrade_targets_batch ON upgrade_targets (rollout_id, batch, pos);

    CREATE TABLE instance_versions (
      instance_id TEXT PRIMARY KEY,
      openclaw TEXT,
      clawnode TEXT,
      checked_at TEXT NOT NULL
    ) STRICT;
  `,
}
