/**
 * Prepared statements kept per connection. node:sqlite's `prepare` allocates native memory that is
 * only returned when the statement object is collected, and a daemon that prepares per call (a sweep
 * of 10,000 instances makes tens of thousands of calls) grows by tens of megabytes. Hot paths of the
 * monitor prepare each statement once per connection through this cache.
 */
import type { Database, Statement } from './sql.js'

const caches = new WeakMap<Database, Map<string, Statement>>()

export function cached(db: Database, sql: string): Statement {
  let m = caches.get(db)
  if (!m) {
    m = new Map()
    caches.set(db, m)
  }
  let s = m.get(sql)
  if (!s) {
    s = db.prepare(sql)
    m.set(sql, s)
  }
  return s
}
