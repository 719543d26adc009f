import { Flags } from '@oclif/core'
import { ClawopsCommand } from '../../lib/cli/base-command.js'
import { type BackupResult, backupStore } from '../../lib/store-admin/backup.js'

export default class StoreBackup extends ClawopsCommand<typeof StoreBackup, BackupResult> {
  static override summary =
    'Copy the fleet database while clawops keeps running; the copy is checked before it counts.'
  static override description =
    "An online copy through SQLite's backup API (consistent while watch and other commands write), checked with quick_check, written aside and renamed into place, mode 0600, audited (store.backup). Without --to it goes to store.backup.dir ($CLAWOPS_HOME/backups) as fleet-<time>.db, and backups beyond store.backup.keep (8) are pruned there, each removal audited. A copy that fails its check means the store is damaged: it is marked, every command refuses it (STORE_CORRUPT), and the backups already kept stay."
  static override examples = [
    '<%= config.bin %> store backup',
    {
      description: 'To a file of your choice (never overwritten)',
      command: '<%= config.bin %> store backup --to ~/clawops-fleet.db --json',
    },
  ]
  static override flags = {
    to: Flags.string({
      summary: 'Write the backup to this file (it must not exist) instead of the backup directory.',
    }),
  }

  protected async execute(): Promise<BackupResult> {
    return backupStore(this.ctx, this.flags.to === undefined ? {} : { to: this.flags.to })
  }

  protected render(r: BackupResult): string {
    const mb = (r.bytes / 1024 / 1024).toFixed(1)
    const pruned = r.pruned.length ? `; pruned ${r.pruned.length} older backup(s)` : ''
    return `Backed up to ${r.path} (${mb} MB, ${r.pages} pages, ${r.ms} ms; ${r.check.kind} ok)${pruned}.\n`
  }
}
