/**
 * `clawops store restore FILE`: puts a backup in place of the fleet database. The file is checked in
 * full first (SQLite's integrity_check, our schema); the store it replaces, damaged or not, is kept
 * aside with its WAL and its damage mark, never deleted; nothing may have the store open meanwhile;
 * the restore is the first audit entry of the restored store.
 */
import { existsSync, renameSync, statSync } from 'node:fs'
import { resolve } from 'node:path'
import type { Context } from '../context.js'
import { UserError } from '../errors.js'
import { AuditTrail } from '../store/audit-trail.js'
import { damageMarkPath, readDamageMark } from '../store/integrity.js'
import { Operations } from '../store/operations.js'
import { isPostgresUrl, redactUrl } from '../store/postgres.js'
import { assertNotInUse, checkStoreFile, placeCopy, sha256Of } from '../store/snapshot.js'
import { engineUnsupported } from '../store/store.js'

export interface RestoreResult {
  restored: string
  sha256: string
  /** The time of the backup's last audit entry: the fleet as the store now knows it. */
  asOf: string | null
  pairs: number
  check: { kind: string; ms: number }
  /** Where the replaced store was kept (null when there was none). */
  replacedBy: string | null
  replacedDamage: string | null
  unfinishedOperations: number
}

/** What the restore would do, for the confirmation: the backup and the store it replaces. */
export interface RestorePreview {
  file: string
  asOf: string | null
  pairs: number
  current: { exists: boolean; damaged: string | null }
}

function unusable(file: string, why: string): UserError {
  return new UserError('INVALID_INPUT', `${file} cannot be restored: ${why}`, {
    hint: 'Pick another backup (clawops store backup writes them to $CLAWOPS_HOME/backups by default).',
    details: { file },
  })
}

/** Checks the backup in full; throws INVALID_INPUT (or STORE_TOO_NEW) naming what is wrong with it. */
function inspectBackup(ctx: Context, file: string): RestorePreview & { checkMs: number } {
  const path = resolve(file)
  if (!existsSync(path)) throw new UserError('NOT_FOUND', `${path} does not exist`)
  let report: ReturnType<typeof checkStoreFile>
  try {
    report = checkStoreFile(path, 'integrity_check')
  } catch (err) {
    if (err instanceof UserError && err.code === 'STORE_TOO_NEW') throw err
    throw unusable(path, err instanceof Error ? err.message : String(err))
  }
  if (!report.check.ok)
    throw unusable(path, `integrity_check: ${report.check.problems.slice(0, 3).join('; ')}`)
  const mark = readDamageMark(ctx.storePath)
  return {
    file: path,
    asOf: report.asOf,
    pairs: report.pairs,
    checkMs: report.check.ms,
    current: { exists: existsSync(ctx.storePath), damaged: mark ? mark.reason : null },
  }
}

/**
 * Restores `file` over the store. `confirm` sees what would happen once the backup has passed its
 * check (and only when a store exists to be replaced); false stops before anything moves.
 */
export async function restoreStore(
  ctx: Context,
  file: string,
  confirm: (preview: RestorePreview) => Promise<boolean>,
): Promise<RestoreResult> {
  const location = ctx.storeLocation()
  if (isPostgresUrl(location)) throw engineUnsupported('store restore', redactUrl(location))
  if (ctx.actor !== 'operator') {
    throw new UserError(
      'POLICY_DENIED',
      `${ctx.actor} may not restore the fleet store; only the operator may`,
      {
        details: { rule: 'store-restore-operator-only', actor: ctx.actor },
      },
    )
  }
  const preview = inspectBackup(ctx, file)
  if (preview.current.exists && !(await confirm(preview))) {
    throw new UserError(
      'CONFIRMATION_REQUIRED',
      `restoring ${preview.file} over ${ctx.storePath} was not confirmed`,
      {
        hint: 'Re-run with --yes to restore.',
        details: preview,
      },
    )
  }
  const storePath = ctx.storePath
  if (resolve(storePath) === preview.file) throw unusable(preview.file, 'it is the live store itself')
  const sha256 = await sha256Of(preview.file)
  const mark = readDamageMark(storePath)
  ctx.close()
  let replacedBy: string | null = null
  if (existsSync(storePath)) {
    if (statSync(storePath).isFile()) assertNotInUse(storePath)
    replacedBy = `${storePath}.replaced-${ctx.now().replace(/[-:.]/g, '')}`
    // The WAL belongs to the file it was written for: both go aside together, with the damage mark.
    for (const suffix of ['', '-wal', '-shm']) {
      if (existsSync(storePath + suffix)) renameSync(storePath + suffix, replacedBy + suffix)
    }
    if (existsSync(damageMarkPath(storePath))) renameSync(damageMarkPath(storePath), `${replacedBy}.damaged`)
  }
  placeCopy(preview.file, storePath)
  const store = ctx.store()
  store.repo(AuditTrail).append({
    ...ctx.who,
    action: 'store.restore',
    target: storePath,
    outcome: 'ok',
    details: {
      from: preview.file,
      sha256,
      asOf: preview.asOf,
      replacedBy,
      replacedDamage: mark?.reason ?? null,
    },
  })
  return {
    restored: preview.file,
    sha256,
    asOf: preview.asOf,
    pairs: preview.pairs,
    check: { kind: 'integrity_check', ms: preview.checkMs },
    replacedBy,
    replacedDamage: mark?.reason ?? null,
    unfinishedOperations: store.repo(Operations).list({ states: ['running'], limit: 10_000 }).length,
  }
}
