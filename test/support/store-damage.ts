/** Damage as disks and careless tools make it: a run of garbage in the middle of a page holding rows. */
import { readFileSync, writeFileSync } from 'node:fs'
import { DatabaseSync } from 'node:sqlite'

export function scribblePage(path: string, table: string): number {
  const db = new DatabaseSync(path)
  db.exec('PRAGMA wal_checkpoint(TRUNCATE)')
  const pages = (
    db.prepare('SELECT pageno FROM dbstat WHERE name = ? AND ncell > 0 ORDER BY pageno').all(table) as {
      pageno: number
    }[]
  ).map((r) => r.pageno)
  const size = (db.prepare('PRAGMA page_size').get() as { page_size: number }).page_size
  db.close()
  if (pages.length === 0) throw new Error(`no page of ${table} holds rows`)
  const page = pages[Math.floor(pages.length / 2)]!
  const bytes = readFileSync(path)
  const start = (page - 1) * size + size / 2
  bytes.fill(0xa5, start, start + 1000)
  writeFileSync(path, bytes)
  return page
}
