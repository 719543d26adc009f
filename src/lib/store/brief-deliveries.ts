/**
 * Rows of `brief_deliveries` (migration 6): messages to the operator through the gateway's channels.
 * A row is created (state `sending`) before the send and its id is the gateway's idempotencyKey; the
 * answer moves it to `sent`, `queued` (the gateway holds it and retries on its own: never resend),
 * `failed` (with the error) or `skipped` (an alert that was silenced or folded into another).
 */
import type { Store } from './store.js'

export type DeliveryState = 'sending' | 'sent' | 'queued' | 'failed' | 'skipped'

export interface DeliveryMedia {
  path: string
  contentType: string
  filename: string
  bytes: number
  asVoice: boolean
}

export interface DeliveryError {
  code: string
  reason: string
  message: string
  gateway?: { code: string; message: string; detailCode?: string }
}

export interface BriefDelivery {
  id: string
  subject: 'briefing' | 'alert'
  briefingId: string | null
  eventId: string | null
  rule: string | null
  scopeKey: string | null
  channel: string
  target: string
  accountId: string | null
  body: string
  media: DeliveryMedia | null
  state: DeliveryState
  attempts: number
  messageId: string | null
  error: DeliveryError | null
  createdAt: string
  updatedAt: string
  sentAt: string | null
}

interface Row {
  id: string
  subject: BriefDelivery['subject']
  briefing_id: string | null
  event_id: string | null
  rule: string | null
  scope_key: string | null
  channel: string
  target: string
  account_id: string | null
  body: string
  media: string | null
  state: DeliveryState
  attempts: number
  message_id: string | null
  error: string | null
  created_at: string
  updated_at: string
  sent_at: string | null
}

const fromRow = (r: Row): BriefDelivery => ({
  id: r.id,
  subject: r.subject,
  briefingId: r.briefing_id,
  eventId: r.event_id,
  rule: r.rule,
  scopeKey: r.scope_key,
  channel: r.channel,
  target: r.target,
  accountId: r.account_id,
  body: r.body,
  media: r.media === null ? null : JSON.parse(r.media),
  state: r.state,
  attempts: r.attempts,
  messageId: r.message_id,
  error: r.error === null ? null : JSON.parse(r.error),
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  sentAt: r.sent_at,
})

export type NewDelivery = Pick<
  BriefDelivery,
  'id' | 'subject' | 'channel' | 'target' | 'body' | 'createdAt'
> &
  Partial<Pick<BriefDelivery, 'briefingId' | 'eventId' | 'rule' | 'scopeKey' | 'accountId' | 'media'>> & {
    state?: DeliveryState
    error?: DeliveryError | null
  }

export class BriefDeliveries {
  constructor(private readonly store: Store) {}

  /** Creates the row; false when an alert for this event and channel exists already. */
  create(d: NewDelivery): boolean {
    const r = this.store.db
      .prepare(
        `INSERT INTO brief_deliveries (id, subject, briefing_id, event_id, rule, scope_key, channel, target, account_id,
           body, media, state, error, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (event_id, channel) DO NOTHING`,
      )
      .run(
        d.id,
        d.subject,
        d.briefingId ?? null,
        d.eventId ?? null,
        d.rule ?? null,
        d.scopeKey ?? null,
        d.channel,
        d.target,
        d.accountId ?? null,
        d.body,
        d.media ? JSON.stringify(d.media) : null,
        d.state ?? 'sending',
        d.error ? JSON.stringify(d.error) : null,
        d.createdAt,
        d.createdAt,
      )
    return Number(r.changes) === 1
  }

  get(id: string): BriefDelivery | undefined {
    const r = this.store.db.prepare('SELECT * FROM brief_deliveries WHERE id = ?').get(id) as Row | undefined
    return r && fromRow(r)
  }

  /** Counts the attempt before the send, so a crash after it still shows that one was made. */
  markAttempt(id: string, now: string): void {
    this.store.db
      .prepare('UPDATE brief_deliveries SET attempts = attempts + 1, updated_at = ? WHERE id = ?')
      .run(now, id)
  }

  finish(
    id: string,
    outcome: {
      state: Exclude<DeliveryState, 'sending'>
      messageId?: string | null
      error?: DeliveryError | null
    },
    now: string,
  ): void {
    this.store.db
      .prepare(
        `UPDATE brief_deliveries SET state = ?, message_id = ?, error = ?, updated_at = ?,
           sent_at = CASE WHEN ? = 'sent' THEN ? ELSE sent_at END WHERE id = ?`,
      )
      .run(
        outcome.state,
        outcome.messageId ?? null,
        outcome.error ? JSON.stringify(outcome.error) : null,
        now,
        outcome.state,
        now,
        id,
      )
  }

  forBriefing(briefingId: string): BriefDelivery[] {
    return (
      this.store.db
        .prepare('SELECT * FROM brief_deliveries WHERE briefing_id = ? ORDER BY created_at, id')
        .all(briefingId) as unknown as Row[]
    ).map(fromRow)
  }

  forEvent(eventId: string): BriefDelivery[] {
    return (
      this.store.db
        .prepare('SELECT * FROM brief_deliveries WHERE event_id = ? ORDER BY created_at, id')
        .all(eventId) as unknown as Row[]
    ).map(fromRow)
  }

  /** Alerts to try again: never sent, or failed, with attempts left and the last one before `before`. */
  alertsToRetry(maxAttempts: number, before: string): BriefDelivery[] {
    return (
      this.store.db
        .prepare(
          `SELECT * FROM brief_deliveries WHERE subject = 'alert' AND state IN ('sending', 'failed')
             AND attempts < ? AND updated_at <= ? ORDER BY created_at, id`,
        )
        .all(maxAttempts, before) as unknown as Row[]
    ).map(fromRow)
  }

  /** Whether an alert of this rule and scope went out (or is queued) since `since`. */
  alertedSince(rule: string, scopeKey: string, since: string, channel: string): boolean {
    return (
      this.store.db
        .prepare(
          `SELECT 1 FROM brief_deliveries WHERE subject = 'alert' AND rule = ? AND scope_key = ? AND channel = ?
             AND created_at >= ? AND state IN ('sending', 'sent', 'queued') LIMIT 1`,
        )
        .get(rule, scopeKey, channel, since) !== undefined
    )
  }

  /** Events of `types` created since `since` that have no delivery row yet, in no particular order. */
  undeliveredEvents(since: string, types: readonly string[]): string[] {
    return (
      this.store.db
        .prepare(
          `SELECT id FROM events WHERE created_at >= ? AND type IN (${types.map(() => '?').join(',')})
             AND id NOT IN (SELECT event_id FROM brief_deliveries WHERE event_id IS NOT NULL)`,
        )
        .all(since, ...types) as { id: string }[]
    ).map((r) => r.id)
  }

  recent(limit = 50): BriefDelivery[] {
    return (
      this.store.db
        .prepare('SELECT * FROM brief_deliveries ORDER BY created_at DESC, id DESC LIMIT ?')
        .all(limit) as unknown as Row[]
    ).map(fromRow)
  }
}
