/**
 * `clawops archive prune`: users' archives past their retention (`archive.retentionDays`, 30) deleted
 * for good, as a journaled operation: the plan names every archive and whose it is (rule 5: more than
 * 10 users' archives wait for a confirmation), each deletion is audited before the bytes go, and a
 * resumed step skips an archive already deleted. watch runs it in its housekeeping as Guardian.
 */
import type { OperationKind } from '../engine/kind.js'
import { UserError } from '../errors.js'
import { Archives } from '../store/archives.js'
import { deleteArchiveBytes } from './archive.js'

export interface ArchivePruneParams {
  /** Only these archives (each must be expired); default every expired one. */
  ids?: string[]
}

interface StepInput {
  archiveId: string
  userId: string
  location: string
  expiresAt: string
}

const pruneKind: OperationKind<ArchivePruneParams> = {
  kind: 'archive.prune',
  action: 'archive.prune',
  continueOnFailure: true,

  parseParams(raw) {
    const p = (raw ?? {}) as ArchivePruneParams
    if (p.ids !== undefined && (!Array.isArray(p.ids) || !p.ids.every((x) => typeof x === 'string' && x)))
      throw new UserError('INVALID_INPUT', 'ids must be archive ids (arc-…)')
    return p.ids ? { ids: [...new Set(p.ids)].sort() } : {}
  },

  plan(ctx, p) {
    const archives = ctx.store().repo(Archives)
    let expired = archives.expired(ctx.now())
    if (p.ids) {
      const unknown = p.ids.filter((id) => !archives.get(id))
      if (unknown.length) throw new UserError('NOT_FOUND', `no archive ${unknown.join(', ')}`)
      const early = p.ids.filter((id) => !expired.some((a) => a.id === id))
      if (early.length)
        throw new UserError('CONFLICT', `not expired yet, or already deleted: ${early.join(', ')}`, {
          hint: 'An archive is kept until its retention ends; see clawops archive list.',
        })
      expired = expired.filter((a) => p.ids!.includes(a.id))
    }
    if (expired.length === 0) throw new UserError('CONFLICT', 'no archive is past its retention')
    const users = new Set(expired.map((a) => a.userId))
    return {
      summary: `delete ${expired.length} archive${expired.length === 1 ? '' : 's'} of ${users.size} user${users.size === 1 ? '' : 's'} past retention`,
      targets: expired.map((a) => a.id),
      affectedUsers: users.size,
      costDeltaMonthlyUsdCents: 0,
      steps: expired.map((a) => ({
        name: 'delete',
        target: a.id,
        input: {
          archiveId: a.id,
          userId: a.userId,
          location: a.location,
          expiresAt: a.expiresAt,
        } satisfies StepInput,
      })),
      facts: { archivePrune: { archives: expired.length, users: users.size } },
    }
  },

  async runStep(run) {
    const x = run.step.input as StepInput
    const archives = run.ctx.store().repo(Archives)
    const a = archives.get(x.archiveId)
    if (!a || a.deletedAt) return { archiveId: x.archiveId, deleted: false, note: 'already deleted' }
    run.audit({
      action: 'archive.delete',
      target: x.archiveId,
      details: { userId: x.userId, location: x.location, expiresAt: x.expiresAt },
    })
    await deleteArchiveBytes(run.ctx, a)
    archives.markDeleted(a.id, run.ctx.now())
    return { archiveId: a.id, userId: a.userId, deleted: true, bytes: a.bytes }
  },
}

export default pruneKind
