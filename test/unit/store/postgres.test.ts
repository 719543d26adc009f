// What only PostgreSQL has to prove (the unit-pg project; the other suites run unchanged on both
// engines): a database that is not a clawops store, or a newer one, is refused untouched; the audit
// trail is append-only in the database; writers in separate sessions are serialized; outbox claims
// by separate sessions take disjoint rows (FOR UPDATE SKIP LOCKED) and never wait; leases run on the
// server's clock; a URL's password never shows. Two connections in one thread stand for two hosts:
// each is a session of its own, exactly as another machine's would be.
import { describe, expect, it } from 'vitest'
import { UserError } from '../../../src/lib/errors.js'
import { SCHEMA_VERSION } from '../../../src/lib/store/migrations.js'
import { Outbox } from '../../../src/lib/store/outbox.js'
import { numberPlaceholders, PostgresDatabase, redactUrl } from '../../../src/lib/store/postgres.js'
import { Store } from '../../../src/lib/store/store.js'
import { freshSchemaUrl, onPostgres, postgresUrl } from '../../support/store-engine.js'

function refusal(fn: () => unknown): UserError {
  try {
    fn()
  } catch (e) {
    expect(e).toBeInstanceOf(UserError)
    return e as UserError
  }
  throw new Error('expected a refusal')
}

function raw(url: string, sql: string): void {
  const db = new PostgresDatabase(url)
  try {
    db.exec(sql)
  } finally {
    db.close()
  }
}

function queue(store: Store, n: number): void {
  const outbox = store.repo(Outbox)
  for (let i = 0; i < n; i++) {
    outbox.enqueue({
      id: `ob-${i}`,
      eventId: `ev-${i}`,
      target: 'guardian',
      dedupeKey: `k-${i}`,
      priority: i % 3,
      state: 'pending',
      silenceId: null,
      createdAt: `2026-12-05T10:00:${String(i).padStart(2, '0')}.000Z`,
    })
  }
}

const delivery = (id: string) => () => ({
  id,
  target: 'guardian',
  agentId: 'guardian',
  sessionKey: 's',
  body: '{}',
})

describe('placeholders and secrets (no server needed)', () => {
  it('numbers ? placeholders outside literals, quoted names and comments', () => {
    expect(numberPlaceholders('SELECT ?, \'?\', "a?", x -- ?\n FROM t WHERE a = ? /* ? */ AND b = ?')).toBe(
      'SELECT $1, \'?\', "a?", x -- ?\n FROM t WHERE a = $2 /* ? */ AND b = $3',
    )
  })

  it('never shows a password', () => {
    expect(redactUrl('postgresql://ops:s3cr%40t@db:5432/fleet?sslpassword=x&sslmode=require')).toBe(
      'postgresql://ops:***@db:5432/fleet?sslpassword=***&sslmode=require',
    )
  })
})

