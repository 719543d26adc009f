import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { afterEach, describe, expect, it } from 'vitest'
import type { UserError } from '../../../src/lib/errors.js'
import { AuditTrail } from '../../../src/lib/store/audit-trail.js'
import { damageMarkPath, readDamageMark } from '../../../src/lib/store/integrity.js'
import { backupDue, backupStore, listBackups } from '../../../src/lib/store-admin/backup.js'
import { restoreStore } from '../../../src/lib/store-admin/restore.js'
import { manualClock, testContext } from '../../support/context.js'
import { scribblePage } from '../../support/store-damage.js'
import { onPostgres } from '../../support/store-engine.js'

const children: ChildProcess[] = []
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL')
})

function fill(ctx: ReturnType<typeof testContext>, rows: number, prefix = 'fill'): void {
  const store = ctx.store()
  const ins = store.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)')
  store.tx(() => {
    for (let i = 0; i < rows; i++) ins.run(`${prefix}${i}`, 'v'.repeat(200))
  })
}

/**
 * Another process writing as fast as it can: each transaction adds a row and bumps a counter, so a
 * copy is consistent exactly when its counter equals its rows.
 */
function startWriter(path: string): ChildProcess {
  const code = `
    import { DatabaseSync } from 'node:sqlite'
    const db = new DatabaseSync(${JSON.stringify(path)}, { timeout: 10000 })
    let i = 0
    for (;;) {
      db.exec('BEGIN IMMEDIATE')
      db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)').run('w' + i, 'x'.repeat(300))
      db.prepare("INSERT INTO meta (key, value) VALUES ('writes', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value").run(String(i + 1))
      db.exec('COMMIT')
      if (++i === 50) process.stdout.write('writing\\n')
      // A breath between commits, as any real writer has: others get the write lock too.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1)
    }`
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  children.push(child)
  return child
}

function writes(path: string): { counter: number; rows: number } {
  const db = new DatabaseSync(path, { readOnly: true })
  try {
    const counter = Number(
      (db.prepare("SELECT value FROM meta WHERE key = 'writes'").get() as { value: string }).value,
    )
    const rows = (
      db.prepare("SELECT count(*) AS n FROM meta WHERE key LIKE 'w%' AND key <> 'writes'").get() as {
        n: number
      }
    ).n
    return { counter, rows }
  } finally {
    db.close()
  }
}

// `store backup` and `store restore` copy the SQLite file (SQLite's online backup, its page checks):
// on PostgreSQL they answer ENGINE_UNSUPPORTED (test/cli/store-engines.test.ts) and the server's own
// tools back it up, so the -pg project leaves these cases out.
describe.skipIf(onPostgres())('clawops store backup', () => {
  it('copies a consistent store while another process keeps writing, checks it, and audits it', async () => {
    const ctx = testContext()
    fill(ctx, 60_000)
    const writer = startWriter(ctx.storePath)
    await new Promise<void>((r) => writer.stdout!.on('data', () => r()))
    const before = writes(ctx.storePath).counter
    const r = await backupStore(ctx)
    const during = writes(ctx.storePath).counter
    writer.kill('SIGKILL')
    const copy = writes(r.path)
    // The writer went on during the copy, and the copy is one commit of it: counter and rows agree.
    expect(during).toBeGreaterThan(before)
    expect(copy.counter).toBeGreaterThanOrEqual(before)
    expect(copy.rows).toBe(copy.counter)
    expect(r).toMatchObject({ check: { kind: 'quick_check', ok: true }, pruned: [] })
    expect(r.bytes).toBe(statSync(r.path).size)
    expect(statSync(r.path).mode & 0o777).toBe(0o600)
    expect(readdirSync(join(ctx.home, 'backups')).filter((f) => f.startsWith('.'))).toEqual([])
    const entry = ctx.store().repo(AuditTrail).query({ action: 'store.backup' })[0]!
    expect(entry).toMatchObject({ target: r.path, outcome: 'ok', details: { sha256: r.sha256 } })
  }, 60_000)

  it('keeps the newest N backups and audits each one it prunes; --to files are never pruned', async () => {
    const clock = manualClock()
    const home = testContext().home
    writeFileSync(join(home, 'config.json'), JSON.stringify({ store: { backup: { keep: 2 } } }))
    const ctx = testContext({ home, clock, config: { store: { backup: { keep: 2 } } } as never })
    const made: string[] = []
    for (let i = 0; i < 4; i++) {
      made.push((await backupStore(ctx)).path)
      clock.advance(60_000)
    }
    const kept = listBackups(join(home, 'backups')).map((b) => b.path)
    expect(kept).toEqual([made[3], made[2]])
    expect(existsSync(made[0]!)).toBe(false)
    const prunes = ctx.store().repo(AuditTrail).query({ action: 'store.backup.prune' })
    expect(prunes.map((e) => e.target).sort()).toEqual([made[0], made[1]].sort())
    const own = join(home, 'mine.db')
    await backupStore(ctx, { to: own })
    expect(existsSync(own)).toBe(true)
    await expect(backupStore(ctx, { to: own })).rejects.toMatchObject({ code: 'CONFLICT' })
  })

  it('is due when the newest backup is older than the interval, never when the interval is 0', async () => {
    const clock = manualClock()
    const ctx = testContext({ clock })
    expect(backupDue(ctx)).toBe(true)
    await backupStore(ctx)
    expect(backupDue(ctx)).toBe(false)
    clock.advance(361 * 60_000)
    expect(backupDue(ctx)).toBe(true)
    expect(backupDue(ctx, { dir: join(ctx.home, 'backups'), intervalMinutes: 0, keep: 8 })).toBe(false)
  })

  it('refuses to count a copy of a damaged store: the store is marked, kept backups stay', async () => {
    const ctx = testContext()
    fill(ctx, 2000)
    const good = await backupStore(ctx)
    ctx.store().db.exec('PRAGMA wal_checkpoint(TRUNCATE)')
    // Damage under a store already open (its open-time check passed): the copy shows it.
    scribblePage(ctx.storePath, 'meta')
    const err = (await backupStore(ctx).catch((e) => e)) as UserError
    expect(err.code).toBe('STORE_CORRUPT')
    expect(readDamageMark(ctx.storePath)?.reason).toMatch(/quick_check/)
    expect(listBackups(join(ctx.home, 'backups')).map((b) => b.path)).toEqual([good.path])
    expect(readdirSync(join(ctx.home, 'backups'))).toEqual([good.path.split('/').at(-1)])
  })
})

