import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { describe, expect, it } from 'vitest'
import { UserError } from '../../../src/lib/errors.js'
import { APPLICATION_ID, openDatabase, QUICK_CHECK_MAX_BYTES } from '../../../src/lib/store/database.js'
import { damageMarkPath, readDamageMark } from '../../../src/lib/store/integrity.js'
import { SCHEMA_VERSION } from '../../../src/lib/store/migrations.js'
import { Store } from '../../../src/lib/store/store.js'
import { verifyStore } from '../../../src/lib/store-admin/verify.js'
import { tempHome, testContext } from '../../support/context.js'
import { scribblePage } from '../../support/store-damage.js'
import { onPostgres } from '../../support/store-engine.js'

const digest = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex')

function expectRefused(path: string, code: string, message?: RegExp) {
  const before = digest(path)
  let err: unknown
  try {
    openDatabase(path)
  } catch (e) {
    err = e
  }
  expect(err).toBeInstanceOf(UserError)
  expect((err as UserError).code).toBe(code)
  if (message) expect((err as UserError).message).toMatch(message)
  expect(digest(path)).toBe(before)
}

/** A real store with rows in it, checkpointed so that the file holds everything. */
function filledStore(pairs = 300): string {
  const path = join(tempHome(), 'fleet.db')
  const store = Store.open(path)
  const ins = store.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)')
  store.tx(() => {
    for (let i = 0; i < pairs; i++) ins.run(`k${i}`, 'v'.repeat(200))
  })
  store.db.exec('PRAGMA wal_checkpoint(TRUNCATE)')
  store.close()
  return path
}

