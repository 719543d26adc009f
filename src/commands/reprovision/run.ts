import { Flags } from '@oclif/core'
import { ClawopsCommand } from '../../lib/cli/base-command.js'
import { mutationFlags } from '../../lib/cli/flags.js'
import { type OperationResult, operationResult, renderOperation } from '../../lib/cli/render-operation.js'

export default class ReprovisionRun extends ClawopsCommand<typeof ReprovisionRun, OperationResult> {
  static override summary =
    'Provision the replacement standbys that are ready (their provider recovered after a failover).'
  static override description =
    'Each ready item gets a new standby on its queued provider and region, booted, joined and healthy, like clawops provision. The old quarantined primary is not deleted here: tear it down with clawops teardown when its data is no longer needed.'
  static override examples = [
    '<%= config.bin %> reprovision run',
    {
      description: 'As Forge, for one item, as JSON',
      command: '<%= config.bin %> reprovision run --id rq-7k2m9x4q1d --as forge --json',
    },
  ]
  static override flags = {
    id: Flags.string({ multiple: true, summary: 'Only these queue items (default: every ready one).' }),
    ...mutationFlags,
  }

  protected async execute(): Promise<OperationResult> {
    const { default: kind } = await import('../../lib/lifecycle/reprovision.js')
    return operationResult(await this.mutate(kind, this.flags.id ? { ids: this.flags.id } : {}))
  }

  protected render(r: OperationResult): string {
    return renderOperation(r)
  }
}
