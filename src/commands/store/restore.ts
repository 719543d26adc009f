import { Args, Flags } from '@oclif/core'
import { ClawopsCommand } from '../../lib/cli/base-command.js'
import { UserError } from '../../lib/errors.js'
import { type RestorePreview, type RestoreResult, restoreStore } from '../../lib/store-admin/restore.js'

export default class StoreRestore extends ClawopsCommand<typeof StoreRestore, RestoreResult> {
  static override summary = 'Put a backup in place of the fleet database; the replaced store is kept aside.'
  static override description =
    'The file is checked in full first (integrity_check, a clawops schema this version understands). The current store, damaged or not, is renamed to fleet.db.replaced-<time> with its WAL and damage mark, never deleted; the backup is copied in atomically and the restore is audited (store.restore) in the restored store. Refused while another process (clawops watch, a running command) has the store open. Operator only; asks for confirmation (--yes when there is no terminal). Servers created after the backup are not in it: their nodes show as strangers in node list.'
  static override examples = [
    '<%= config.bin %> store restore ~/.clawops/backups/fleet-20261205T060000000Z.db --yes',
  ]
  static override args = { file: Args.string({ required: true, description: 'The backup file' }) }
  static override flags = {
    yes: Flags.boolean({ char: 'y', summary: 'Replace the store without a prompt.' }),
  }

  protected async execute(): Promise<RestoreResult> {
    if (this.ctx.actor !== 'operator') {
      // The refusal is audited where the store still opens; a damaged one cannot take the entry,
      // and restoreStore refuses all the same.
      const engine = await this.engine()
      try {
        engine.permit(this.ctx, 'store.restore', { target: this.args.file })
      } catch (e) {
        if (e instanceof UserError && e.code === 'POLICY_DENIED') throw e
      }
    }
    const ask = this.humanPrompt()
    return restoreStore(this.ctx, this.args.file, async (p: RestorePreview) => {
      if (this.flags.yes) return true
      if (!ask) return false
      return ask(
        `Replace ${this.ctx.storePath}${p.current.damaged ? ' (damaged)' : ''} with ${p.file} (${p.pairs} pairs, as of ${p.asOf ?? 'an empty trail'})?`,
      )
    })
  }

  protected render(r: RestoreResult): string {
    const aside = r.replacedBy ? ` The replaced store is kept at ${r.replacedBy}.` : ''
    const ops = r.unfinishedOperations
      ? ` ${r.unfinishedOperations} operation(s) were unfinished at the backup: clawops ops list, then ops resume.`
      : ''
    return `Restored ${r.restored} (${r.pairs} pairs, as of ${r.asOf ?? '-'}).${aside}${ops}\nServers created after ${r.asOf ?? 'the backup'} are not in the store: their nodes show as strangers in clawops node list.\n`
  }
}
