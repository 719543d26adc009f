import { Flags } from '@oclif/core'
import { ClawopsCommand } from '../../lib/cli/base-command.js'
import { pageFlags } from '../../lib/cli/flags.js'
import { type PageInfo, pageFooter, pageSize } from '../../lib/output/page.js'
import { paintState } from '../../lib/output/style.js'
import { renderTable } from '../../lib/output/table.js'
import type { Incident } from '../../lib/store/incidents.js'

interface Result extends PageInfo {
  incidents: Omit<Incident, 'timeline' | 'actions' | 'actionItems'>[]
}

export default class IncidentList extends ClawopsCommand<typeof IncidentList, Result> {
  static override summary = 'Incidents watch declared, newest first.'
  static override examples = [
    '<%= config.bin %> incident list',
    { description: 'Open ones only, as JSON', command: '<%= config.bin %> incident list --open --json' },
  ]
  static override flags = {
    open: Flags.boolean({ summary: 'Only incidents not resolved yet.' }),
    since: Flags.string({ summary: 'Opened since (ISO time or an age such as 7d).' }),
    ...pageFlags(100, 'incidents'),
  }

  protected async execute(): Promise<Result> {
    const [{ Incidents }, { parseSince }] = await Promise.all([
      import('../../lib/store/incidents.js'),
      import('../../lib/domain/time.js'),
    ])
    const filter = {
      ...(this.flags.open ? { status: ['open' as const, 'mitigated' as const] } : {}),
      ...(this.flags.since ? { since: parseSince(this.flags.since, this.ctx.clock()) } : {}),
    }
    const incidents = this.ctx.store().repo(Incidents)
    const rows = incidents.list({ ...filter, limit: pageSize(this.flags, 100) ?? Number.MAX_SAFE_INTEGER })
    const total = incidents.count(filter)
    return {
      incidents: rows.map(({ timeline: _t, actions: _a, actionItems: _i, ...head }) => head),
      total,
      truncated: rows.length < total,
    }
  }

  protected render(r: Result): string {
    if (r.incidents.length === 0) return 'No incidents.\n'
    const table = renderTable(
      [
        { header: 'Incident', get: (i) => i.id },
        { header: 'Status', get: (i) => paintState(i.status) },
        { header: 'Severity', get: (i) => i.severity },
        { header: 'Opened', get: (i) => i.openedAt },
        { header: 'Title', get: (i) => i.title },
      ],
      r.incidents,
    )
    return table + this.footer(pageFooter(r.incidents.length, r.total, 'incidents (the newest)'))
  }
}
