/** Rows of `events` (migration 1): what the monitor observed and announced, for reports and briefings. */
import type { FleetEvent } from '../domain/event.js'
import type { Store } from './store.js'

interface Row {
  id: string
  type: string
  severity: string
  instance_id: string | null
  pair_id: string | null
  provider: string | null
  region: string | null
  payload: string
  created_at: string
}

const fromRow = (r: Row): FleetEvent =>
  ({
    id: r.id,
    type: r.type,
    severity: r.severity,
    instanceId: r.instance_id,
    pairId: r.pair_id,
    provider: r.provider,
    region: r.region,
    payload: JSON.parse(r.payload),
    createdAt: r.created_at,
  }) as FleetEvent

export interface EventFilter {
  since?: string
  until?: string
  provider?: string
  region?: string
  types?: readonly string[]
  pairIds?: readonly string[]
  limit?: number
}

export class FleetEvents {
  constructor(private readonly store: Store) {}

  insert(e: FleetEvent): void {
    this.store.db
      .prepare(
        `INSERT INTO events (id, type, severity, instance_id, pair_id, provider, region, payload, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        e.id,
        e.type,
        e.severity,
        e.instanceId,
        e.pairId,
        e.provider,
        e.region,
        JSON.stringify(e.payload),
        e.createdAt,
      )
  }

  get(id: string): FleetEvent | undefined {
    const r = this.store.db.prepare('SELECT * FROM events WHERE id = ?').get(id) as Row | undefined
    return r && fromRow(r)
  }

  getMany(ids: readonly string[]): FleetEvent[] {
    if (ids.length === 0) return []
    return (
      this.store.db
        .prepare(`SELECT * FROM events WHERE id IN (${ids.map(() => '?').join(',')}) ORDER BY created_at, id`)
        .all(...ids) as unknown as Row[]
    ).map(fromRow)
  }

  list(f: EventFilter = {}): FleetEvent[] {
    const where: string[] = []
    const params: (string | number)[] = []
    const add = (sql: string, v: string | undefined) => {
      if (v === undefined) return
      where.push(sql)
      params.push(v)
    }
    add('created_at >= ?', f.since)
    add('created_at <= ?', f.until)
    add('provider = ?', f.provider)
    add('region = ?', f.region)
    for (const [col, values] of [
      ['type', f.types],
      ['pair_id', f.pairIds],
    ] as const) {
      if (!values) continue
      where.push(values.length ? `${col} IN (${values.map(() => '?').join(',')})` : '1 = 0')
      params.push(...values)
    }
    params.push(f.limit ?? 10_000)
    const sql = `SELECT * FROM events${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at, id LIMIT ?`
    return (this.store.db.prepare(sql).all(...params) as unknown as Row[]).map(fromRow)
  }
}
