import { Args, Flags } from '@oclif/core'
import { ClawopsCommand } from '../../lib/cli/base-command.js'
import { nodeCall } from '../../lib/instance/live.js'

type Result = Awaited<ReturnType<typeof nodeCall>>

export default class InstanceLogs extends ClawopsCommand<typeof InstanceLogs, Result> {
  static override summary =
    "The last lines of the user's OpenClaw gateway log on one instance, through gf-clawnode."
  static override examples = [
    '<%= config.bin %> instance logs i-7k2m9x4q1d',
    {
      description: 'The last 500 lines, as JSON',
      command: '<%= config.bin %> instance logs i-7k2m9x4q1d --lines 500 --json',
    },
  ]
  static override args = { id: Args.string({ required: true, description: 'Instance id (i-…)' }) }
  static override flags = {
    lines: Flags.integer({ default: 200, min: 1, max: 10_000, summary: 'How many lines.' }),
  }

  protected async execute(): Promise<Result> {
    return nodeCall(this.ctx, this.args.id, 'openclaw.logs', { lines: this.flags.lines })
  }

  protected render(r: Result): string {
    const lines = (r.result as { lines?: string[] }).lines ?? []
    return lines.length ? `${lines.join('\n')}\n` : 'No log lines.\n'
  }
}
