/** Rows of `briefings` (migration 6): each briefing generated, with its facts and renderings. */
import type { Store } from './store.js'

export interface StoredBriefing {
  id: string
  kind: 'daily' | 'weekly' | 'monthly'
  windowStart: string
  windowEnd: string
  actor: string
  facts: unknown
  text: string
  markdown: string
  spoken: string
  createdAt: string
}

interface Row {
  id: string
  kind: StoredBriefing['kind']
  window_start: string
  window_end: string
  actor: string
  facts: string
  text: string
  markdown: string
  spoken: string
  created_at: string
}

const fromRow = (r: Row): StoredBriefing => ({
  id: r.id,
  kind: r.kind,
  windowStart: r.window_start,
  windowEnd: r.window_end,
  actor: r.actor,
  facts: JSON.parse(r.facts),
  text: r.text,
  markdown: r.markdown,
  spoken: r.spoken,
  createdAt: r.created_at,
})

export class Briefings {
  constructor(private readonly store: Store) {}

  insert(b: StoredBriefing): void {
    this.store.db
      .prepare(
        `INSERT INTO briefings (id, kind, window_start, window_end, actor, facts, text, markdown, spoken, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        b.id,
        b.kind,
        b.windowStart,
        b.windowEnd,
        b.actor,
        JSON.stringify(b.facts),
        b.text,
        b.markdown,
        b.spoken,
        b.createdAt,
      )
  }

  get(id: string): StoredBriefing | undefined {
    const r = this.store.db.prepare('SELECT * FROM briefings WHERE id = ?').get(id) as Row | undefined
    return r && fromRow(r)
  }

  /** The latest briefings, newest first. */
  latest(f: { kind?: StoredBriefing['kind']; limit?: number } = {}): StoredBriefing[] {
    const rows = (f.kind
      ? this.store.db
          .prepare('SELECT * FROM briefings WHERE kind = ? ORDER BY created_at DESC, id DESC LIMIT ?')
          .all(f.kind, f.limit ?? 10)
      : this.store.db
          .prepare('SELECT * FROM briefings ORDER BY created_at DESC, id DESC LIMIT ?')
          .all(f.limit ?? 10)) as unknown as Row[]
    return rows.map(fromRow)
  }
}
