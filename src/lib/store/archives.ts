/**
 * Rows of `archives` (migrations 9 and 16): one per archive of a user's OpenClaw state, so expiry
 * works from the store and never depends on listing a bucket or a provider's snapshots.
 */
import type { Provider } from '../domain/provider.js'
import type { Store } from './store.js'

/** How an archive was taken: the node's bytes in a file or an S3 object, or the provider's snapshot of the disk. */
export type ArchiveVia = 'file' | 's3' | 'provider-snapshot'

export interface ArchiveRecord {
  id: string
  userId: string
  pairId: string
  instanceId: string
  via: ArchiveVia
  /** A file path, s3://bucket/key, or `<provider> snapshot <id> of server <id>`. */
  location: string
  /** For a provider snapshot: where it is. */
  provider: Provider | null
  serverId: string | null
  snapshotId: string | null
  /** The operation that took it. */
  opId: string | null
  /** What gf-clawnode sent (checked against its SHA-256); null for a provider snapshot. */
  bytes: number | null
  sha256: string | null
  createdAt: string
  expiresAt: string
}

type Row = Record<string, string | number | null>

function toRecord(r: Row): ArchiveRecord & { deletedAt: string | null } {
  const s = (v: string | number | null | undefined) => (v === null || v === undefined ? null : String(v))
  return {
    id: String(r.id),
    userId: String(r.user_id),
    pairId: String(r.pair_id),
    instanceId: String(r.instance_id),
    via: String(r.via) as ArchiveVia,
    location: String(r.location),
    provider: s(r.provider) as Provider | null,
    serverId: s(r.server_id),
    snapshotId: s(r.snapshot_id),
    opId: s(r.op_id),
    bytes: r.bytes === null ? null : Number(r.bytes),
    sha256: s(r.sha256),
    createdAt: String(r.created_at),
    expiresAt: String(r.expires_at),
    deletedAt: s(r.deleted_at),
  }
}

export class Archives {
  constructor(private readonly store: Store) {}

  insert(a: ArchiveRecord): void {
    this.store.db
      .prepare(
        `INSERT INTO archives (id, user_id, pair_id, instance_id, via, location, provider, server_id, snapshot_id,
           op_id, bytes, sha256, created_at, expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        a.id,
        a.userId,
        a.pairId,
        a.instanceId,
        a.via,
        a.location,
        a.provider,
        a.serverId,
        a.snapshotId,
        a.opId,
        a.bytes,
        a.sha256,
        a.createdAt,
        a.expiresAt,
      )
  }

  /** Archives not yet deleted whose expiry is at or before `now`, oldest first. */
  expired(now: string): { id: string; userId: string; location: string; expiresAt: string }[] {
    return this.store.db
      .prepare(
        `SELECT id, user_id AS "userId", location, expires_at AS "expiresAt" FROM archives
         WHERE deleted_at IS NULL AND expires_at <= ? ORDER BY expires_at, id`,
      )
      .all(now) as { id: string; userId: string; location: string; expiresAt: string }[]
  }

  /** One archive, deleted or not. */
  get(id: string): (ArchiveRecord & { deletedAt: string | null }) | undefined {
    const r = this.store.db.prepare('SELECT * FROM archives WHERE id = ?').get(id) as Row | undefined
    return r && toRecord(r)
  }

  /** The archive an operation took of an instance (a resumed teardown finds it instead of taking another). */
  byOp(opId: string, instanceId: string): ArchiveRecord | undefined {
    const r = this.store.db
      .prepare('SELECT * FROM archives WHERE op_id = ? AND instance_id = ? ORDER BY created_at DESC LIMIT 1')
      .get(opId, instanceId) as Row | undefined
    return r && toRecord(r)
  }

  /** Archives not deleted, newest first (optionally one user's). */
  list(o: { userId?: string; limit?: number } = {}): ArchiveRecord[] {
    const rows = this.store.db
      .prepare(
        `SELECT * FROM archives WHERE deleted_at IS NULL ${o.userId ? 'AND user_id = ?' : ''}
         ORDER BY created_at DESC, id DESC LIMIT ?`,
      )
      .all(...(o.userId ? [o.userId] : []), o.limit ?? 1000) as Row[]
    return rows.map(toRecord)
  }

  /** The provider removes it sooner than the retention (a snapshot that goes with its server's term). */
  shortenExpiry(id: string, at: string): void {
    this.store.db
      .prepare('UPDATE archives SET expires_at = ? WHERE id = ? AND expires_at > ?')
      .run(at, id, at)
  }

  markDeleted(id: string, now: string): void {
    this.store.db.prepare('UPDATE archives SET deleted_at = ? WHERE id = ?').run(now, id)
  }
}
