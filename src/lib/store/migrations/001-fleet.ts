import type { Migration } from './migration.js'

/** The fleet, plans, the operations journal, the audit trail and events. */
export const fleet: Migration = {
  version: 1,
  name: 'fleet, plans, journal, audit, events',
  sql: `
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;

    CREATE TABLE pairs (
      id TEXT PRIMARY KEY,
      user_id TEXT NOT NULL,
      labels TEXT NOT NULL DEFAULT '{}',
      created_at TEXT NOT NULL,
      updated_at TEXT NOT NULL
    ) STRICT;
    CREATE INDEX pairs_user ON pairs(user_id);

    CREATE TABLE instances (
      id TEXT PRIMARY KEY,
      pair_id TEXT NOT NULL REFERENCES pairs(id),
      user_id TEXT NOT NULL,
      provider TEXT NOT NULL,
      region TEXT NOT NULL,
      tier TEXT NOT NULL,
      role TEXT NOT NULL CHECK (role IN ('primary','standby')),
      state TEXT NOT NULL,
      provider_id TEXT,
      ip TEXT,
      tailscale_name TEXT,
      node_id TEXT,
      labels TEXT NOT NULL DEFAULT '{}',
      health_score INTEGER,
      last_heartbeat_at TEXT,
      created_at TEXT NOT NULL,
      updated_at TEXT NOT NULL
    ) STRICT;
    -- Covering indexes: fleet status aggregates 20,000 rows from these without touching the table.
    CREATE INDEX instances_pair ON instances(pair_id, state, role, user_id);
    CREATE INDEX instances_dims ON instances(provider, region, tier, state);
    CREATE INDEX instances_user ON instances(user_id);
    CREATE INDEX instances_state ON instances(state);
    CREATE INDEX instances_node ON instances(node_id);

    CREATE TABLE plans (
      id TEXT PRIMARY KEY,
      kind TEXT NOT NULL,
      actor TEXT NOT NULL,
      params TEXT NOT NULL,
      body TEXT NOT NULL,
      fingerprint TEXT NOT NULL,
      status TEXT NOT NULL CHECK (status IN ('pending','executed','expired')),
      op_id TEXT,
      created_at TEXT NOT NULL,
      expires_at TEXT NOT NULL
    ) STRICT;

    CREATE TABLE operations (
      id TEXT PRIMARY KEY,
      kind TEXT NOT NULL,
      plan_id TEXT NOT NULL,
      actor TEXT NOT NULL,
      state TEXT NOT NULL CHECK (state IN ('running','done','failed','partial')),
      params TEXT NOT NULL,
      summary TEXT NOT NULL,
      lease_owner TEXT,
      lease_until TEXT,
      created_at TEXT NOT NULL,
      updated_at TEXT NOT NULL,
      finished_at TEXT,
      error TEXT
    ) STRICT;
    CREATE INDEX operations_state ON operations(state);

    CREATE TABLE op_steps (
      op_id TEXT NOT NULL REFERENCES operations(id),
      seq INTEGER NOT NULL,
      name TEXT NOT NULL,
      target TEXT,
      input TEXT NOT NULL,
      state TEXT NOT NULL CHECK (state IN ('pending','running','done','failed')),
      attempts INTEGER NOT NULL DEFAULT 0,
      checkpoint TEXT,
      result TEXT,
      error TEXT,
      started_at TEXT,
      finished_at TEXT,
      PRIMARY KEY (op_id, seq)
    ) STRICT;

    CREATE TABLE audit (
      seq INTEGER PRIMARY KEY,
      ts TEXT NOT NULL,
      actor TEXT NOT NULL,
      action TEXT NOT NULL,
      target TEXT,
      op_id TEXT,
      plan_id TEXT,
      outcome TEXT NOT NULL,
      details TEXT NOT NULL,
      prev_hash TEXT NOT NULL,
      hash TEXT NOT NULL
    ) STRICT;
    CREATE INDEX audit_actor ON audit(actor);
    CREATE INDEX audit_target ON audit(target);

    CREATE TABLE events (
      id TEXT PRIMARY KEY,
      type TEXT NOT NULL,
      severity TEXT NOT NULL,
      instance_id TEXT,
      pair_id TEXT,
      provider TEXT,
      region TEXT,
      payload TEXT NOT NULL,
      created_at TEXT NOT NULL
    ) STRICT;
    CREATE INDEX events_created ON events(created_at);
  `,
  // The audit trail is append-only in the database itself, whoever connects to it.
  sqlite: `
    CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'audit trail is append-only'); END;
    CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'audit trail is append-only'); END;
  `,
  postgres: `
    CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'audit trail is append-only' USING ERRCODE = 'restrict_violation';
    END $$;
    CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit FOR EACH ROW EXECUTE FUNCTION audit_append_only();
    CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit FOR EACH ROW EXECUTE FUNCTION audit_append_only();
    CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();
  `,
}
