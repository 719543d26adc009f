/**
 * Prepared statements kept per connection. node:sqlite's `prepare` allocates native memory that is
 * only returned when the statement object is collected, and a daemon that prepares per call (a sweep
 * of 10,000 instances makes tens of thousands of calls) grows by tens of megabytes. Hot paths of the
 * monitor prepare each statement once per connection through this cache.
 */
import type { DatabaseSync, StatementSync } from 'node:sqlite'

const caches = new WeakMap<DatabaseSync, Map<string, StatementSync>>()

export function cached(db: DatabaseSync, sql: string): StatementSync {
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
