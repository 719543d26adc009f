/** Rows of `failovers`: every promotion of a standby, for the blast-radius rule, exposure and reports. */
import type { Store } from './store.js'

export type FailoverState = 'promoting' | 'promoted' | 'complete' | 'failed'

export interface FailoverRecord {
  id: string
  opId: string
  pairId: string
  userId: string
  fromInstanceId: string
  toInstanceId: string
  /** Where the old primary ran: the scope the blast radius counts in. */
  provider: string
  region: string
  state: FailoverState
  reason: string | null
  actor: string
  startedAt: string
  finishedAt: string | null
  error: string | null
}

interface Row {
  id: string
  op_id: string
  pair_id: string
  user_id: string
  from_instance_id: string
  to_instance_id: string
  provider: string
  region: string
  state: FailoverState
  reason: string | null
  actor: string
  started_at: string
  finished_at: string | null
  error: string | null
}

const fromRow = (r: Row): FailoverRecord => ({
  id: r.id,
  opId: r.op_id,
  pairId: r.pair_id,
  userId: r.user_id,
  fromInstanceId: r.from_instance_id,
  toInstanceId: r.to_instance_id,
  provider: r.provider,
  region: r.region,
  state: r.state,
  reason: r.reason,
  actor: r.actor,
  startedAt: r.started_at,
  finishedAt: r.finished_at,
  error: r.error,
})

export class Failovers {
  constructor(private readonly store: Store) {}

  insert(f: Omit<FailoverRecord, 'finishedAt' | 'error'>): void {
    this.store.db
      .prepare(
        `INSERT INTO failovers (id, op_id, pair_id, user_id, from_instance_id, to_instance_id, provider, region, state,
           reason, actor, started_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        f.id,
        f.opId,
        f.pairId,
        f.userId,
        f.fromInstanceId,
        f.toInstanceId,
        f.provider,
        f.region,
        f.state,
        f.reason,
        f.actor,
        f.startedAt,
      )
  }

  byOp(opId: string, pairId: string): FailoverRecord | undefined {
    const r = this.store.db
      .prepare('SELECT * FROM failovers WHERE op_id = ? AND pair_id = ?')
      .get(opId, pairId) as Row | undefined
    return r && fromRow(r)
  }

  setState(
    opId: string,
    pairId: string,
    state: FailoverState,
    now: string,
    error: string | null = null,
  ): void {
    this.store.db
      .prepare(
        `UPDATE failovers SET state = ?, error = ?, finished_at = CASE WHEN ? IN ('complete', 'failed') THEN ? ELSE finished_at END
         WHERE op_id = ? AND pair_id = ?`,
      )
      .run(state, error, state, now, opId, pairId)
  }

  /** Failovers started since `since` out of a provider, or out of one region of it. */
  countSince(since: string, scope: { provider: string; region?: string }, excludeOp?: string): number {
    const ex = excludeOp ?? ''
    const r = scope.region
      ? this.store.db
          .prepare(
            "SELECT count(*) AS n FROM failovers WHERE provider = ? AND region = ? AND started_at >= ? AND state <> 'failed' AND op_id <> ?",
          )
          .get(scope.provider, scope.region, since, ex)
      : this.store.db
          .prepare(
            "SELECT count(*) AS n FROM failovers WHERE provider = ? AND started_at >= ? AND state <> 'failed' AND op_id <> ?",
          )
          .get(scope.provider, since, ex)
    return (r as { n: number }).n
  }

  list(f: { since?: string; provider?: string; region?: string; pairId?: string } = {}): FailoverRecord[] {
    const where: string[] = []
    const params: string[] = []
    for (const [col, v] of [
      ['started_at >=', f.since],
      ['provider =', f.provider],
      ['region =', f.region],
      ['pair_id =', f.pairId],
    ] as const) {
      if (v === undefined) continue
      where.push(`${col} ?`)
      params.push(v)
    }
    const sql = `SELECT * FROM failovers${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY started_at, id`
    return (this.store.db.prepare(sql).all(...params) as unknown as Row[]).map(fromRow)
  }
}
