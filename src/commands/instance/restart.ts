import { Args, Flags } from '@oclif/core'
import { ClawopsCommand } from '../../lib/cli/base-command.js'
import { mutationFlags } from '../../lib/cli/flags.js'
import { type OperationResult, operationResult, renderOperation } from '../../lib/cli/render-operation.js'

export default class InstanceRestart extends ClawopsCommand<typeof InstanceRestart, OperationResult> {
  static override summary =
    "Restart the user's OpenClaw service on one instance through gf-clawnode and wait until healthy."
  static override description =
    'Goes through the plan, policy and audit pipeline (Guardian, Commander, Forge and the operator may restart). The service manager on the VPS does the restart (docker compose restart openclaw in production).'
  static override examples = [
    '<%= config.bin %> instance restart i-7k2m9x4q1d',
    {
      description: 'As Guardian, as JSON',
      command: '<%= config.bin %> instance restart i-7k2m9x4q1d --as guardian --json',
    },
    {
      description: 'Show the plan only',
      command: '<%= config.bin %> instance restart i-7k2m9x4q1d --dry-run',
    },
  ]
  static override args = { id: Args.string({ required: true, description: 'Instance id (i-…)' }) }
  static override flags = {
    ...mutationFlags,
    'wait-timeout': Flags.integer({
      default: 60,
      min: 1,
      max: 300,
      summary: 'Seconds to wait for OpenClaw to be healthy.',
    }),
  }

  protected async execute(): Promise<OperationResult> {
    const { default: kind } = await import('../../lib/instance/restart.js')
    const r = await this.mutate(kind, {
      ids: [this.args.id],
      waitTimeoutMs: this.flags['wait-timeout'] * 1000,
    })
    return operationResult(r)
  }

  protected render(r: OperationResult): string {
    return renderOperation(r)
  }
}
