import type { Migration } from './migration.js'

/**
 * The Ledger's facts: what each instance is billed (one segment per plan it ran on, opened at create
 * and closed at resize or delete), when each user was last active in their gateway, and how each
 * provisioning attempt went. Cost reports, the waste scan, provider scores and capacity plans are
 * computed from these rows, so a number is reproducible from the store alone.
 */
export const ledger: Migration = {
  version: 2,
  name: 'ledger: billing segments, user activity, provisioning history',
  sql: `
    CREATE TABLE billing_segments (
      id INTEGER PRIMARY KEY,
      instance_id TEXT NOT NULL,
      pair_id TEXT NOT NULL,
      user_id TEXT NOT NULL,
      role TEXT NOT NULL,
      provider TEXT NOT NULL,
      region TEXT NOT NULL,
      tier TEXT NOT NULL,
      plan TEXT NOT NULL,
      currency TEXT NOT NULL,
      billing TEXT NOT NULL CHECK (billing IN ('hourly', 'monthly')),
      -- Monthly price (the cap of hourly billing, the monthly price of a contract) in minor units.
      monthly_minor INTEGER NOT NULL CHECK (monthly_minor >= 0),
      -- Hourly rate in millionths of the currency unit (exact for published rates like 0.01786).
      hourly_micros INTEGER,
      tick_seconds INTEGER NOT NULL DEFAULT 3600,
      minimum_seconds INTEGER NOT NULL DEFAULT 0,
      term_months INTEGER NOT NULL DEFAULT 1 CHECK (term_months >= 1),
      price_source TEXT NOT NULL,
      start TEXT NOT NULL,
      "end" TEXT,
      open_reason TEXT NOT NULL,
      close_reason TEXT,
      CHECK ("end" IS NULL OR "end" >= start)
    ) STRICT;
    CREATE UNIQUE INDEX billing_one_open ON billing_segments(instance_id) WHERE "end" IS NULL;
    CREATE INDEX billing_instance ON billing_segments(instance_id, start);
    CREATE INDEX billing_span ON billing_segments(start, "end");

    CREATE TABLE user_activity (
      user_id TEXT PRIMARY KEY,
      last_active_at TEXT NOT NULL,
      source TEXT NOT NULL,
      updated_at TEXT NOT NULL
    ) STRICT;

    CREATE TABLE provision_attempts (
      id TEXT PRIMARY KEY,
      provider TEXT NOT NULL,
      region TEXT NOT NULL,
      tier TEXT NOT NULL,
      role TEXT NOT NULL,
      instance_id TEXT,
      pair_id TEXT,
      op_id TEXT,
      started_at TEXT NOT NULL,
      finished_at TEXT NOT NULL,
      outcome TEXT NOT NULL CHECK (outcome IN ('ok', 'failed')),
      -- Provider calls it took: 1 is a clean create, more means the create was retried.
      attempts INTEGER NOT NULL DEFAULT 1 CHECK (attempts >= 1),
      error_code TEXT
    ) STRICT;
    CREATE INDEX provision_attempts_started ON provision_attempts(started_at, provider);
  `,
}
