/**
 * Named leases: one process at a time holds a name ("watch", later a pair under an operation) until
 * it releases it or stops renewing it. `owner` identifies the process (host:pid:nonce) so a holder
 * that died on this host can be recognised; `holder` says in words who it is, for the error a second
 * process gets.
 */
import type { Store } from './store.js'

export interface Lease {
  name: string
  owner: string
  holder: string
  until: string
  acquiredAt: string
}

interface LeaseRow {
  name: string
  owner: string
  holder: string
  until: string
  acquired_at: string
}

export class Leases {
  constructor(private readonly store: Store) {}

  get(name: string): Lease | undefined {
    const r = this.store.db.prepare('SELECT * FROM leases WHERE name = ?').get(name) as LeaseRow | undefined
    return r && { name: r.name, owner: r.owner, holder: r.holder, until: r.until, acquiredAt: r.acquired_at }
  }

  /**
   * Takes (or renews) the lease when it is free, expired or already ours; false when someone else
   * holds it. One statement, so two processes racing for it cannot both win.
   */
  acquire(name: string, owner: string, holder: string, ttlMs: number): boolean {
    const now = this.store.sharedClock()
    const until = new Date(now.getTime() + ttlMs).toISOString()
    const r = this.store.db
      .prepare(
        `INSERT INTO leases (name, owner, holder, until, acquired_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT(name) DO UPDATE SET
           owner = excluded.owner, holder = excluded.holder, until = excluded.until,
           acquired_at = CASE WHEN leases.owner = excluded.owner THEN leases.acquired_at ELSE excluded.acquired_at END
         WHERE leases.owner = excluded.owner OR leases.until < ?`,
      )
      .run(name, owner, holder, until, now.toISOString(), now.toISOString())
    return Number(r.changes) === 1
  }

  /** Leases whose name starts with `prefix`, unexpired at `now` (ISO), oldest first. */
  live(prefix: string, now: string): Lease[] {
    const rows = this.store.db
      .prepare(
        `SELECT * FROM leases WHERE substr(name, 1, length(?)) = ? AND until >= ? ORDER BY acquired_at, name`,
      )
      .all(prefix, prefix, now) as unknown as LeaseRow[]
    return rows.map((r) => ({
      name: r.name,
      owner: r.owner,
      holder: r.holder,
      until: r.until,
      acquiredAt: r.acquired_at,
    }))
  }

  release(name: string, owner: string): void {
    this.store.db.prepare('DELETE FROM leases WHERE name = ? AND owner = ?').run(name, owner)
  }
}