describe.skipIf(onPostgres())('clawops store restore', () => {
  const yes = async () => true

  it('puts a checked backup in place, keeps the damaged store aside, and audits the restore', async () => {
    const ctx = testContext()
    fill(ctx, 2000)
    const backup = await backupStore(ctx)
    fill(ctx, 10, 'newer') // rows the backup does not have
    ctx.store().db.exec('PRAGMA wal_checkpoint(TRUNCATE)')
    ctx.close()
    scribblePage(ctx.storePath, 'meta')
    const damagedBytes = readFileSync(ctx.storePath)
    expect(() => testContext({ home: ctx.home }).store()).toThrow(/STORE|damage/)
    expect(existsSync(damageMarkPath(ctx.storePath))).toBe(true)

    const r = await restoreStore(testContext({ home: ctx.home }), backup.path, yes)
    expect(r.restored).toBe(backup.path)
    expect(r.replacedDamage).toMatch(/quick_check/)
    expect(readFileSync(r.replacedBy!).equals(damagedBytes)).toBe(true)
    expect(existsSync(`${r.replacedBy}.damaged`)).toBe(true)
    expect(existsSync(damageMarkPath(ctx.storePath))).toBe(false)
    const after = testContext({ home: ctx.home }).store()
    expect(
      (after.db.prepare("SELECT count(*) AS n FROM meta WHERE key LIKE 'fill%'").get() as { n: number }).n,
    ).toBe(2000)
    expect(after.repo(AuditTrail).query({ action: 'store.restore' })[0]).toMatchObject({
      actor: 'operator',
      details: { from: backup.path, sha256: backup.sha256, replacedBy: r.replacedBy },
    })
    expect(after.repo(AuditTrail).verify().ok).toBe(true)
  })

  it('checks the backup first: a damaged, foreign or cut-off file is refused and nothing moves', async () => {
    const ctx = testContext()
    fill(ctx, 2000)
    const backup = await backupStore(ctx)
    ctx.close()
    const before = readFileSync(ctx.storePath)
    scribblePage(backup.path, 'meta')
    const foreign = join(ctx.home, 'other.db')
    const other = new DatabaseSync(foreign)
    other.exec('CREATE TABLE t (x)')
    other.close()
    const cut = join(ctx.home, 'cut.db')
    writeFileSync(cut, readFileSync(backup.path).subarray(0, 5000))
    for (const file of [backup.path, foreign, cut]) {
      const err = (await restoreStore(testContext({ home: ctx.home }), file, yes).catch(
        (e) => e,
      )) as UserError
      expect(err.code, file).toBe('INVALID_INPUT')
      expect(err.message).toContain('cannot be restored')
    }
    expect(readFileSync(ctx.storePath).equals(before)).toBe(true)
    expect(readdirSync(ctx.home).filter((f) => f.includes('replaced'))).toEqual([])
  })

  it('refuses while another process has the store open, when not confirmed, and for agents', async () => {
    const ctx = testContext()
    const backup = await backupStore(ctx)
    const held = new DatabaseSync(ctx.storePath)
    held.prepare('SELECT count(*) FROM meta').get()
    await expect(restoreStore(testContext({ home: ctx.home }), backup.path, yes)).rejects.toMatchObject({
      code: 'CONFLICT',
    })
    held.close()
    ctx.close()
    await expect(
      restoreStore(testContext({ home: ctx.home }), backup.path, async () => false),
    ).rejects.toMatchObject({
      code: 'CONFIRMATION_REQUIRED',
    })
    await expect(
      restoreStore(testContext({ home: ctx.home, actor: 'commander' }), backup.path, yes),
    ).rejects.toMatchObject({ code: 'POLICY_DENIED' })
    expect(readdirSync(ctx.home).filter((f) => f.includes('replaced'))).toEqual([])
  })
})
