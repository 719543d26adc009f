import { Flags } from '@oclif/core'
import { ClawopsCommand } from '../../lib/cli/base-command.js'
import { limitFlag } from '../../lib/cli/flags.js'
import { paintState } from '../../lib/output/style.js'
import { renderTable } from '../../lib/output/table.js'
import type { Incident } from '../../lib/store/incidents.js'

interface Result {
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
    limit: limitFlag,
  }

  protected async execute(): Promise<Result> {
    const [{ Incidents }, { parseSince }] = await Promise.all([
      import('../../lib/store/incidents.js'),
      import('../../lib/domain/time.js'),
    ])
    const rows = this.ctx
      .store()
      .repo(Incidents)
      .list({
        ...(this.flags.open ? { status: ['open', 'mitigated'] } : {}),
        ...(this.flags.since ? { since: parseSince(this.flags.since, this.ctx.clock()) } : {}),
        limit: this.flags.limit ?? 100,
      })
    return { incidents: rows.map(({ timeline: _t, actions: _a, actionItems: _i, ...head }) => head) }
  }

  protected render(r: Result): string {
    if (r.incidents.length === 0) return 'No incidents.\n'
    return renderTable(
      [
        { header: 'Incident', get: (i) => i.id },
        { header: 'Status', get: (i) => paintState(i.status) },
        { header: 'Severity', get: (i) => i.severity },
        { header: 'Opened', get: (i) => i.openedAt },
        { header: 'Title', get: (i) => i.title },
      ],
      r.incidents,
    )
  }
}
