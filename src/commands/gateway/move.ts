import { Args, Flags } from '@oclif/core'
import { ClawopsCommand } from '../../lib/cli/base-command.js'
import { mutationFlags } from '../../lib/cli/flags.js'
import { type OperationResult, operationResult, renderOperation } from '../../lib/cli/render-operation.js'

export default class GatewayMove extends ClawopsCommand<typeof GatewayMove, OperationResult> {
  static override summary = "Move an instance's node to another gateway shard."
  static override description =
    'Issues a fresh join secret for the target gateway and a bootstrap credential from it, tells gf-clawnode through its current gateway to rejoin there (clawnode.rejoin: it rewrites its config and restarts), waits until the node is connected on the target gateway, then records the new gateway and removes the old pairing. Refused for a gateway the config does not list, the one it is on, or the one the other member of its pair is on while another takes nodes (off a gateway marked drain with no other left, the pair may share one; the plan says so). Planned, audited, journaled under the pair lock, resumable with clawops ops resume.'
  static override examples = [
    {
      description: 'Show the plan only',
      command: '<%= config.bin %> gateway move i-7k2m9x4q1d --to gw-2 --dry-run',
    },
    '<%= config.bin %> gateway move i-7k2m9x4q1d --to gw-2 --json',
  ]
  static override args = { id: Args.string({ required: true, description: 'Instance id (i-…)' }) }
  static override flags = {
    to: Flags.string({
      required: true,
      summary: 'The gateway to move to (a name from clawops gateway list).',
    }),
    ...mutationFlags,
  }

  protected async execute(): Promise<OperationResult> {
    const { default: kind } = await import('../../lib/gateway-admin/gateway-move.js')
    return operationResult(await this.mutate(kind, { instanceId: this.args.id, to: this.flags.to }))
  }

  protected render(r: OperationResult): string {
    return renderOperation(r)
  }
}
