/**
 * How clawops knows the fleet database is whole: SQLite's own checks, and a mark that remembers damage.
 *
 * SQLite finds a damaged page only when something reads it, so a store can answer some queries well
 * while other pages are gone. Once any check or any read has found damage, the store is marked (a
 * small file next to it) and every later open refuses it until it is restored from a backup or a full
 * integrity check passes again: the store never becomes quietly usable, or quietly empty.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import type { DatabaseSync } from 'node:sqlite'

export type CheckKind = 'quick_check' | 'integrity_check'

export interface CheckResult {
  ok: boolean
  check: CheckKind
  /** SQLite's own findings (at most 20), empty when ok. */
  problems: string[]
  ms: number
}

const MAX_PROBLEMS = 20

/**
 * `quick_check` proves the b-tree structure of every page (O(N), no index cross-check);
 * `integrity_check` adds that every index matches its table and every constraint holds (~8× slower).
 */
export function checkDatabase(db: DatabaseSync, check: CheckKind): CheckResult {
  const t0 = performance.now()
  let problems: string[]
  try {
    const rows = db.prepare(`PRAGMA ${check}(${MAX_PROBLEMS})`).all() as Record<string, string>[]
    problems = rows.flatMap((r) => String(Object.values(r)[0]).split('\n')).filter((p) => p !== 'ok')
  } catch (err) {
    // Damage bad enough stops the check itself (SQLITE_CORRUPT): that is its finding.
    if (!isCorruption(err)) throw err
    problems = [(err as Error).message]
  }
  problems = problems.filter((p) => p !== '*** in database main ***').slice(0, MAX_PROBLEMS)
  return { ok: problems.length === 0, check, problems, ms: Math.round(performance.now() - t0) }
}

const SQLITE_CORRUPT = 11
const SQLITE_NOTADB = 26

/** True for the SQLite errors that mean a damaged file. */
export function isCorruption(err: unknown): boolean {
  const code = (err as { errcode?: number } | null)?.errcode
  return code === SQLITE_CORRUPT || code === SQLITE_NOTADB
}

export interface DamageMark {
  detectedAt: string
  reason: string
  pid: number
}

export function damageMarkPath(storePath: string): string {
  return `${storePath}.damaged`
}

/** Remembers that the store is damaged. The first mark stays: it says when damage was first seen. */
export function markDamaged(storePath: string, reason: string): void {
  const path = damageMarkPath(storePath)
  if (existsSync(path)) return
  const mark: DamageMark = {
    detectedAt: new Date().toISOString(),
    reason: reason.slice(0, 500),
    pid: process.pid,
  }
  try {
    writeFileSync(path, `${JSON.stringify(mark)}\n`, { flag: 'wx', mode: 0o600 })
  } catch {
    // A read-only directory or a concurrent mark: the error that follows still refuses the store.
  }
}

export function readDamageMark(storePath: string): DamageMark | null {
  const path = damageMarkPath(storePath)
  if (!existsSync(path)) return null
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as DamageMark
  } catch {
    return { detectedAt: 'unknown', reason: 'an unreadable damage mark', pid: 0 }
  }
}

export function clearDamageMark(storePath: string): void {
  rmSync(damageMarkPath(storePath), { force: true })
}
