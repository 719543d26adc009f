/**
 * Rows of `briefer_log` (migration 6): the Briefer's incident log. `record` is idempotent per source:
 * a second record of the same incident updates what may have changed (its title, status, detail) and
 * keeps when it was first logged and by which briefing.
 */
import type { Store } from './store.js'

export type LogKind =
  | 'incident'
  | 'failovers'
  | 'sla-breach'
  | 'heal-escalated'
  | 'provision-failures'
  | 'cost-anomaly'

export interface LogEntry {
  id: string
  source: string
  sourceId: string
  kind: LogKind
  /** When it happened (an incident: when it opened). */
  at: string
  provider: string | null
  region: string | null
  severity: string
  title: string
  detail: Record<string, unknown>
  briefingId: string | null
  loggedAt: string
  updatedAt: string
}

interface Row {
  id: string
  source: string
  source_id: string
  kind: LogKind
  at: string
  provider: string | null
  region: string | null
  severity: string
  title: string
  detail: string
  briefing_id: string | null
  logged_at: string
  updated_at: string
}

const fromRow = (r: Row): LogEntry => ({
  id: r.id,
  source: r.source,
  sourceId: r.source_id,
  kind: r.kind,
  at: r.at,
  provider: r.provider,
  region: r.region,
  severity: r.severity,
  title: r.title,
  detail: JSON.parse(r.detail),
  briefingId: r.briefing_id,
  loggedAt: r.logged_at,
  updatedAt: r.updated_at,
})

export class BrieferLog {
  constructor(private readonly store: Store) {}

  /** Inserts the entry, or refreshes title, severity and detail of the one from the same source. */
  record(e: Omit<LogEntry, 'loggedAt' | 'updatedAt'>, now: string): void {
    this.store.db
      .prepare(
        `INSERT INTO briefer_log (id, source, source_id, kind, at, provider, region, severity, title, detail,
           briefing_id, logged_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (source, source_id) DO UPDATE SET title = excluded.title, severity = excluded.severity,
           detail = excluded.detail, at = excluded.at, updated_at = excluded.updated_at`,
      )
      .run(
        e.id,
        e.source,
        e.sourceId,
        e.kind,
        e.at,
        e.provider,
        e.region,
        e.severity,
        e.title,
        JSON.stringify(e.detail),
        e.briefingId,
        now,
        now,
      )
  }

  remove(id: string): void {
    this.store.db.prepare('DELETE FROM briefer_log WHERE id = ?').run(id)
  }

  bySource(source: string, sourceId: string): LogEntry | undefined {
    const r = this.store.db
      .prepare('SELECT * FROM briefer_log WHERE source = ? AND source_id = ?')
      .get(source, sourceId) as Row | undefined
    return r && fromRow(r)
  }

  /** Entries that happened in [since, until), oldest first. */
  between(since: string, until: string): LogEntry[] {
    return (
      this.store.db
        .prepare('SELECT * FROM briefer_log WHERE at >= ? AND at < ? ORDER BY at, id')
        .all(since, until) as unknown as Row[]
    ).map(fromRow)
  }

  /**
   * Entries of one kind in one place in [since, until], oldest first. A null region means the whole
   * provider; a null provider matches entries without one (cost anomalies).
   */
  sameScope(
    kind: LogKind,
    scope: { provider: string | null; region: string | null },
    since: string,
    until: string,
  ): LogEntry[] {
    const where = ['kind = ?', 'at >= ?', 'at <= ?']
    const params: string[] = [kind, since, until]
    if (scope.provider === null) where.push('provider IS NULL')
    else {
      where.push('provider = ?')
      params.push(scope.provider)
    }
    if (scope.region !== null) {
      where.push('region = ?')
      params.push(scope.region)
    }
    return (
      this.store.db
        .prepare(`SELECT * FROM briefer_log WHERE ${where.join(' AND ')} ORDER BY at, id`)
        .all(...params) as unknown as Row[]
    ).map(fromRow)
  }
}
