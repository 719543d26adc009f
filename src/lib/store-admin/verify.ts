/**
 * `clawops audit verify`: the whole store, then the trail. SQLite's full integrity_check (every page,
 * every index against its table, every constraint) comes first: a chain read from damaged pages
 * proves nothing. A store marked damaged is opened for this check only, and the mark is lifted when
 * the check and the chain both pass (the damage was repaired, or a read error was transient).
 */
import type { Context } from '../context.js'
import { UserError } from '../errors.js'
import { AuditTrail, type VerifyResult } from '../store/audit-trail.js'
import { type CheckResult, clearDamageMark, markDamaged, readDamageMark } from '../store/integrity.js'

export interface StoreVerification extends VerifyResult {
  /** SQLite's integrity_check; null on PostgreSQL, whose server checks its own pages. */
  integrity: Pick<CheckResult, 'ok' | 'check' | 'ms'> | null
  /** The damage mark this check lifted, if the store had one. */
  markLifted: string | null
}

export function verifyStore(ctx: Context): StoreVerification {
  const store = ctx.store({ ignoreDamageMark: true })
  const integrity = store.check('integrity_check')
  if (integrity && !integrity.ok) {
    markDamaged(store.location, `integrity_check: ${integrity.problems[0]}`)
    throw new UserError(
      'STORE_CORRUPT',
      `${store.location} fails SQLite's integrity check: ${integrity.problems.slice(0, 3).join('; ')}`,
      {
        hint: 'Restore the store from a backup (clawops store restore <file>); keep this file as evidence.',
        details: { path: store.location, problems: integrity.problems },
      },
    )
  }
  const checked = integrity && { ok: true, check: integrity.check, ms: integrity.ms }
  const chain = store.repo(AuditTrail).verify()
  if (!chain.ok && chain.firstBad) {
    throw new UserError(
      'AUDIT_CHAIN_BROKEN',
      `audit entry ${chain.firstBad.seq} does not check out: ${chain.firstBad.reason}`,
      {
        hint: 'The trail was altered outside clawops. Keep the file as evidence.',
        details: { ...chain, integrity: checked },
      },
    )
  }
  const mark = store.engine === 'sqlite' ? readDamageMark(store.location) : null
  if (mark) clearDamageMark(store.location)
  return {
    ...chain,
    integrity: checked,
    markLifted: mark ? mark.reason : null,
  }
}