describe.skipIf(!onPostgres())('the store on PostgreSQL', () => {
  it('migrates an empty schema once, and a second open applies nothing', () => {
    const url = freshSchemaUrl()
    const a = Store.open(url)
    expect(a.engine).toBe('postgres')
    expect(a.db.migrated).toEqual(Array.from({ length: SCHEMA_VERSION }, (_, i) => i + 1))
    const b = Store.open(url)
    expect(b.db.migrated).toEqual([])
    a.close()
    b.close()
  })

  it('refuses a schema holding other tables, and one a newer clawops wrote, untouched', () => {
    const other = freshSchemaUrl()
    raw(other, 'CREATE TABLE notes (id int); INSERT INTO notes VALUES (1)')
    expect(refusal(() => Store.open(other)).code).toBe('STORE_CORRUPT')
    const probe = new PostgresDatabase(other)
    expect(
      probe
        .prepare('SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = current_schema()')
        .get(),
    ).toEqual({ n: 1 })
    probe.close()

    const newer = freshSchemaUrl()
    Store.open(newer).close()
    raw(newer, "INSERT INTO schema_migrations VALUES (999, 'from the future', '2030-01-01')")
    const err = refusal(() => Store.open(newer))
    expect(err.code).toBe('STORE_TOO_NEW')
    expect(err.details).toMatchObject({ found: 999 })
  })

  it('says STORE_UNREACHABLE without the password', () => {
    const err = refusal(() => Store.open('postgresql://ops:hunter2@127.0.0.1:1/fleet'))
    expect(err.code).toBe('STORE_UNREACHABLE')
    expect(JSON.stringify({ m: err.message, d: err.details, h: err.hint })).not.toContain('hunter2')
  })

  it('keeps the audit trail append-only in the database: UPDATE, DELETE and TRUNCATE are refused', () => {
    const store = Store.open(freshSchemaUrl())
    store.db
      .prepare(
        "INSERT INTO audit (seq, ts, actor, action, outcome, details, prev_hash, hash) VALUES (1, 't', 'a', 'x', 'ok', '{}', 'p', 'h')",
      )
      .run()
    for (const sql of ["UPDATE audit SET actor = 'x'", 'DELETE FROM audit', 'TRUNCATE audit']) {
      expect(() => store.db.exec(sql)).toThrow(/append-only/)
    }
    expect(store.db.prepare('SELECT count(*) AS n FROM audit').get()).toEqual({ n: 1 })
    store.close()
  })

  it('serializes writers of separate sessions: a second one waits for the first, and gives up after the busy timeout', () => {
    const url = freshSchemaUrl()
    const a = Store.open(url)
    const b = Store.open(url, { busyTimeoutMs: 300 })
    const t = performance.now()
    const err = a.tx(() => {
      a.db.prepare("INSERT INTO meta (key, value) VALUES ('a', '1')").run()
      try {
        b.tx(() => b.db.prepare("INSERT INTO meta (key, value) VALUES ('b', '1')").run())
        return null
      } catch (e) {
        return e as { code?: string }
      }
    })
    expect(err?.code).toBe('55P03') // lock_not_available: b waited for a's write lock
    expect(performance.now() - t).toBeGreaterThanOrEqual(250)
    // Once a has committed, b writes.
    b.tx(() => b.db.prepare("INSERT INTO meta (key, value) VALUES ('b', '1')").run())
    expect(a.db.prepare('SELECT key FROM meta ORDER BY key').all()).toEqual([{ key: 'a' }, { key: 'b' }])
    a.close()
    b.close()
  })

  it('claims outbox rows FOR UPDATE SKIP LOCKED: two deliverers take disjoint rows without waiting', () => {
    const url = freshSchemaUrl()
    const a = Store.open(url)
    const b = Store.open(url, { busyTimeoutMs: 300 })
    queue(a, 10)
    let second: ReturnType<Outbox['claim']>
    const first = a.repo(Outbox).claim('guardian', 4, '2026-12-05T10:01:00.000Z', () => {
      // a holds its 4 rows (uncommitted) while b claims: b skips them rather than waiting.
      second = b.repo(Outbox).claim('guardian', 100, '2026-12-05T10:01:00.000Z', delivery('dlv-b'))
      return delivery('dlv-a')()
    })
    const rowsA = a
      .repo(Outbox)
      .rowsOf(first!.id)
      .map((r) => r.id)
    const rowsB = b
      .repo(Outbox)
      .rowsOf(second!.id)
      .map((r) => r.id)
    expect(rowsA).toHaveLength(4)
    expect(rowsB).toHaveLength(6)
    expect(new Set([...rowsA, ...rowsB]).size).toBe(10)
    expect(a.repo(Outbox).stats()).toMatchObject({ pending: 0, sending: 10 })
    expect(a.repo(Outbox).claim('guardian', 10, 'x', delivery('dlv-c'))).toBeUndefined()
    a.close()
    b.close()
  })

  it('batches rows as one multi-row INSERT with the answers of one statement per row', () => {
    const store = Store.open(freshSchemaUrl())
    const db = store.db
    db.exec('CREATE TABLE kv (k TEXT PRIMARY KEY, v TEXT, n BIGINT)')
    const rows = Array.from({ length: 2500 }, (_, i) => [`k${i}`, `it's ${i}`, i])
    expect(db.batch('INSERT INTO kv (k, v, n) VALUES (?, ?, ?)', rows)).toBe(2500)
    // An upsert whose rows repeat a key: later rows win, as one statement per row would have it.
    const upsert = 'INSERT INTO kv (k, v, n) VALUES (?, ?, ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v'
    expect(
      db.batch(upsert, [
        ['k1', 'a', 0],
        ['new', 'b', 0],
        ['k1', 'c', 0],
        ['new', 'd', 0],
      ]),
    ).toBe(4)
    expect(
      db.batch('INSERT INTO kv (k, v, n) VALUES (?, ?, ?) ON CONFLICT DO NOTHING', [
        ['k2', 'x', 0],
        ['z', 'y', 0],
        ['z', 'w', 0],
      ]),
    ).toBe(1)
    const get = (k: string) => db.prepare('SELECT v FROM kv WHERE k = ?').get(k)?.v
    expect([get('k1'), get('new'), get('k2'), get('z'), get('k2499')]).toEqual([
      'c',
      'd',
      "it's 2",
      'y',
      "it's 2499",
    ])
    // A failing row fails the whole batch: nothing of it stays.
    expect(() =>
      db.batch('INSERT INTO kv (k, v, n) VALUES (?, ?, ?)', [
        ['fresh', 'x', 0],
        ['k3', 'dup', 0],
      ]),
    ).toThrow()
    expect(get('fresh')).toBeUndefined()
    store.close()
  })

  it('measures leases on the server clock', () => {
    const store = Store.open(freshSchemaUrl())
    const server = store.sharedClock().getTime()
    expect(Math.abs(server - Date.now())).toBeLessThan(60_000)
    store.close()
    expect(postgresUrl()).toBeDefined()
  })
})
