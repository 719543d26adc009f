/**
 * The durable event outbox of `clawops watch`. An event is written with one outbox row per target
 * agent in the same transaction as the event itself; (target, dedupe key) is unique, so a condition
 * seen on every cycle is queued once. Rows are posted in deliveries: a delivery's id is the
 * gateway's Idempotency-Key and its body is fixed when it is created, so every retry (including the
 * one after a crash) sends the identical request.
 */
import type { Store } from './store.js'

export type OutboxState = 'pending' | 'sending' | 'delivered' | 'silenced'

export interface OutboxRow {
  id: string
  eventId: string
  target: string
  dedupeKey: string
  priority: number
  state: OutboxState
  deliveryId: string | null
  silenceId: string | null
  createdAt: string
  updatedAt: string
}

export interface Delivery {
  id: string
  target: string
  agentId: string
  sessionKey: string
  body: string
  events: number
  state: 'sending' | 'delivered'
  attempts: number
  nextAttemptAt: string
  lastAttemptAt: string | null
  lastStatus: number | null
  lastError: string | null
  runId: string | null
  createdAt: string
  deliveredAt: string | null
}

interface RowR {
  id: string
  event_id: string
  target: string
  dedupe_key: string
  priority: number
  state: OutboxState
  delivery_id: string | null
  silence_id: string | null
  created_at: string
  updated_at: string
}

interface DeliveryR {
  id: string
  target: string
  agent_id: string
  session_key: string
  body: string
  events: number
  state: 'sending' | 'delivered'
  attempts: number
  next_attempt_at: string
  last_attempt_at: string | null
  last_status: number | null
  last_error: string | null
  run_id: string | null
  created_at: string
  delivered_at: string | null
}

const rowOf = (r: RowR): OutboxRow => ({
  id: r.id,
  eventId: r.event_id,
  target: r.target,
  dedupeKey: r.dedupe_key,
  priority: r.priority,
  state: r.state,
  deliveryId: r.delivery_id,
  silenceId: r.silence_id,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
})

const deliveryOf = (r: DeliveryR): Delivery => ({
  id: r.id,
  target: r.target,
  agentId: r.agent_id,
  sessionKey: r.session_key,
  body: r.body,
  events: r.events,
  state: r.state,
  attempts: r.attempts,
  nextAttemptAt: r.next_attempt_at,
  lastAttemptAt: r.last_attempt_at,
  lastStatus: r.last_status,
  lastError: r.last_error,
  runId: r.run_id,
  createdAt: r.created_at,
  deliveredAt: r.delivered_at,
})

export interface OutboxStats {
  pending: number
  sending: number
  delivered: number
  silenced: number
  oldestPendingAt: string | null
  /** Deliveries that have been retried at least 3 times and are still not accepted. */
  stuck: number
  lastError: string | null
}

export class Outbox {
  constructor(private readonly store: Store) {}

  /** Queues one row; false when (target, dedupe key) was queued before (a duplicate). */
  enqueue(r: Omit<OutboxRow, 'deliveryId' | 'updatedAt'>): boolean {
    const res = this.store.db
      .prepare(
        `INSERT INTO watch_outbox (id, event_id, target, dedupe_key, priority, state, silence_id, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (target, dedupe_key) DO NOTHING`,
      )
      .run(r.id, r.eventId, r.target, r.dedupeKey, r.priority, r.state, r.silenceId, r.createdAt, r.createdAt)
    return Number(res.changes) > 0
  }

  has(target: string, dedupeKey: string): boolean {
    return (
      this.store.db
        .prepare('SELECT 1 FROM watch_outbox WHERE target = ? AND dedupe_key = ?')
        .get(target, dedupeKey) !== undefined
    )
  }

  byEvent(eventId: string): OutboxRow[] {
    return (
      this.store.db
        .prepare('SELECT * FROM watch_outbox WHERE event_id = ? ORDER BY target')
        .all(eventId) as unknown as RowR[]
    ).map(rowOf)
  }

  pendingTargets(): string[] {
    return (
      this.store.db
        .prepare("SELECT DISTINCT target FROM watch_outbox WHERE state = 'pending' ORDER BY target")
        .all() as { target: string }[]
    ).map((r) => r.target)
  }

  /** Pending rows of a target, most urgent first, then oldest first. */
  pendingFor(target: string, limit: number): OutboxRow[] {
    return (
      this.store.db
        .prepare(
          `SELECT * FROM watch_outbox WHERE state = 'pending' AND target = ?
           ORDER BY priority DESC, created_at, id LIMIT ?`,
        )
        .all(target, limit) as unknown as RowR[]
    ).map(rowOf)
  }

  markSilenced(rowId: string, silenceId: string, now: string): void {
    this.store.db
      .prepare(
        "UPDATE watch_outbox SET state = 'silenced', silence_id = ?, updated_at = ? WHERE id = ? AND state = 'pending'",
      )
      .run(silenceId, now, rowId)
  }

