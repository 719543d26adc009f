import { Args, Flags } from '@oclif/core'
import { ClawopsCommand } from '../../lib/cli/base-command.js'
import { mutationFlags } from '../../lib/cli/flags.js'
import { type OperationResult, operationResult, renderOperation } from '../../lib/cli/render-operation.js'

export default class InstanceExec extends ClawopsCommand<typeof InstanceExec, OperationResult> {
  static override summary =
    'Run one allowlisted command on an instance through gf-clawnode, as argv (no shell, no SSH).'
  static override description =
    'Everything after -- is the argv. gf-clawnode runs only programs on its allowlist, never through a shell; shell metacharacters and path tricks are refused by clawops policy (audited) and again by the node. The result carries the exit code, stdout and stderr.'
  static override examples = [
    '<%= config.bin %> instance exec i-7k2m9x4q1d -- df -h',
    { description: 'As JSON', command: '<%= config.bin %> instance exec i-7k2m9x4q1d --json -- uptime' },
  ]
  static override strict = false
  static override args = { id: Args.string({ required: true, description: 'Instance id (i-…)' }) }
  static override flags = {
    timeout: Flags.integer({
      default: 30,
      min: 1,
      max: 600,
      summary: 'Seconds before the command is killed.',
    }),
    ...mutationFlags,
  }

  protected async execute(): Promise<OperationResult> {
    const dashdash = this.argv.indexOf('--')
    const argv = dashdash === -1 ? [] : this.argv.slice(dashdash + 1)
    const { default: kind } = await import('../../lib/instance/exec.js')
    const r = await this.mutate(kind, { instance: this.args.id, argv, timeoutMs: this.flags.timeout * 1000 })
    return operationResult(r)
  }

  protected render(r: OperationResult): string {
    const out = r.steps[0]?.result as { exitCode?: number; stdout?: string; stderr?: string } | undefined
    if (r.status === 'dry-run' || !out) return renderOperation(r)
    return `${out.stdout ?? ''}${out.stderr ? `\n${out.stderr}` : ''}${out.exitCode ? `\n(exit ${out.exitCode})\n` : ''}`
  }
}
