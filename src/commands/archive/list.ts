import { Flags } from '@oclif/core'
import { ClawopsCommand } from '../../lib/cli/base-command.js'
import { renderTable } from '../../lib/output/table.js'
import type { ArchiveRecord } from '../../lib/store/archives.js'

interface Result {
  archives: (ArchiveRecord & { expired: boolean })[]
}

export default class ArchiveList extends ClawopsCommand<typeof ArchiveList, Result> {
  static override summary = "Users' state archives kept after teardowns, with their retention."
  static override examples = [
    '<%= config.bin %> archive list',
    {
      description: "One user's archives, as JSON",
      command: '<%= config.bin %> archive list --user u-3fz8k1qa --json',
    },
  ]
  static override flags = { user: Flags.string({ summary: 'Only this user (u-…).' }) }

  protected async execute(): Promise<Result> {
    const { Archives } = await import('../../lib/store/archives.js')
    const now = this.ctx.now()
    const rows = this.ctx
      .store()
      .repo(Archives)
      .list(this.flags.user ? { userId: this.flags.user } : {})
    return { archives: rows.map((a) => ({ ...a, expired: a.expiresAt <= now })) }
  }

  protected render(r: Result): string {
    if (r.archives.length === 0) return 'No archives.\n'
    return renderTable(
      [
        { header: 'Archive', get: (a) => a.id },
        { header: 'User', get: (a) => a.userId },
        { header: 'Pair', get: (a) => a.pairId },
        { header: 'Taken', get: (a) => a.createdAt },
        { header: 'Kept until', get: (a) => `${a.expiresAt}${a.expired ? ' (expired)' : ''}` },
        { header: 'How', get: (a) => a.via },
        { header: 'Bytes', get: (a) => a.bytes ?? '' },
        { header: 'Where', get: (a) => a.location, wide: true },
      ],
      r.archives,
      { wide: this.ctx.format === 'wide' },
    )
  }
}
