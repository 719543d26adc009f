/**
 * The reprovision queue: replacement standbys owed to pairs that failed over. An item waits until its
 * provider (and region) has recovered, then becomes `ready` and Forge is told; whoever provisions
 * `claim`s it and marks it `done`. The provisioning itself lives with the pair lifecycle.
 */
import type { Store } from './store.js'

export type ReprovisionState = 'waiting' | 'ready' | 'claimed' | 'done' | 'cancelled'

export interface ReprovisionItem {
  id: string
  pairId: string
  replacesInstanceId: string
  provider: string
  region: string
  tier: string
  reason: string
  state: ReprovisionState
  incidentId: string | null
  opId: string | null
  createdAt: string
  readyAt: string | null
  claimedAt: string | null
  finishedAt: string | null
}

interface Row {
  id: string
  pair_id: string
  replaces_instance_id: string
  provider: string
  region: string
  tier: string
  reason: string
  state: ReprovisionState
  incident_id: string | null
  op_id: string | null
  created_at: string
  ready_at: string | null
  claimed_at: string | null
  finished_at: string | null
}

const fromRow = (r: Row): ReprovisionItem => ({
  id: r.id,
  pairId: r.pair_id,
  replacesInstanceId: r.replaces_instance_id,
  provider: r.provider,
  region: r.region,
  tier: r.tier,
  reason: r.reason,
  state: r.state,
  incidentId: r.incident_id,
  opId: r.op_id,
  createdAt: r.created_at,
  readyAt: r.ready_at,
  claimedAt: r.claimed_at,
  finishedAt: r.finished_at,
})

export class ReprovisionQueue {
  constructor(private readonly store: Store) {}

  /** Queues a replacement; an item for the same pair and replaced instance is kept, not doubled. */
  enqueue(i: Omit<ReprovisionItem, 'state' | 'readyAt' | 'claimedAt' | 'finishedAt'>): ReprovisionItem {
    this.store.db
      .prepare(
        `INSERT INTO reprovision_queue (id, pair_id, replaces_instance_id, provider, region, tier, reason, state,
           incident_id, op_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'waiting', ?, ?, ?)
         ON CONFLICT (pair_id, replaces_instance_id) DO NOTHING`,
      )
      .run(
        i.id,
        i.pairId,
        i.replacesInstanceId,
        i.provider,
        i.region,
        i.tier,
        i.reason,
        i.incidentId,
        i.opId,
        i.createdAt,
      )
    return this.forReplacement(i.pairId, i.replacesInstanceId)!
  }

  forReplacement(pairId: string, replacesInstanceId: string): ReprovisionItem | undefined {
    const r = this.store.db
      .prepare('SELECT * FROM reprovision_queue WHERE pair_id = ? AND replaces_instance_id = ?')
      .get(pairId, replacesInstanceId) as Row | undefined
    return r && fromRow(r)
  }

  get(id: string): ReprovisionItem | undefined {
    const r = this.store.db.prepare('SELECT * FROM reprovision_queue WHERE id = ?').get(id) as Row | undefined
    return r && fromRow(r)
  }

  list(
    f: { states?: readonly ReprovisionState[]; provider?: string; region?: string } = {},
  ): ReprovisionItem[] {
    const where: string[] = []
    const params: string[] = []
    if (f.states) {
      where.push(`state IN (${f.states.map(() => '?').join(',') || "''"})`)
      params.push(...f.states)
    }
    if (f.provider) {
      where.push('provider = ?')
      params.push(f.provider)
    }
    if (f.region) {
      where.push('region = ?')
      params.push(f.region)
    }
    const sql = `SELECT * FROM reprovision_queue${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at, id`
    return (this.store.db.prepare(sql).all(...params) as unknown as Row[]).map(fromRow)
  }

  /** Items not yet provisioned (waiting, ready or claimed): the queue depth. */
  depth(): number {
    return (
      this.store.db
        .prepare("SELECT count(*) AS n FROM reprovision_queue WHERE state IN ('waiting', 'ready', 'claimed')")
        .get() as { n: number }
    ).n
  }

  markReady(id: string, now: string): boolean {
    return (
      Number(
        this.store.db
          .prepare(
            "UPDATE reprovision_queue SET state = 'ready', ready_at = ? WHERE id = ? AND state = 'waiting'",
          )
          .run(now, id).changes,
      ) > 0
    )
  }

  /** Takes a ready item for provisioning; false when someone else took it first. */
  claim(id: string, opId: string, now: string): boolean {
    return (
      Number(
        this.store.db
          .prepare(
            "UPDATE reprovision_queue SET state = 'claimed', claimed_at = ?, op_id = ? WHERE id = ? AND state = 'ready'",
          )
          .run(now, opId, id).changes,
      ) > 0
    )
  }

  finish(id: string, state: 'done' | 'cancelled', now: string): boolean {
    return (
      Number(
        this.store.db
          .prepare(
            "UPDATE reprovision_queue SET state = ?, finished_at = ? WHERE id = ? AND state IN ('waiting', 'ready', 'claimed')",
          )
          .run(state, now, id).changes,
      ) > 0
    )
  }
}
