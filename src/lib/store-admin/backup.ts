/**
 * `clawops store backup` and watch's scheduled backups: an online copy of the fleet database, checked
 * page by page before it counts, kept in a directory that holds the newest N (older ones are pruned,
 * each removal audited). A copy that fails its check means the store itself is damaged: the store is
 * marked (every command refuses it from then on) and the backups already kept are left alone.
 */
import { chmodSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import type { Context } from '../context.js'
import { UserError } from '../errors.js'
import { AuditTrail } from '../store/audit-trail.js'
import { markDamaged } from '../store/integrity.js'
import { snapshotTo } from '../store/snapshot.js'

export interface BackupSettings {
  dir: string
  /** Watch takes one when the newest is older than this; 0: never on its own. */
  intervalMinutes: number
  keep: number
}

export const DEFAULT_BACKUP = { intervalMinutes: 360, keep: 8 }

export function backupSettings(ctx: Context): BackupSettings {
  const b = ctx.config().store?.backup ?? {}
  return {
    dir: resolve(ctx.home, b.dir ?? 'backups'),
    intervalMinutes: b.intervalMinutes ?? DEFAULT_BACKUP.intervalMinutes,
    keep: b.keep ?? DEFAULT_BACKUP.keep,
  }
}

/** fleet-20261205T210800123Z.db: sorts by time, to the millisecond. */
const NAME = /^fleet-(\d{8}T\d{9}Z)\.db$/

function nameFor(at: Date): string {
  return `fleet-${at.toISOString().replace(/[-:.]/g, '')}.db`
}

export interface BackupFile {
  path: string
  bytes: number
  takenAt: string
}

/** The backups in the directory, newest first (only files named as clawops names them). */
export function listBackups(dir: string): BackupFile[] {
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch {
    return []
  }
  return names
    .filter((n) => NAME.test(n))
    .sort()
    .reverse()
    .map((n) => {
      const t = NAME.exec(n)![1]!
      const takenAt = `${t.slice(0, 4)}-${t.slice(4, 6)}-${t.slice(6, 8)}T${t.slice(9, 11)}:${t.slice(11, 13)}:${t.slice(13, 15)}.${t.slice(15, 18)}Z`
      const path = join(dir, n)
      return { path, bytes: statSync(path).size, takenAt }
    })
}

export interface BackupResult {
  path: string
  bytes: number
  pages: number
  sha256: string
  ms: number
  check: { kind: string; ok: boolean; ms: number }
  pruned: string[]
}

export async function backupStore(ctx: Context, opts: { to?: string } = {}): Promise<BackupResult> {
  const settings = backupSettings(ctx)
  const managed = opts.to === undefined
  const dest = managed ? join(settings.dir, nameFor(ctx.clock())) : resolve(opts.to!)
  const store = ctx.store()
  const file = store.sqlite('store backup').location
  mkdirSync(dirname(dest), { recursive: true, mode: 0o700 })
  let snap: Awaited<ReturnType<typeof snapshotTo>>
  try {
    snap = await snapshotTo(store, dest, 'quick_check')
  } catch (err) {
    if (err instanceof UserError && err.code === 'STORE_CORRUPT') markDamaged(file, err.message)
    throw err
  }
  chmodSync(dest, 0o600)
  const trail = store.repo(AuditTrail)
  trail.append({
    ...ctx.who,
    action: 'store.backup',
    target: dest,
    outcome: 'ok',
    details: {
      bytes: snap.bytes,
      pages: snap.pages,
      sha256: snap.sha256,
      ms: snap.ms,
      checkMs: snap.check.ms,
    },
  })
  const pruned = managed ? pruneBackups(ctx, settings) : []
  return {
    path: snap.path,
    bytes: snap.bytes,
    pages: snap.pages,
    sha256: snap.sha256,
    ms: snap.ms,
    check: { kind: snap.check.check, ok: snap.check.ok, ms: snap.check.ms },
    pruned,
  }
}

/** Removes the backups beyond the newest `keep`; each removal is an audit entry first. */
export function pruneBackups(ctx: Context, settings: BackupSettings): string[] {
  const trail = ctx.store().repo(AuditTrail)
  const removed: string[] = []
  for (const old of listBackups(settings.dir).slice(settings.keep)) {
    trail.append({
      ...ctx.who,
      action: 'store.backup.prune',
      target: old.path,
      outcome: 'ok',
      details: { bytes: old.bytes, takenAt: old.takenAt, keep: settings.keep },
    })
    rmSync(old.path, { force: true })
    removed.push(old.path)
  }
  return removed
}

/**
 * Whether watch should take a backup now: the schedule is on and the newest is older than it. Never
 * on PostgreSQL, whose server is backed up with its own tools.
 */
export function backupDue(ctx: Context, settings: BackupSettings = backupSettings(ctx)): boolean {
  if (settings.intervalMinutes === 0 || ctx.store().engine === 'postgres') return false
  const newest = listBackups(settings.dir)[0]
  if (!newest) return true
  return ctx.clock().getTime() - Date.parse(newest.takenAt) >= settings.intervalMinutes * 60_000
}
