import { Flags } from '@oclif/core'
import { ClawopsCommand } from '../../lib/cli/base-command.js'
import { mutationFlags } from '../../lib/cli/flags.js'
import { type OperationResult, operationResult, renderOperation } from '../../lib/cli/render-operation.js'

export default class GatewaySetup extends ClawopsCommand<typeof GatewaySetup, OperationResult> {
  static override summary =
    'Make an OpenClaw gateway ready for the fleet: node command allowlist, hooks, the clawops plugin (Fleet tab).'
  static override description =
    'Adds every gf-clawnode command to gateway.nodes.commands.allow and enables hooks (with their own token, session keys under clawops:) for clawops watch, and installs the clawops OpenClaw plugin from this clawops (dist/plugin on plugins.load.paths, plugins.entries.clawops enabled reading this clawops home): the clawops.fleet-status RPC and the Control UI’s Fleet tab, whose address the summary gives. Idempotent: a second run changes nothing. Works on the running gateway (config RPCs, hot-reloaded; needs the shared token) or on its config file with --file. Nodes that were connected before must reconnect to declare the newly allowed commands.'
  static override examples = [
    {
      description: 'Preview the change on the running gateway',
      command: '<%= config.bin %> gateway setup --dry-run',
    },
    '<%= config.bin %> gateway setup',
    {
      description: 'Edit a stopped gateway’s config file',
      command: '<%= config.bin %> gateway setup --file ~/.openclaw/openclaw.json --json',
    },
  ]
  static override flags = {
    file: Flags.string({
      summary: "The gateway's config file (strict JSON), for a gateway that is not running.",
    }),
    ...mutationFlags,
  }

  protected async execute(): Promise<OperationResult> {
    const { default: kind } = await import('../../lib/gateway-admin/gateway-setup.js')
    const r = await this.mutate(kind, this.flags.file ? { file: this.flags.file } : {})
    return operationResult(r)
  }

  protected render(r: OperationResult): string {
    return renderOperation(r)
  }
}
