/**
 * `clawops store copy`: the current store (SQLite or PostgreSQL) into an empty target, verified there.
 * The copy is audited on the target, as the first act of the fleet in its new home.
 */
import { existsSync } from 'node:fs'
import { readSecretFile } from '../config/secret-file.js'
import type { Context } from '../context.js'
import { UserError } from '../errors.js'
import { AuditTrail } from '../store/audit-trail.js'
import { type CopyResult, copyStore } from '../store/copy.js'
import { isPostgresUrl, redactUrl } from '../store/postgres.js'
import { Store } from '../store/store.js'

function targetOf(o: { to?: string | undefined; toFile?: string | undefined }): string {
  const to = o.toFile ? readSecretFile(o.toFile) : o.to
  if (!to) throw new UserError('INVALID_INPUT', 'name the target with --to or --to-file')
  if (!isPostgresUrl(to) && existsSync(to)) {
    throw new UserError(
      'CONFLICT',
      `${to} exists; the target of a copy is a new SQLite file or a PostgreSQL database`,
      {
        hint: 'Name a path that does not exist yet.',
      },
    )
  }
  return to
}

export async function copyStoreTo(
  ctx: Context,
  o: { to?: string | undefined; toFile?: string | undefined },
): Promise<CopyResult> {
  if (ctx.actor !== 'operator') {
    throw new UserError('POLICY_DENIED', `${ctx.actor} may not copy the fleet store; only the operator may`, {
      details: { rule: 'store-copy-operator-only', actor: ctx.actor },
    })
  }
  const to = targetOf(o)
  const source = ctx.store()
  const shown = isPostgresUrl(to) ? redactUrl(to) : to
  if (shown === source.location) {
    throw new UserError('INVALID_INPUT', 'the target is the store clawops is using', {
      hint: 'Name another database.',
    })
  }
  const target = Store.open(to)
  try {
    const result = copyStore(source, target)
    target.repo(AuditTrail).append({
      ...ctx.who,
      action: 'store.copy',
      outcome: 'ok',
      details: { from: result.from, rows: result.rows, auditEntries: result.audit.entries },
    })
    return result
  } finally {
    target.close()
  }
}
