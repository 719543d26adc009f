import type { Migration } from './migration.js'

/**
 * Health history and incidents. Raw samples are kept briefly; roll-ups (hourly, then daily) keep 30
 * days for trends, waste detection and provider scores. Incidents are shared by watch (which opens
 * them), the Ledger (provider scores) and the Briefer (patterns).
 */
export const health: Migration = {
  version: 3,
  name: 'health history and incidents',
  sql: `
    CREATE TABLE health_samples (
      instance_id TEXT NOT NULL,
      ts TEXT NOT NULL,
      score INTEGER NOT NULL,
      heartbeat_age_s INTEGER,
      cpu_pct REAL,
      mem_pct REAL,
      disk_pct REAL,
      openclaw_ok INTEGER,
      PRIMARY KEY (instance_id, ts)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX health_samples_ts ON health_samples(ts);

    CREATE TABLE health_rollups (
      instance_id TEXT NOT NULL,
      bucket TEXT NOT NULL CHECK (bucket IN ('hour', 'day')),
      start TEXT NOT NULL,
      n INTEGER NOT NULL,
      score_avg REAL NOT NULL,
      score_min INTEGER NOT NULL,
      cpu_avg REAL,
      cpu_max REAL,
      mem_avg REAL,
      mem_max REAL,
      down_samples INTEGER NOT NULL DEFAULT 0,
      PRIMARY KEY (instance_id, bucket, start)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX health_rollups_start ON health_rollups(bucket, start);

    CREATE TABLE incidents (
      id TEXT PRIMARY KEY,
      provider TEXT,
      region TEXT,
      kind TEXT NOT NULL,
      status TEXT NOT NULL CHECK (status IN ('open', 'mitigated', 'resolved')),
      severity TEXT NOT NULL,
      title TEXT NOT NULL,
      opened_at TEXT NOT NULL,
      resolved_at TEXT,
      root_cause TEXT,
      timeline TEXT NOT NULL DEFAULT '[]',
      actions TEXT NOT NULL DEFAULT '[]',
      action_items TEXT NOT NULL DEFAULT '[]'
    ) STRICT;
    CREATE INDEX incidents_opened ON incidents(opened_at);
    CREATE INDEX incidents_scope ON incidents(provider, region, status);
  `,
}