// The SQLite file: its header, WAL, page damage and damage marks. None of it exists on PostgreSQL
// (the server owns its files); the PostgreSQL store's refusals and migrations are proven in
// test/unit/store/postgres.test.ts, so the -pg project leaves this file's cases out.
describe.skipIf(onPostgres())('fleet database', () => {
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

describe.skipIf(onPostgres())(
  'a store that is not whole is refused, never re-created or written over',
  () => {
    it('refuses an empty fleet.db (0 bytes) and leaves it as it is', () => {
      const path = join(tempHome(), 'fleet.db')
      writeFileSync(path, '')
      expectRefused(path, 'STORE_CORRUPT', /empty \(0 bytes\)/)
      expect(readFileSync(path)).toHaveLength(0)
    })

    it('refuses a store cut off anywhere: inside the header, at a page boundary, mid-page', () => {
      const source = filledStore()
      const full = readFileSync(source)
      for (const size of [1, 100, 4096, 8192, 5 * 4096 + 17, full.length - 4096]) {
        const path = join(tempHome(), 'fleet.db')
        writeFileSync(path, full.subarray(0, size))
        expectRefused(path, 'STORE_CORRUPT', /cut off/)
        expect(readFileSync(path)).toHaveLength(size)
      }
    })

    it('refuses a fleet.db that is a directory, and a home that is a file, with clear errors', () => {
      const home = tempHome()
      mkdirSync(join(home, 'fleet.db'))
      expect(() => openDatabase(join(home, 'fleet.db'))).toThrow(/is a directory/)
      const file = join(tempHome(), 'not-a-dir')
      writeFileSync(file, 'x')
      let err: unknown
      try {
        openDatabase(join(file, 'fleet.db'))
      } catch (e) {
        err = e
      }
      expect((err as UserError).code).toBe('CONFIG_INVALID')
      expect((err as UserError).message).toMatch(/is a file, not a directory/)
    })

    it('catches a scribbled data page on open, marks the store, and refuses it from then on', () => {
      const path = filledStore()
      expect(readFileSync(path).length).toBeLessThan(QUICK_CHECK_MAX_BYTES)
      scribblePage(path, 'meta')
      expectRefused(path, 'STORE_CORRUPT', /quick_check found damage/)
      expect(readDamageMark(path)?.reason).toMatch(/quick_check/)
      // The mark alone refuses it now, before SQLite reads a page.
      expectRefused(path, 'STORE_CORRUPT', /was found damaged/)
    })

    it('marks the store when a write meets damage, and refuses the next open', () => {
      const path = filledStore()
      const store = Store.open(path)
      store.close()
      // Damage after the open's check: a command that was already running meets it.
      const late = Store.open(path)
      scribblePage(path, 'meta')
      expect(() =>
        late.tx(() => {
          late.db.prepare("INSERT INTO meta (key, value) VALUES ('late', 'x')").run()
          late.db.prepare('SELECT count(*) FROM meta WHERE value LIKE ?').get('%v%')
        }),
      ).toThrow(/is damaged/)
      late.close()
      expect(existsSync(damageMarkPath(path))).toBe(true)
      expectRefused(path, 'STORE_CORRUPT', /was found damaged/)
    })

    it('lifts the mark only when a full integrity check and the audit chain pass (audit verify)', () => {
      const home = tempHome()
      const ctx = testContext({ home })
      ctx.store()
      ctx.close()
      writeFileSync(
        damageMarkPath(ctx.storePath),
        JSON.stringify({ detectedAt: 'then', reason: 'a read error', pid: 1 }),
      )
      expect(() => testContext({ home }).store()).toThrow(/was found damaged/)
      const r = verifyStore(testContext({ home }))
      expect(r).toMatchObject({
        ok: true,
        integrity: { ok: true, check: 'integrity_check' },
        markLifted: 'a read error',
      })
      expect(existsSync(damageMarkPath(ctx.storePath))).toBe(false)
      testContext({ home }).store().close()
    })

    it('keeps the mark and says STORE_CORRUPT when the integrity check fails', () => {
      const home = tempHome()
      const ctx = testContext({ home })
      const store = ctx.store()
      store.tx(() => {
        for (let i = 0; i < 300; i++)
          store.db.prepare('INSERT INTO meta VALUES (?, ?)').run(`k${i}`, 'v'.repeat(200))
      })
      store.db.exec('PRAGMA wal_checkpoint(TRUNCATE)')
      ctx.close()
      scribblePage(ctx.storePath, 'meta')
      let err: unknown
      try {
        verifyStore(testContext({ home }))
      } catch (e) {
        err = e
      }
      expect((err as UserError).code).toBe('STORE_CORRUPT')
      expect((err as UserError).message).toMatch(/integrity check/)
      expect(readDamageMark(ctx.storePath)).not.toBeNull()
    })

    it('creates a new store in one step: no temporary file is left, and the result is a stamped store', () => {
      const home = tempHome()
      openDatabase(join(home, 'fleet.db')).close()
      expect(readdirSync(home).filter((f) => f.startsWith('.'))).toEqual([])
      const raw = new DatabaseSync(join(home, 'fleet.db'))
      expect((raw.prepare('PRAGMA application_id').get() as { application_id: number }).application_id).toBe(
        APPLICATION_ID,
      )
      raw.close()
    })

    it('opens a whole store whose rows are still in the WAL, and refuses it once the file is cut', () => {
      const path = join(tempHome(), 'fleet.db')
      const writer = Store.open(path)
      writer.db.exec('PRAGMA wal_autocheckpoint = 0')
      writer.tx(() => {
        for (let i = 0; i < 500; i++)
          writer.db.prepare('INSERT INTO meta VALUES (?, ?)').run(`k${i}`, 'v'.repeat(500))
      })
      // Another process opens while the writer still has its frames in the WAL: a whole store.
      const reader = openDatabase(path)
      expect((reader.prepare('SELECT count(*) AS n FROM meta').get() as { n: number }).n).toBe(500)
      reader.close()
      writer.close()
      truncateSync(path, 4096 * 3)
      expectRefused(path, 'STORE_CORRUPT')
    })
  },
)

describe.skipIf(onPostgres())('migrations', () => {
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
