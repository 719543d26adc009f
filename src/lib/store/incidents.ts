/**
 * Rows of `incidents` (migration 3): one per provider or region outage watch declared, with its
 * timeline, the actions taken and the follow-up items. Timeline and actions are appended in the same
 * transaction as the change they describe.
 */
import type { Store } from './store.js'

export type IncidentStatus = 'open' | 'mitigated' | 'resolved'

export interface TimelineEntry {
  at: string
  kind: string
  text: string
  data?: unknown
}

export interface IncidentAction {
  at: string
  actor: string
  action: string
  target: string | null
  outcome: string
  opId?: string | null
}

export interface Incident {
  id: string
  provider: string | null
  region: string | null
  kind: string
  status: IncidentStatus
  severity: string
  title: string
  openedAt: string
  resolvedAt: string | null
  rootCause: string | null
  timeline: TimelineEntry[]
  actions: IncidentAction[]
  actionItems: string[]
}

interface Row {
  id: string
  provider: string | null
  region: string | null
  kind: string
  status: IncidentStatus
  severity: string
  title: string
  opened_at: string
  resolved_at: string | null
  root_cause: string | null
  timeline: string
  actions: string
  action_items: string
}

const fromRow = (r: Row): Incident => ({
  id: r.id,
  provider: r.provider,
  region: r.region,
  kind: r.kind,
  status: r.status,
  severity: r.severity,
  title: r.title,
  openedAt: r.opened_at,
  resolvedAt: r.resolved_at,
  rootCause: r.root_cause,
  timeline: JSON.parse(r.timeline),
  actions: JSON.parse(r.actions),
  actionItems: JSON.parse(r.action_items),
})

export class Incidents {
  constructor(private readonly store: Store) {}

  insert(i: Omit<Incident, 'resolvedAt' | 'rootCause' | 'actions' | 'actionItems'>): void {
    this.store.db
      .prepare(
        `INSERT INTO incidents (id, provider, region, kind, status, severity, title, opened_at, timeline)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        i.id,
        i.provider,
        i.region,
        i.kind,
        i.status,
        i.severity,
        i.title,
        i.openedAt,
        JSON.stringify(i.timeline),
      )
  }

  /** Records incidents that are already over (imported or synthetic history), one statement for all. */
  insertResolved(
    list: readonly (Pick<
      Incident,
      'id' | 'provider' | 'region' | 'kind' | 'severity' | 'title' | 'openedAt' | 'timeline'
    > & {
      resolvedAt: string
    })[],
  ): void {
    this.store.db.batch(
      `INSERT INTO incidents (id, provider, region, kind, status, severity, title, opened_at, resolved_at, timeline)
       VALUES (?, ?, ?, ?, 'resolved', ?, ?, ?, ?, ?)`,
      list.map((i) => [
        i.id,
        i.provider,
        i.region,
        i.kind,
        i.severity,
        i.title,
        i.openedAt,
        i.resolvedAt,
        JSON.stringify(i.timeline),
      ]),
    )
  }

  get(id: string): Incident | undefined {
    const r = this.store.db.prepare('SELECT * FROM incidents WHERE id = ?').get(id) as Row | undefined
    return r && fromRow(r)
  }

  /** The open (or mitigated) incident of exactly this scope; region null means provider-wide. */
  openFor(provider: string, region: string | null): Incident | undefined {
    const r = (
      region === null
        ? this.store.db
            .prepare(
              "SELECT * FROM incidents WHERE provider = ? AND region IS NULL AND status <> 'resolved' ORDER BY opened_at DESC LIMIT 1",
            )
            .get(provider)
        : this.store.db
            .prepare(
              "SELECT * FROM incidents WHERE provider = ? AND region = ? AND status <> 'resolved' ORDER BY opened_at DESC LIMIT 1",
            )
            .get(provider, region)
    ) as Row | undefined
    return r && fromRow(r)
  }

  list(f: IncidentFilter = {}): Incident[] {
    const { where, params } = incidentFilter(f)
    const sql = `SELECT * FROM incidents${where} ORDER BY opened_at DESC LIMIT ?`
    return (this.store.db.prepare(sql).all(...params, f.limit ?? 100) as unknown as Row[]).map(fromRow)
  }

  /** How many incidents match `f`, whatever its limit. */
  count(f: IncidentFilter = {}): number {
    const { where, params } = incidentFilter(f)
    return (
      this.store.db.prepare(`SELECT count(*) AS n FROM incidents${where}`).get(...params) as { n: number }
    ).n
  }

  /** Read-modify-write of the JSON columns, in a transaction so concurrent appends are not lost. */
  update(
    id: string,
    fn: (
      i: Incident,
    ) => Partial<
      Pick<
        Incident,
        'status' | 'resolvedAt' | 'rootCause' | 'timeline' | 'actions' | 'actionItems' | 'severity' | 'title'
      >
    >,
  ): Incident {
    return this.store.tx(() => {
      const cur = this.get(id)
      if (!cur) throw new Error(`incident ${id} does not exist`)
      const next = { ...cur, ...fn(cur) }
      this.store.db
        .prepare(
          `UPDATE incidents SET status = ?, severity = ?, title = ?, resolved_at = ?, root_cause = ?, timeline = ?,
           actions = ?, action_items = ? WHERE id = ?`,
        )
        .run(
          next.status,
          next.severity,
          next.title,
          next.resolvedAt,
          next.rootCause,
          JSON.stringify(next.timeline),
          JSON.stringify(next.actions),
          JSON.stringify(next.actionItems),
          id,
        )
      return next
    })
  }
}

export interface IncidentFilter {
  status?: IncidentStatus[]
  since?: string
  limit?: number
}

function incidentFilter(f: IncidentFilter): { where: string; params: (string | number)[] } {
  const where: string[] = []
  const params: (string | number)[] = []
  if (f.status) {
    where.push(`status IN (${f.status.map(() => '?').join(',')})`)
    params.push(...f.status)
  }
  if (f.since) {
    where.push('opened_at >= ?')
    params.push(f.since)
  }
  return { where: where.length ? ` WHERE ${where.join(' AND ')}` : '', params }
}
