import { Flags } from '@oclif/core'
import { ClawopsCommand } from '../../lib/cli/base-command.js'
import { pageFlags } from '../../lib/cli/flags.js'
import { isActor } from '../../lib/domain/actor.js'
import type { AuditEntry } from '../../lib/domain/audit.js'
import { parseIdentity } from '../../lib/domain/identity.js'
import { parseSince } from '../../lib/domain/time.js'
import { type PageInfo, pageFooter, pageSize } from '../../lib/output/page.js'
import { paintState } from '../../lib/output/style.js'
import { renderTable } from '../../lib/output/table.js'
import { AuditTrail } from '../../lib/store/audit-trail.js'

interface Result extends PageInfo {
  entries: AuditEntry[]
}

export default class AuditLog extends ClawopsCommand<typeof AuditLog, Result> {
  static override summary = 'Read the audit trail: who did what to which instance, newest last.'
  static override examples = [
    {
      description: 'What Guardian did in the last 24 hours',
      command: '<%= config.bin %> audit log --actor guardian --since 24h',
    },
    {
      description: 'What one operator did, from any machine sharing the store',
      command: '<%= config.bin %> audit log --actor ada@laptop',
    },
    {
      description: 'Everything that touched one instance, as JSON',
      command: '<%= config.bin %> audit log --instance i-7k2m9x4q1d --json',
    },
    {
      description: 'All teardown steps since a date',
      command: '<%= config.bin %> audit log --action teardown --since 2026-11-01',
    },
  ]
  static override flags = {
    actor: Flags.string({
      summary:
        'Only entries by this role (operator, guardian, …) or this identity (ada@laptop, an agent id).',
    }),
    instance: Flags.string({ summary: 'Only entries whose target is this instance (or pair) id.' }),
    action: Flags.string({
      summary: 'Only this action and its sub-actions, e.g. teardown or provision.create.',
    }),
    since: Flags.string({
      summary: 'Only entries at or after this time: an ISO date or an age like 30m, 24h, 7d.',
    }),
    op: Flags.string({ summary: 'Only entries of this operation id.' }),
    ...pageFlags(100, 'entries'),
  }

  protected async execute(): Promise<Result> {
    const f = this.flags
    const since = f.since ? parseSince(f.since, this.ctx.clock()) : undefined
    const actor = f.actor === undefined || isActor(f.actor) ? f.actor : parseIdentity(f.actor, '--actor')
    const filter = { actor, target: f.instance, action: f.action, since, opId: f.op }
    const trail = this.ctx.store().repo(AuditTrail)
    const entries = trail.query({ ...filter, limit: pageSize(f, 100) ?? Number.MAX_SAFE_INTEGER })
    const total = trail.count(filter)
    return { entries, total, truncated: entries.length < total }
  }

  protected render(r: Result): string {
    if (r.entries.length === 0) return 'No audit entries match.\n'
    const table = renderTable(
      [
        { header: 'Seq', get: (e) => e.seq },
        { header: 'Time', get: (e) => e.ts },
        { header: 'Actor', get: (e) => e.actor },
        { header: 'Identity', get: (e) => e.identity },
        { header: 'Action', get: (e) => e.action },
        { header: 'Target', get: (e) => e.target },
        { header: 'Outcome', get: (e) => paintState(e.outcome) },
        { header: 'Op', get: (e) => e.opId, wide: true },
        { header: 'Plan', get: (e) => e.planId, wide: true },
        { header: 'Hash', get: (e) => e.hash.slice(0, 12), wide: true },
      ],
      r.entries,
      { wide: this.ctx.format === 'wide' },
    )
    return table + this.footer(pageFooter(r.entries.length, r.total, 'entries (the newest)'))
  }
}
