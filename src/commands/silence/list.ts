import { Flags } from '@oclif/core'
import { ClawopsCommand } from '../../lib/cli/base-command.js'
import { renderTable } from '../../lib/output/table.js'
import type { Silence } from '../../lib/store/silences.js'

interface Result {
  silences: (Silence & { active: boolean })[]
}

export default class SilenceList extends ClawopsCommand<typeof SilenceList, Result> {
  static override summary = 'Silences in force (or all of them with --all).'
  static override examples = [
    '<%= config.bin %> silence list',
    { description: 'Every silence ever, as JSON', command: '<%= config.bin %> silence list --all --json' },
  ]
  static override flags = { all: Flags.boolean({ summary: 'Include expired and removed silences.' }) }

  protected async execute(): Promise<Result> {
    const { Silences } = await import('../../lib/store/silences.js')
    const now = this.ctx.now()
    const rows = this.ctx.store().repo(Silences).list(now, this.flags.all)
    return { silences: rows.map((s) => ({ ...s, active: s.removedAt === null && s.expiresAt > now })) }
  }

  protected render(r: Result): string {
    if (r.silences.length === 0) return 'No silences.\n'
    return renderTable(
      [
        { header: 'Silence', get: (s) => s.id },
        { header: 'Provider', get: (s) => s.provider },
        { header: 'Region', get: (s) => s.region },
        { header: 'Instance', get: (s) => s.instanceId },
        { header: 'Event', get: (s) => s.eventType },
        { header: 'Until', get: (s) => (s.removedAt ? `removed ${s.removedAt}` : s.expiresAt) },
        { header: 'Active', get: (s) => (s.active ? 'yes' : 'no') },
        { header: 'Reason', get: (s) => s.reason },
        { header: 'By', get: (s) => s.createdBy, wide: true },
      ],
      r.silences,
      { wide: this.ctx.format === 'wide' },
    )
  }
}
