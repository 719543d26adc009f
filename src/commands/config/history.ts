import { ClawopsCommand } from '../../lib/cli/base-command.js'
import { limitFlag } from '../../lib/cli/flags.js'
import { configHistory, type HistoryEntry } from '../../lib/config-push/history.js'
import { paintState } from '../../lib/output/style.js'
import { renderTable } from '../../lib/output/table.js'

export default class ConfigHistory extends ClawopsCommand<typeof ConfigHistory, HistoryEntry[]> {
  static override summary = "The config versions pushed to the users' gateways (and rollbacks), newest first."
  static override description =
    'Every clawops config push is a numbered version with its document and diff, and every rollback too; each line shows its rollout, status and counts. See one with clawops config show <version>.'
  static override examples = [
    '<%= config.bin %> config history',
    { description: 'The last 5, as JSON', command: '<%= config.bin %> config history --limit 5 --json' },
  ]
  static override flags = { limit: limitFlag }

  protected async execute(): Promise<HistoryEntry[]> {
    return configHistory(this.ctx, this.flags.limit ?? 20)
  }

  protected render(rows: HistoryEntry[]): string {
    if (rows.length === 0) return 'No config has been pushed yet.\n'
    return renderTable(
      [
        { header: 'Version', get: (r) => `v${r.version}` },
        { header: 'Kind', get: (r) => (r.reverts ? `rollback of v${r.reverts}` : r.kind) },
        { header: 'Rollout', get: (r) => r.rolloutId },
        { header: 'Status', get: (r) => (r.status ? paintState(r.status) : '') },
        { header: 'Applied', get: (r) => (r.kind === 'push' ? r.counts?.applied : r.counts?.reverted) },
        { header: 'Failed', get: (r) => r.counts?.failed },
        { header: 'When', get: (r) => r.createdAt },
        { header: 'Summary', get: (r) => r.summary },
      ],
      rows,
    )
  }
}
