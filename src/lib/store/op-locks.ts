/**
 * The resources unfinished operations hold (`pair:<id>` …): one row per name, so one operation at a
 * time holds a name. Claimed with the operation in one transaction; released when it ends.
 */
import type { Store } from './store.js'

export interface LockHolder {
  name: string
  opId: string
  kind: string
  state: string
  leaseOwner: string | null
  leaseUntil: string | null
  acquiredAt: string
}

export class OpLocks {
  constructor(private readonly store: Store) {}

  /** Who holds any of these names, other than `opId` itself (with its operation's state and lease). */
  holders(names: readonly string[], opId: string): LockHolder[] {
    if (names.length === 0) return []
    const rows = this.store.db
      .prepare(
        `SELECT l.name, l.op_id, l.acquired_at, o.kind, o.state, o.lease_owner, o.lease_until
         FROM op_locks l JOIN operations o ON o.id = l.op_id
         WHERE l.name IN (${names.map(() => '?').join(',')}) AND l.op_id <> ?`,
      )
      .all(...names, opId) as LockRow[]
    return rows.map(holder)
  }

  /** Takes the names for `opId` (the caller checked they are free, in the same transaction). */
  claim(names: readonly string[], opId: string): void {
    const ins = this.store.db.prepare(
      'INSERT INTO op_locks (name, op_id, acquired_at) VALUES (?, ?, ?) ON CONFLICT(name) DO NOTHING',
    )
    for (const n of names) ins.run(n, opId, this.store.now())
  }

  /** Every name starting with `prefix` that a running operation holds, with that operation's lease. */
  heldByRunning(prefix: string): LockHolder[] {
    const rows = this.store.db
      .prepare(
        `SELECT l.name, l.op_id, l.acquired_at, o.kind, o.state, o.lease_owner, o.lease_until
         FROM op_locks l JOIN operations o ON o.id = l.op_id
         WHERE l.name LIKE ? AND o.state = 'running'`,
      )
      .all(`${prefix.replace(/[%_]/g, '')}%`) as LockRow[]
    return rows.map(holder)
  }

  releaseAll(opId: string): void {
    this.store.db.prepare('DELETE FROM op_locks WHERE op_id = ?').run(opId)
  }

  held(opId: string): string[] {
    return (
      this.store.db.prepare('SELECT name FROM op_locks WHERE op_id = ? ORDER BY name').all(opId) as {
        name: string
      }[]
    ).map((r) => r.name)
  }
}

/** A lock joined with its operation, as the two queries above read it. */
type LockRow = {
  name: string
  op_id: string
  acquired_at: string
  kind: string
  state: string
  lease_owner: string | null
  lease_until: string | null
}

function holder(r: LockRow): LockHolder {
  return {
    name: r.name,
    opId: r.op_id,
    kind: r.kind,
    state: r.state,
    leaseOwner: r.lease_owner,
    leaseUntil: r.lease_until,
    acquiredAt: r.acquired_at,
  }
}
