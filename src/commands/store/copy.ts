import { Flags } from '@oclif/core'
import { ClawopsCommand } from '../../lib/cli/base-command.js'
import { UserError } from '../../lib/errors.js'
import { renderTable } from '../../lib/output/table.js'
import type { CopyResult } from '../../lib/store/copy.js'
import { copyStoreTo } from '../../lib/store-admin/copy.js'

export default class StoreCopy extends ClawopsCommand<typeof StoreCopy, CopyResult> {
  static override summary = 'Copy the whole fleet store into an empty PostgreSQL database (or SQLite file).'
  static override description =
    'Moves a fleet between engines without loss: every table of the current store (read in one consistent snapshot) is written to the target in one transaction, and before it commits the target is checked: each table holds as many rows as the source, and the audit trail verifies there (every hash and link up to the recorded head). A target that already holds a fleet is refused; a failed check leaves it as it was. The current store is not changed. Operator only. Then point clawops at the target (CLAWOPS_DATABASE_URL or store.url in the config).'
  static override examples = [
    '<%= config.bin %> store copy --to postgresql://clawops@db.internal/fleet',
    {
      description: 'The URL from a file (mode 0600), so the password stays out of the shell history',
      command: '<%= config.bin %> store copy --to-file ~/.clawops/database-url --json',
    },
  ]
  static override flags = {
    to: Flags.string({
      summary: 'The target: a postgres:// URL, or the path of a new SQLite file.',
      exactlyOne: ['to', 'to-file'],
    }),
    'to-file': Flags.string({
      summary: 'A file (mode 0600) holding the target URL.',
      exactlyOne: ['to', 'to-file'],
    }),
  }

  protected async execute(): Promise<CopyResult> {
    if (this.ctx.actor !== 'operator') {
      // The refusal is audited in the source store; copyStoreTo refuses all the same.
      const engine = await this.engine()
      try {
        engine.permit(this.ctx, 'store.copy')
      } catch (e) {
        if (e instanceof UserError && e.code === 'POLICY_DENIED') throw e
      }
    }
    return copyStoreTo(this.ctx, { to: this.flags.to, toFile: this.flags['to-file'] })
  }

  protected render(r: CopyResult): string {
    const table = renderTable(
      [
        { header: 'Table', get: (t) => t.name },
        { header: 'Rows', get: (t) => String(t.rows) },
      ],
      r.tables.filter((t) => t.rows > 0),
    )
    return `${table}Copied ${r.rows} rows from ${r.from.engine} ${r.from.location} to ${r.to.engine} ${r.to.location}; audit trail verified there (${r.audit.entries} entries).\n`
  }
}
