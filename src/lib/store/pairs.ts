/** Rows of the `pairs` table. Which member is primary is read from the instances' roles. */
import type { Pair } from '../domain/pair.js'
import type { Store } from './store.js'

interface PairRow {
  id: string
  user_id: string
  labels: string
  created_at: string
  updated_at: string
}

function fromRow(r: PairRow): Pair {
  return {
    id: r.id,
    userId: r.user_id,
    labels: JSON.parse(r.labels),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  }
}

export class Pairs {
  constructor(private readonly store: Store) {}

  insert(p: Pair): void {
    this.insertMany([p])
  }

  insertMany(pairs: readonly Pair[]): void {
    this.store.db.batch(
      'INSERT INTO pairs (id, user_id, labels, created_at, updated_at) VALUES (?, ?, ?, ?, ?)',
      pairs.map((p) => [p.id, p.userId, JSON.stringify(p.labels), p.createdAt, p.updatedAt]),
    )
  }

  get(id: string): Pair | undefined {
    const row = this.store.db.prepare('SELECT * FROM pairs WHERE id = ?').get(id) as PairRow | undefined
    return row && fromRow(row)
  }

  byUser(userId: string): Pair[] {
    return (
      this.store.db
        .prepare('SELECT * FROM pairs WHERE user_id = ? ORDER BY created_at')
        .all(userId) as unknown as PairRow[]
    ).map(fromRow)
  }

  count(): number {
    return (this.store.db.prepare('SELECT count(*) AS n FROM pairs').get() as { n: number }).n
  }

  /** How many pairs carry the label `key=value`. */
  countLabelled(key: string, value: string): number {
    return (
      this.store.db
        .prepare(`SELECT count(*) AS n FROM pairs WHERE ${this.store.sql.jsonText('labels', '?')} = ?`)
        .get(key, value) as { n: number }
    ).n
  }

  /** Removes the pairs carrying `key=value` and their instances (lab data only; never audit rows). */
  deleteLabelled(key: string, value: string): number {
    return this.store.tx(() => {
      const labelled = `${this.store.sql.jsonText('labels', '?')} = ?`
      this.store.db
        .prepare(`DELETE FROM instances WHERE pair_id IN (SELECT id FROM pairs WHERE ${labelled})`)
        .run(key, value)
      return Number(this.store.db.prepare(`DELETE FROM pairs WHERE ${labelled}`).run(key, value).changes)
    })
  }
}
