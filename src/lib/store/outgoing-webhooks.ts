/**
 * Rows of `webhooks_out` (migration 8): signed webhooks owed to COMPANION, written before they are
 * sent and kept until delivered (or given up on), so a crash or an outage delays one, never loses it.
 */
import type { Store } from './store.js'

export type OutgoingWebhookState = 'pending' | 'delivered' | 'failed'

export interface OutgoingWebhook {
  id: string
  url: string
  body: string
  state: OutgoingWebhookState
  attempts: number
}

export class OutgoingWebhooks {
  constructor(private readonly store: Store) {}

  /** Records a pending webhook; an id recorded before is left as it is (a retried enqueue). */
  enqueue(w: { id: string; url: string; type: string; body: string; createdAt: string }): void {
    this.store.db
      .prepare(
        `INSERT INTO webhooks_out (id, url, type, body, state, created_at) VALUES (?, ?, ?, ?, 'pending', ?)
         ON CONFLICT (id) DO NOTHING`,
      )
      .run(w.id, w.url, w.type, w.body, w.createdAt)
  }

  get(id: string): OutgoingWebhook | undefined {
    return this.store.db
      .prepare('SELECT id, url, body, state, attempts FROM webhooks_out WHERE id = ?')
      .get(id) as OutgoingWebhook | undefined
  }

  /** Ids of the webhooks still to send, oldest first. */
  pending(): string[] {
    return (
      this.store.db
        .prepare("SELECT id FROM webhooks_out WHERE state = 'pending' ORDER BY created_at")
        .all() as {
        id: string
      }[]
    ).map((r) => r.id)
  }

  /** Records a failed attempt: `attempts` is the new total, `state` pending (retry) or failed (given up). */
  recordFailure(id: string, attempts: number, state: 'pending' | 'failed', error: string): void {
    this.store.db
      .prepare('UPDATE webhooks_out SET attempts = ?, state = ?, last_error = ? WHERE id = ?')
      .run(attempts, state, error, id)
  }

  markDelivered(id: string, now: string): void {
    this.store.db
      .prepare(
        "UPDATE webhooks_out SET state = 'delivered', attempts = attempts + 1, delivered_at = ? WHERE id = ?",
      )
      .run(now, id)
  }
}