  /**
   * Claims up to `limit` pending rows of `target` (most urgent, then oldest first) for one new delivery
   * whose fields `compose` makes from them, in one transaction; undefined when none is pending. On
   * PostgreSQL the rows are locked FOR UPDATE SKIP LOCKED, so deliverers in several processes on
   * several hosts claim disjoint rows and never wait on each other; an event is in one delivery only.
   */
  claim(
    target: string,
    limit: number,
    now: string,
    compose: (rows: OutboxRow[]) => Pick<Delivery, 'id' | 'target' | 'agentId' | 'sessionKey' | 'body'>,
  ): Delivery | undefined {
    return this.store.tx(
      () => {
        const rows = (
          this.store.db
            .prepare(
              `SELECT * FROM watch_outbox WHERE state = 'pending' AND target = ?
               ORDER BY priority DESC, created_at, id LIMIT ? ${this.store.sql.skipLocked}`,
            )
            .all(target, limit) as unknown as RowR[]
        ).map(rowOf)
        if (rows.length === 0) return undefined
        const d = compose(rows)
        this.store.db
          .prepare(
            `INSERT INTO watch_deliveries (id, target, agent_id, session_key, body, events, state, attempts, next_attempt_at, created_at)
             VALUES (?, ?, ?, ?, ?, ?, 'sending', 0, ?, ?)`,
          )
          .run(d.id, d.target, d.agentId, d.sessionKey, d.body, rows.length, now, now)
        const stmt = this.store.db.prepare(
          "UPDATE watch_outbox SET state = 'sending', delivery_id = ?, updated_at = ? WHERE id = ? AND state = 'pending'",
        )
        for (const r of rows) {
          if (Number(stmt.run(d.id, now, r.id).changes) !== 1)
            throw new Error(`outbox row ${r.id} is not pending`)
        }
        return this.delivery(d.id)!
      },
      { rowLocks: true },
    )
  }

  delivery(id: string): Delivery | undefined {
    const r = this.store.db.prepare('SELECT * FROM watch_deliveries WHERE id = ?').get(id) as
      | DeliveryR
      | undefined
    return r && deliveryOf(r)
  }

  /** Deliveries not yet accepted; with `dueAt`, only those whose next attempt is due. */
  unsent(dueAt?: string): Delivery[] {
    const sql =
      dueAt === undefined
        ? "SELECT * FROM watch_deliveries WHERE state = 'sending' ORDER BY created_at"
        : "SELECT * FROM watch_deliveries WHERE state = 'sending' AND next_attempt_at <= ? ORDER BY created_at"
    const rows = (dueAt === undefined
      ? this.store.db.prepare(sql).all()
      : this.store.db.prepare(sql).all(dueAt)) as unknown as DeliveryR[]
    return rows.map(deliveryOf)
  }

  rowsOf(deliveryId: string): OutboxRow[] {
    return (
      this.store.db
        .prepare('SELECT * FROM watch_outbox WHERE delivery_id = ? ORDER BY priority DESC, created_at, id')
        .all(deliveryId) as unknown as RowR[]
    ).map(rowOf)
  }

  /** Recorded before the POST leaves: after a crash, attempts > 0 means "maybe sent". */
  markAttempt(id: string, now: string): void {
    this.store.db
      .prepare('UPDATE watch_deliveries SET attempts = attempts + 1, last_attempt_at = ? WHERE id = ?')
      .run(now, id)
  }

  markDelivered(id: string, r: { runId: string | null; status: number | null }, now: string): void {
    this.store.tx(() => {
      this.store.db
        .prepare(
          `UPDATE watch_deliveries SET state = 'delivered', run_id = ?, last_status = ?, last_error = NULL,
           delivered_at = ? WHERE id = ? AND state = 'sending'`,
        )
        .run(r.runId, r.status, now, id)
      this.store.db
        .prepare("UPDATE watch_outbox SET state = 'delivered', updated_at = ? WHERE delivery_id = ?")
        .run(now, id)
    })
  }

  scheduleRetry(id: string, r: { status: number | null; error: string; nextAttemptAt: string }): void {
    this.store.db
      .prepare(
        "UPDATE watch_deliveries SET last_status = ?, last_error = ?, next_attempt_at = ? WHERE id = ? AND state = 'sending'",
      )
      .run(r.status, r.error, r.nextAttemptAt, id)
  }

  /** Deliveries created for a target since `since` (the sliding window of the rate limit). */
  deliveriesSince(target: string, since: string): number {
    return (
      this.store.db
        .prepare('SELECT count(*) AS n FROM watch_deliveries WHERE target = ? AND created_at > ?')
        .get(target, since) as { n: number }
    ).n
  }

  /** The oldest delivery of a target created after `since` (when the rate window frees a slot). */
  oldestDeliverySince(target: string, since: string): string | null {
    const r = this.store.db
      .prepare('SELECT min(created_at) AS t FROM watch_deliveries WHERE target = ? AND created_at > ?')
      .get(target, since) as { t: string | null }
    return r.t
  }

  stats(): OutboxStats {
    const counts = Object.fromEntries(
      (
        this.store.db.prepare('SELECT state, count(*) AS n FROM watch_outbox GROUP BY state').all() as {
          state: OutboxState
          n: number
        }[]
      ).map((r) => [r.state, r.n]),
    ) as Partial<Record<OutboxState, number>>
    const oldest = this.store.db
      .prepare("SELECT min(created_at) AS t FROM watch_outbox WHERE state IN ('pending', 'sending')")
      .get() as { t: string | null }
    const stuck = this.store.db
      .prepare(
        "SELECT count(*) AS n, max(last_error) AS e FROM watch_deliveries WHERE state = 'sending' AND attempts >= 3",
      )
      .get() as { n: number; e: string | null }
    return {
      pending: counts.pending ?? 0,
      sending: counts.sending ?? 0,
      delivered: counts.delivered ?? 0,
      silenced: counts.silenced ?? 0,
      oldestPendingAt: oldest.t,
      stuck: stuck.n,
      lastError: stuck.e,
    }
  }

  /** Drops delivered and silenced history older than `before` (pending rows are never dropped). */
  prune(before: string): number {
    return this.store.tx(() => {
      const rows = this.store.db
        .prepare("DELETE FROM watch_outbox WHERE state IN ('delivered', 'silenced') AND updated_at < ?")
        .run(before).changes
      this.store.db
        .prepare("DELETE FROM watch_deliveries WHERE state = 'delivered' AND delivered_at < ?")
        .run(before)
      return Number(rows)
    })
  }
}
