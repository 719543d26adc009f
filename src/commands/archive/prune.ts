import { Flags } from '@oclif/core'
import { ClawopsCommand } from '../../lib/cli/base-command.js'
import { mutationFlags } from '../../lib/cli/flags.js'
import { type OperationResult, operationResult, renderOperation } from '../../lib/cli/render-operation.js'

export default class ArchivePrune extends ClawopsCommand<typeof ArchivePrune, OperationResult> {
  static override summary = 'Delete the archives past their retention, each audited before it goes.'
  static override description =
    "An archive is kept archive.retentionDays (30) after its teardown; clawops watch prunes what expired in its housekeeping. Deleting more than 10 users' archives at once waits for a confirmation (rule 5). A resumed operation skips what is already deleted."
  static override examples = [
    '<%= config.bin %> archive prune --dry-run',
    {
      description: 'Two archives only',
      command: '<%= config.bin %> archive prune --id arc-7k2m9x4q1d --id arc-3fz8k1qa2b',
    },
  ]
  static override flags = {
    ...mutationFlags,
    id: Flags.string({ summary: 'Only this archive (arc-…); repeat for more.', multiple: true }),
  }

  protected async execute(): Promise<OperationResult> {
    const { default: kind } = await import('../../lib/archive/prune.js')
    return operationResult(await this.mutate(kind, this.flags.id ? { ids: this.flags.id } : {}))
  }

  protected render(r: OperationResult): string {
    return renderOperation(r)
  }
}
