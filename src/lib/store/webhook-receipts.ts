/**
 * The replay store of the webhook receiver: every verified (source, webhook-id) is recorded before it
 * is acted on, so the same message is never processed twice. Kept a day, far longer than the
 * 5-minute signature tolerance a replay would have to fit in.
 */
import type { Store } from './store.js'

export interface WebhookReceipt {
  source: string
  webhookId: string
  receivedAt: string
  signedAt: string
  type: string | null
  payload: unknown
  outcome: string
}

export class WebhookReceipts {
  constructor(private readonly store: Store) {}

  /** Records a first sighting; false when this (source, id) was seen before: a replay. */
  claim(r: Omit<WebhookReceipt, 'outcome'>): boolean {
    const res = this.store.db
      .prepare(
        `INSERT INTO webhook_receipts (source, webhook_id, received_at, signed_at, type, payload, outcome)
         VALUES (?, ?, ?, ?, ?, ?, 'received') ON CONFLICT (source, webhook_id) DO NOTHING`,
      )
      .run(r.source, r.webhookId, r.receivedAt, r.signedAt, r.type, JSON.stringify(r.payload ?? null))
    return Number(res.changes) > 0
  }

  setOutcome(source: string, webhookId: string, outcome: string): void {
    this.store.db
      .prepare('UPDATE webhook_receipts SET outcome = ? WHERE source = ? AND webhook_id = ?')
      .run(outcome, source, webhookId)
  }

  get(source: string, webhookId: string): WebhookReceipt | undefined {
    const r = this.store.db
      .prepare('SELECT * FROM webhook_receipts WHERE source = ? AND webhook_id = ?')
      .get(source, webhookId) as
      | {
          source: string
          webhook_id: string
          received_at: string
          signed_at: string
          type: string | null
          payload: string | null
          outcome: string
        }
      | undefined
    return (
      r && {
        source: r.source,
        webhookId: r.webhook_id,
        receivedAt: r.received_at,
        signedAt: r.signed_at,
        type: r.type,
        payload: r.payload === null ? null : JSON.parse(r.payload),
        outcome: r.outcome,
      }
    )
  }

  prune(before: string): number {
    return Number(
      this.store.db.prepare('DELETE FROM webhook_receipts WHERE received_at < ?').run(before).changes,
    )
  }
}
