import { readFileSync } from 'node:fs'
import { Args, Flags } from '@oclif/core'
import { ClawopsCommand } from '../../../lib/cli/base-command.js'
import { UserError } from '../../../lib/errors.js'
import type { Change } from '../../../lib/gateway/config-diff.js'
import { nodeCall } from '../../../lib/instance/live.js'
import { renderTable } from '../../../lib/output/table.js'

type Result = Awaited<ReturnType<typeof nodeCall>>

export default class InstanceConfigDiff extends ClawopsCommand<typeof InstanceConfigDiff, Result> {
  static override summary =
    "What a candidate config would change in the user's OpenClaw gateway config on one instance."
  static override description =
    'The candidate is a full config document (JSON). Redacted secrets in it keep the values on the node. Nothing is written: clawops config push applies changes.'
  static override examples = [
    '<%= config.bin %> instance config diff i-7k2m9x4q1d --file openclaw.json',
    '<%= config.bin %> instance config diff i-7k2m9x4q1d --file openclaw.json --json',
  ]
  static override args = { id: Args.string({ required: true, description: 'Instance id (i-…)' }) }
  static override flags = {
    file: Flags.string({ required: true, summary: 'The candidate config file (JSON object).' }),
  }

  protected async execute(): Promise<Result> {
    let config: unknown
    try {
      config = JSON.parse(readFileSync(this.flags.file, 'utf8'))
    } catch (err) {
      throw new UserError(
        'INVALID_INPUT',
        `cannot read ${this.flags.file} as JSON: ${(err as Error).message.split('\n')[0]}`,
      )
    }
    if (!config || typeof config !== 'object' || Array.isArray(config)) {
      throw new UserError('INVALID_INPUT', `${this.flags.file} must hold a JSON object`)
    }
    return nodeCall(this.ctx, this.args.id, 'config.diff', { config })
  }

  protected render(r: Result): string {
    const d = r.result as { changed?: boolean; changes?: Change[] }
    if (!d.changed) return 'No change.\n'
    return renderTable(
      [
        { header: 'Path', get: (c: Change) => c.path },
        { header: 'Change', get: (c: Change) => c.op },
        { header: 'Before', get: (c: Change) => JSON.stringify(c.before ?? null) },
        { header: 'After', get: (c: Change) => JSON.stringify(c.after ?? null) },
      ],
      d.changes ?? [],
    )
  }
}
