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

  /** Archives not yet deleted whose expiry is at or before `now`. */
  expired(now: string): { id: string; location: string }[] {
    return this.store.db
      .prepare('SELECT id, location FROM archives WHERE deleted_at IS NULL AND expires_at <= ?')
      .all(now) as { id: string; location: string }[]
  }

  markDeleted(id: string, now: string): void {
    this.store.db.prepare('UPDATE archives SET deleted_at = ? WHERE id = ?').run(now, id)
  }
}
