import type { Migration } from './migration.js'

/**
 * What the Briefer keeps.
 *
 * - briefings: every briefing generated (daily, weekly, monthly): its window, the structured facts and
 *   the three renderings (plain text, Markdown for chat, spoken for voice), so a delivery can name the
 *   exact briefing it sent and an agent can ask what was said.
 * - briefer_log: the Briefer's incident log, its memory across briefings. One row per notable thing
 *   (a provider incident, the failovers of a day in one region, an SLA breach, an escalated heal, a
 *   provisioning failure, a cost anomaly), keyed by where it came from, so logging the same thing
 *   twice changes nothing. Later briefings count rows of the same kind and place to name patterns
 *   ("the third Nuremberg incident in 30 days"); it is also rendered into the agent workspace as
 *   memory/YYYY-MM-DD-incident-log.md.
 * - brief_deliveries: every message sent to the operator through the gateway's channels, briefings and
 *   real-time alerts alike. The row is written before the send and its id is the gateway's
 *   idempotencyKey, so a retry after a crash is answered with the original send. An alert is sent at
 *   most once per event and channel (UNIQUE).
 *
 * No foreign keys to instances or pairs: lab data is replaced wholesale and this history outlives it.
 */
export const briefings: Migration = {
  version: 6,
  name: 'briefings: briefings, the Briefer incident log, operator deliveries',
  sql: `
    CREATE TABLE briefings (
      id TEXT PRIMARY KEY,
      kind TEXT NOT NULL CHECK (kind IN ('daily', 'weekly', 'monthly')),
      window_start TEXT NOT NULL,
      window_end TEXT NOT NULL,
      actor TEXT NOT NULL,
      facts TEXT NOT NULL,
      text TEXT NOT NULL,
      markdown TEXT NOT NULL,
      spoken TEXT NOT NULL,
      created_at TEXT NOT NULL
    ) STRICT;
    CREATE INDEX briefings_kind ON briefings(kind, created_at);

    CREATE TABLE briefer_log (
      id TEXT PRIMARY KEY,
      source TEXT NOT NULL,
      source_id TEXT NOT NULL,
      kind TEXT NOT NULL,
      at TEXT NOT NULL,
      provider TEXT,
      region TEXT,
      severity TEXT NOT NULL,
      title TEXT NOT NULL,
      detail TEXT NOT NULL DEFAULT '{}',
      briefing_id TEXT,
      logged_at TEXT NOT NULL,
      updated_at TEXT NOT NULL,
      UNIQUE (source, source_id)
    ) STRICT;
    CREATE INDEX briefer_log_at ON briefer_log(at);
    CREATE INDEX briefer_log_scope ON briefer_log(kind, provider, region, at);

    CREATE TABLE brief_deliveries (
      id TEXT PRIMARY KEY,
      subject TEXT NOT NULL CHECK (subject IN ('briefing', 'alert')),
      briefing_id TEXT,
      event_id TEXT,
      rule TEXT,
      scope_key TEXT,
      channel TEXT NOT NULL,
      target TEXT NOT NULL,
      account_id TEXT,
      body TEXT NOT NULL,
      media TEXT,
      state TEXT NOT NULL CHECK (state IN ('sending', 'sent', 'queued', 'failed', 'skipped')),
      attempts INTEGER NOT NULL DEFAULT 0,
      message_id TEXT,
      error TEXT,
      created_at TEXT NOT NULL,
      updated_at TEXT NOT NULL,
      sent_at TEXT,
      UNIQUE (event_id, channel)
    ) STRICT;
    CREATE INDEX brief_deliveries_state ON brief_deliveries(state, subject, updated_at);
    CREATE INDEX brief_deliveries_scope ON brief_deliveries(rule, scope_key, created_at);
    CREATE INDEX brief_deliveries_briefing ON brief_deliveries(briefing_id);
  `,
}
