/**
 * Rows of `archives` (migration 9): one per archive of a user's OpenClaw state, so expiry works from
 * the store and never depends on listing a bucket.
 */
import type { Store } from './store.js'

export interface ArchiveRecord {
  id: string
  userId: string
  pairId: string
  instanceId: string
  /** A file path, or s3://bucket/key. */
  location: string
  bytes: number
  sha256: string
  createdAt: string
  expiresAt: string
}

export class Archives {
  constructor(private readonly store: Store) {}

  insert(a: ArchiveRecord): void {
    this.store.db
      .prepare(
        `INSERT INTO archives (id, user_id, pair_id, instance_id, location, bytes, sha256, created_at, expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(a.id, a.userId, a.pairId, a.instanceId, a.location, a.bytes, a.sha256, a.createdAt, a.expiresAt)
  }

  /** Archives not yet deleted whose expiry is at or before `now`, oldest first. */
  expired(now: string): { id: string; userId: string; location: string; expiresAt: string }[] {
    return this.store.db
      .prepare(
        `SELECT id, user_id AS userId, location, expires_at AS expiresAt FROM archives
         WHERE deleted_at IS NULL AND expires_at <= ? ORDER BY expires_at, id`,
      )
      .all(now) as { id: string; userId: string; location: string; expiresAt: string }[]
  }

  /** One archive, deleted or not. */
  get(id: string): (ArchiveRecord & { deletedAt: string | null }) | undefined {
    const r = this.store.db.prepare('SELECT * FROM archives WHERE id = ?').get(id) as
      | Record<string, string | number | null>
      | undefined
    return (
      r && {
        id: String(r.id),
        userId: String(r.user_id),
        pairId: String(r.pair_id),
        instanceId: String(r.instance_id),
        location: String(r.location),
        bytes: Number(r.bytes),
        sha256: String(r.sha256),
        createdAt: String(r.created_at),
        expiresAt: String(r.expires_at),
        deletedAt: r.deleted_at === null ? null : String(r.deleted_at),
      }
    )
  }

  /** Archives not deleted, newest first (optionally one user's). */
  list(o: { userId?: string; limit?: number } = {}): ArchiveRecord[] {
    const rows = this.store.db
      .prepare(
        `SELECT id FROM archives WHERE deleted_at IS NULL ${o.userId ? 'AND user_id = ?' : ''}
         ORDER BY created_at DESC, id DESC LIMIT ?`,
      )
      .all(...(o.userId ? [o.userId] : []), o.limit ?? 1000) as { id: string }[]
    return rows.map((r) => this.get(r.id)!)
  }

  markDeleted(id: string, now: string): void {
    this.store.db.prepare('UPDATE archives SET deleted_at = ? WHERE id = ?').run(now, id)
  }
}
