import { Args } from '@oclif/core'
import { ClawopsCommand } from '../../lib/cli/base-command.js'
import { nodeCall } from '../../lib/instance/live.js'

type Result = Awaited<ReturnType<typeof nodeCall>>

export default class InstanceMetrics extends ClawopsCommand<typeof InstanceMetrics, Result> {
  static override summary =
    'CPU, memory, disk, load and network of one instance, measured now by gf-clawnode.'
  static override examples = [
    '<%= config.bin %> instance metrics i-7k2m9x4q1d',
    '<%= config.bin %> instance metrics i-7k2m9x4q1d --json',
  ]
  static override args = { id: Args.string({ required: true, description: 'Instance id (i-…)' }) }

  protected async execute(): Promise<Result> {
    return nodeCall(this.ctx, this.args.id, 'vps.metrics', {})
  }

  protected render(r: Result): string {
    return `${r.instance.id}\n${JSON.stringify(r.result, null, 2)}\n`
  }
}
