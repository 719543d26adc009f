import { Args } from '@oclif/core'
import { ClawopsCommand } from '../../../lib/cli/base-command.js'
import { nodeCall } from '../../../lib/instance/live.js'

type Result = Awaited<ReturnType<typeof nodeCall>>

export default class InstanceConfigGet extends ClawopsCommand<typeof InstanceConfigGet, Result> {
  static override summary =
    "The user's OpenClaw gateway config on one instance (secrets redacted), with its hash."
  static override description =
    'The hash identifies the exact file: config pushes use it to refuse a file that changed meanwhile. A malformed file is reported as such, never repaired here.'
  static override examples = [
    '<%= config.bin %> instance config get i-7k2m9x4q1d',
    '<%= config.bin %> instance config get i-7k2m9x4q1d --json',
  ]
  static override args = { id: Args.string({ required: true, description: 'Instance id (i-…)' }) }

  protected async execute(): Promise<Result> {
    return nodeCall(this.ctx, this.args.id, 'config.get', {})
  }

  protected render(r: Result): string {
    const c = r.result as { path?: string; hash?: string; config?: unknown; malformed?: string }
    const head = `${c.path ?? '?'}  sha256 ${c.hash ?? '-'}\n`
    if (c.malformed) return `${head}MALFORMED: ${c.malformed}\n`
    return `${head}${JSON.stringify(c.config, null, 2)}\n`
  }
}
