/** Rows of `silences`: matchers on provider, region, instance and event type, each with an expiry. */
import type { Store } from './store.js'

export interface Silence {
  id: string
  provider: string | null
  region: string | null
  instanceId: string | null
  eventType: string | null
  reason: string
  createdBy: string
  createdAt: string
  expiresAt: string
  removedAt: string | null
  removedBy: string | null
}

interface Row {
  id: string
  provider: string | null
  region: string | null
  instance_id: string | null
  event_type: string | null
  reason: string
  created_by: string
  created_at: string
  expires_at: string
  removed_at: string | null
  removed_by: string | null
}

const fromRow = (r: Row): Silence => ({
  id: r.id,
  provider: r.provider,
  region: r.region,
  instanceId: r.instance_id,
  eventType: r.event_type,
  reason: r.reason,
  createdBy: r.created_by,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  removedAt: r.removed_at,
  removedBy: r.removed_by,
})

export class Silences {
  constructor(private readonly store: Store) {}

  insert(s: Omit<Silence, 'removedAt' | 'removedBy'>): void {
    this.store.db
      .prepare(
        `INSERT INTO silences (id, provider, region, instance_id, event_type, reason, created_by, created_at, expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        s.id,
        s.provider,
        s.region,
        s.instanceId,
        s.eventType,
        s.reason,
        s.createdBy,
        s.createdAt,
        s.expiresAt,
      )
  }

  get(id: string): Silence | undefined {
    const r = this.store.db.prepare('SELECT * FROM silences WHERE id = ?').get(id) as Row | undefined
    return r && fromRow(r)
  }

  /** Silences in force at `now`: not removed and not expired. */
  active(now: string): Silence[] {
    return (
      this.store.db
        .prepare('SELECT * FROM silences WHERE removed_at IS NULL AND expires_at > ? ORDER BY created_at')
        .all(now) as unknown as Row[]
    ).map(fromRow)
  }

  /** Active silences, or with `all` also the expired and removed ones (newest first). */
  list(now: string, all = false): Silence[] {
    if (!all) return this.active(now)
    return (
      this.store.db.prepare('SELECT * FROM silences ORDER BY created_at DESC').all() as unknown as Row[]
    ).map(fromRow)
  }

  remove(id: string, by: string, at: string): boolean {
    return (
      Number(
        this.store.db
          .prepare('UPDATE silences SET removed_at = ?, removed_by = ? WHERE id = ? AND removed_at IS NULL')
          .run(at, by, id).changes,
      ) > 0
    )
  }
}
