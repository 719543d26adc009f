import type { Migration } from './migration.js'

/**
 * What `clawops watch`, heal and failover keep. No foreign keys to instances or pairs: lab data is
 * replaced wholesale (`lab seed --replace`) and this history must outlive the rows it names.
 *
 * - instance_health: the monitor's memory per instance (when it went bad, presence, last heal), so
 *   DEGRADED → FAILED can be timed and heals are not repeated every cycle.
 * - silences: matchers (provider, region, instance, event type) with an expiry.
 * - watch_outbox / watch_deliveries: the durable event outbox. One outbox row per (event, target
 *   agent) with a dedupe key unique per target; rows are posted in deliveries whose id is the
 *   gateway's Idempotency-Key and whose body is fixed when the delivery is created, so a retry after
 *   a crash replays the identical request.
 * - webhook_receipts: the replay store of the webhook receiver (source + webhook-id).
 * - reprovision_queue: replacement standbys waiting for their provider to recover.
 * - failovers: every promotion, for the blast-radius rule, exposure and incident reports.
 * - watch_episodes: start times of open conditions (provider degraded, backlog), so one episode gives
 *   one event however many cycles it lasts.
 */
export const watch: Migration = {
  version: 7,
  name: 'watch: health memory, silences, event outbox, webhook replay store, reprovision queue, failovers',
  sql: `
    CREATE TABLE instance_health (
      instance_id TEXT PRIMARY KEY,
      last_probe_at TEXT,
      last_score INTEGER,
      bad_since TEXT,
      connected INTEGER,
      presence_at TEXT,
      last_heal_at TEXT,
      last_heal_op TEXT,
      last_error TEXT
    ) STRICT;

    CREATE TABLE silences (
      id TEXT PRIMARY KEY,
      provider TEXT,
      region TEXT,
      instance_id TEXT,
      event_type TEXT,
      reason TEXT NOT NULL,
      created_by TEXT NOT NULL,
      created_at TEXT NOT NULL,
      expires_at TEXT NOT NULL,
      removed_at TEXT,
      removed_by TEXT
    ) STRICT;
    CREATE INDEX silences_active ON silences(expires_at) WHERE removed_at IS NULL;

    CREATE TABLE watch_deliveries (
      id TEXT PRIMARY KEY,
      target TEXT NOT NULL,
      agent_id TEXT NOT NULL,
      session_key TEXT NOT NULL,
      body TEXT NOT NULL,
      events INTEGER NOT NULL,
      state TEXT NOT NULL CHECK (state IN ('sending', 'delivered')),
      attempts INTEGER NOT NULL DEFAULT 0,
      next_attempt_at TEXT NOT NULL,
      last_attempt_at TEXT,
      last_status INTEGER,
      last_error TEXT,
      run_id TEXT,
      created_at TEXT NOT NULL,
      delivered_at TEXT
    ) STRICT;
    CREATE INDEX watch_deliveries_due ON watch_deliveries(state, next_attempt_at);
    CREATE INDEX watch_deliveries_target ON watch_deliveries(target, created_at);

    CREATE TABLE watch_outbox (
      id TEXT PRIMARY KEY,
      event_id TEXT NOT NULL,
      target TEXT NOT NULL,
      dedupe_key TEXT NOT NULL,
      priority INTEGER NOT NULL,
      state TEXT NOT NULL CHECK (state IN ('pending', 'sending', 'delivered', 'silenced')),
      delivery_id TEXT,
      silence_id TEXT,
      created_at TEXT NOT NULL,
      updated_at TEXT NOT NULL,
      UNIQUE (target, dedupe_key)
    ) STRICT;
    CREATE INDEX watch_outbox_pending ON watch_outbox(state, target, priority, created_at);
    CREATE INDEX watch_outbox_delivery ON watch_outbox(delivery_id);
    CREATE INDEX watch_outbox_event ON watch_outbox(event_id);

    CREATE TABLE webhook_receipts (
      source TEXT NOT NULL,
      webhook_id TEXT NOT NULL,
      received_at TEXT NOT NULL,
      signed_at TEXT NOT NULL,
      type TEXT,
      payload TEXT,
      outcome TEXT NOT NULL,
      PRIMARY KEY (source, webhook_id)
    ) STRICT;
    CREATE INDEX webhook_receipts_received ON webhook_receipts(received_at);

    CREATE TABLE reprovision_queue (
      id TEXT PRIMARY KEY,
      pair_id TEXT NOT NULL,
      replaces_instance_id TEXT NOT NULL,
      provider TEXT NOT NULL,
      region TEXT NOT NULL,
      tier TEXT NOT NULL,
      reason TEXT NOT NULL,
      state TEXT NOT NULL CHECK (state IN ('waiting', 'ready', 'claimed', 'done', 'cancelled')),
      incident_id TEXT,
      op_id TEXT,
      created_at TEXT NOT NULL,
      ready_at TEXT,
      claimed_at TEXT,
      finished_at TEXT,
      UNIQUE (pair_id, replaces_instance_id)
    ) STRICT;
    CREATE INDEX reprovision_state ON reprovision_queue(state, provider, region);

    CREATE TABLE failovers (
      id TEXT PRIMARY KEY,
      op_id TEXT NOT NULL,
      pair_id TEXT NOT NULL,
      user_id TEXT NOT NULL,
      from_instance_id TEXT NOT NULL,
      to_instance_id TEXT NOT NULL,
      provider TEXT NOT NULL,
      region TEXT NOT NULL,
      state TEXT NOT NULL CHECK (state IN ('promoting', 'promoted', 'complete', 'failed')),
      reason TEXT,
      actor TEXT NOT NULL,
      started_at TEXT NOT NULL,
      finished_at TEXT,
      error TEXT,
      UNIQUE (op_id, pair_id)
    ) STRICT;
    CREATE INDEX failovers_scope ON failovers(provider, region, started_at);
    CREATE INDEX failovers_pair ON failovers(pair_id, started_at);

    CREATE TABLE watch_episodes (
      key TEXT PRIMARY KEY,
      started_at TEXT NOT NULL,
      detail TEXT
    ) STRICT;
  `,
}
