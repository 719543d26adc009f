/** Rows of `glance_snapshots` (migration 10): computed sections of the fleet snapshot, per kind and period. */
import type { Store } from './store.js'

export interface GlanceRow<T> {
  kind: string
  period: string
  computedAt: string
  body: T
}

interface Row {
  kind: string
  period: string
  computed_at: string
  body: string
}

const fromRow = <T>(r: Row): GlanceRow<T> => ({
  kind: r.kind,
  period: r.period,
  computedAt: r.computed_at,
  body: JSON.parse(r.body) as T,
})

export class GlanceSnapshots {
  constructor(private readonly store: Store) {}

  get<T>(kind: string, period: string): GlanceRow<T> | undefined {
    const r = this.store.db
      .prepare('SELECT * FROM glance_snapshots WHERE kind = ? AND period = ?')
      .get(kind, period) as Row | undefined
    return r && fromRow<T>(r)
  }

  /** Rows of a kind whose period is in [from, to], oldest first (periods sort as text). */
  between<T>(kind: string, from: string, to: string): GlanceRow<T>[] {
    return (
      this.store.db
        .prepare(
          'SELECT * FROM glance_snapshots WHERE kind = ? AND period >= ? AND period <= ? ORDER BY period',
        )
        .all(kind, from, to) as unknown as Row[]
    ).map((r) => fromRow<T>(r))
  }

  put(kind: string, period: string, computedAt: string, body: unknown): void {
    this.store.db
      .prepare(
        `INSERT INTO glance_snapshots (kind, period, computed_at, body) VALUES (?, ?, ?, ?)
         ON CONFLICT (kind, period) DO UPDATE SET computed_at = excluded.computed_at, body = excluded.body`,
      )
      .run(kind, period, computedAt, JSON.stringify(body))
  }
}
