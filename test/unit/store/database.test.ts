import { createHash } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { describe, expect, it } from 'vitest'
import { UserError } from '../../../src/lib/errors.js'
import { APPLICATION_ID, openDatabase } from '../../../src/lib/store/database.js'
import { SCHEMA_VERSION } from '../../../src/lib/store/migrations.js'
import { Store } from '../../../src/lib/store/store.js'
import { tempHome } from '../../support/context.js'

const digest = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex')

function expectRefused(path: string, code: string) {
  const before = digest(path)
  let err: unknown
  try {
    openDatabase(path)
  } catch (e) {
    err = e
  }
  expect(err).toBeInstanceOf(UserError)
  expect((err as UserError).code).toBe(code)
  expect(digest(path)).toBe(before)
}

describe('fleet database', () => {
  it('creates a WAL store stamped with our application id and the latest schema version', () => {
    const path = join(tempHome(), 'fleet.db')
    const db = openDatabase(path)
    expect((db.prepare('PRAGMA journal_mode').get() as { journal_mode: string }).journal_mode).toBe('wal')
    expect((db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version).toBe(
      SCHEMA_VERSION,
    )
    expect((db.prepare('PRAGMA application_id').get() as { application_id: number }).application_id).toBe(
      APPLICATION_ID,
    )
    db.close()
    const again = openDatabase(path)
    expect((again.prepare('PRAGMA user_version').get() as { user_version: number }).user_version).toBe(
      SCHEMA_VERSION,
    )
    again.close()
  })

  it('refuses a file that is not SQLite, untouched', () => {
    const path = join(tempHome(), 'fleet.db')
    writeFileSync(path, 'this is a text file pretending to be a database\n'.repeat(10))
    expectRefused(path, 'STORE_CORRUPT')
  })

  it("refuses another application's SQLite database, untouched", () => {
    const path = join(tempHome(), 'fleet.db')
    const other = new DatabaseSync(path)
    other.exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes VALUES (1, 'x')")
    other.close()
    expectRefused(path, 'STORE_CORRUPT')
  })

  it('refuses a store written by a newer clawops, untouched', () => {
    const path = join(tempHome(), 'fleet.db')
    openDatabase(path).close()
    const raw = new DatabaseSync(path)
    raw.exec(`PRAGMA user_version = ${SCHEMA_VERSION + 1}`)
    raw.exec('PRAGMA wal_checkpoint(TRUNCATE)')
    raw.close()
    expectRefused(path, 'STORE_TOO_NEW')
  })

  it('maps a damaged page to STORE_CORRUPT and rolls the write back', () => {
    const path = join(tempHome(), 'fleet.db')
    const store = Store.open(path)
    store.tx(() => {
      for (let i = 0; i < 2000; i++) {
        store.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)').run(`k${i}`, 'v'.repeat(200))
      }
    })
    store.db.exec('PRAGMA wal_checkpoint(TRUNCATE)')
    store.close()
    const bytes = readFileSync(path)
    // Scribble over the middle of the file: b-tree pages of the meta table.
    bytes.fill(0xa5, 8 * 4096, 40 * 4096)
    writeFileSync(path, bytes)
    let err: unknown
    try {
      const damaged = Store.open(path)
      damaged.tx(() => {
        damaged.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)').run('new', 'row')
        damaged.db.prepare('SELECT count(*) FROM meta WHERE value LIKE ?').get('%v%')
      })
    } catch (e) {
      err = e
    }
    expect((err as UserError).code).toBe('STORE_CORRUPT')
  })

  it('rolls back a nested transaction without losing the outer one', () => {
    const store = Store.open(join(tempHome(), 'fleet.db'))
    store.tx(() => {
      store.db.prepare("INSERT INTO meta VALUES ('outer', '1')").run()
      expect(() =>
        store.tx(() => {
          store.db.prepare("INSERT INTO meta VALUES ('inner', '1')").run()
          throw new Error('inner fails')
        }),
      ).toThrow('inner fails')
    })
    const keys = (store.db.prepare('SELECT key FROM meta ORDER BY key').all() as { key: string }[]).map(
      (r) => r.key,
    )
    expect(keys).toContain('outer')
    expect(keys).not.toContain('inner')
  })
})

describe('migrations', () => {
  it('records each applied version and refuses a store with a version it does not know', () => {
    const path = join(tempHome(), 'fleet.db')
    openDatabase(path).close()
    const raw = new DatabaseSync(path)
    const versions = (
      raw.prepare('SELECT version FROM schema_migrations ORDER BY version').all() as { version: number }[]
    ).map((r) => r.version)
    expect(versions.at(-1)).toBe(SCHEMA_VERSION)
    // A newer clawops that filled a gap below our highest version.
    raw.prepare("INSERT INTO schema_migrations VALUES (999, 'future', '2030-01-01')").run()
    raw.close()
    expect(() => openDatabase(path)).toThrow(/newer|understands/)
  })
})
