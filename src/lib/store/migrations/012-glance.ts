import type { Migration } from './migration.js'

/**
 * What the fleet-at-a-glance read model (`fleet status`, the gateway plugin) needs beyond the live
 * rows, so a snapshot of 10,000 pairs stays a handful of indexed reads:
 *
 * - glance_snapshots: the Ledger's month-to-date cost and the provider health scores, computed at most
 *   hourly (by watch, or by `fleet status` when none is fresh) and read as they are. One row per kind
 *   and period: the month ('2026-12') for cost, the UTC day ('2026-12-05') for provider scores, whose
 *   last seven rows are the 7-day trend.
 * - watch_runs: one row per `clawops watch` process: when it started, its last cycle, its last sign
 *   of life and when it stopped, so anyone reading the store can tell whether watch is alive.
 * - an index covering each provider region's counts and mean health score.
 */
export const glance: Migration = {
  version: 12,
  name: 'glance: ledger and provider-score snapshots, watch runs',
  sql: `
    CREATE TABLE glance_snapshots (
      kind TEXT NOT NULL,
      period TEXT NOT NULL,
      computed_at TEXT NOT NULL,
      body TEXT NOT NULL,
      PRIMARY KEY (kind, period)
    ) STRICT;

    CREATE TABLE watch_runs (
      id TEXT PRIMARY KEY,
      mode TEXT NOT NULL CHECK (mode IN ('daemon', 'once')),
      heal INTEGER NOT NULL,
      pid INTEGER NOT NULL,
      host TEXT NOT NULL,
      interval_ms INTEGER NOT NULL,
      started_at TEXT NOT NULL,
      last_seen_at TEXT NOT NULL,
      last_cycle_at TEXT,
      last_cycle_ms INTEGER,
      last_cycle_swept INTEGER,
      last_cycle_skipped TEXT,
      cycles INTEGER NOT NULL DEFAULT 0,
      stopped_at TEXT
    ) STRICT;
    CREATE INDEX watch_runs_seen ON watch_runs(last_seen_at);

    -- Each provider region's health in one covering scan (fleet status's map).
    CREATE INDEX instances_region_health ON instances(provider, region, state, health_score);
  `,
}
