import { Args, Flags } from '@oclif/core'
import { ClawopsCommand } from '../../lib/cli/base-command.js'
import type { ResumeResult } from '../../lib/engine/resume.js'
import { paintState } from '../../lib/output/style.js'
import { renderTable } from '../../lib/output/table.js'

export default class OpsResume extends ClawopsCommand<typeof OpsResume, ResumeResult> {
  static override summary = 'Continue operations a crash or an interrupt left unfinished, from their journal.'
  static override description =
    'Steps that finished are not run again; a step that was running when clawops stopped is re-run (steps are idempotent). Without an id, every unfinished operation is resumed.'
  static override examples = [
    '<%= config.bin %> ops resume',
    '<%= config.bin %> ops resume op-7k2m9x4q1d',
    {
      description: 'Also retry the steps that failed',
      command: '<%= config.bin %> ops resume op-7k2m9x4q1d --retry-failed',
    },
  ]
  static override args = {
    id: Args.string({ required: false, description: 'Operation id (op-…); all unfinished if omitted' }),
  }
  static override flags = {
    'retry-failed': Flags.boolean({ summary: 'Run failed steps again as well.' }),
    stream: Flags.boolean({ summary: 'With --json: stream NDJSON progress events before the final result.' }),
    confirm: Flags.string({
      summary:
        "Confirm the operation's plan again (its id, plan-…) when its confirmation has lapsed; operator or Commander.",
    }),
    yes: Flags.boolean({ summary: 'As the operator, confirm again without a prompt.' }),
  }

  protected async execute(): Promise<ResumeResult> {
    const progress = await this.progress()
    try {
      const engine = await this.engine()
      return await engine.resume(this.ctx, {
        opId: this.args.id,
        retryFailed: this.flags['retry-failed'],
        ...(this.flags.confirm !== undefined ? { confirm: this.flags.confirm } : {}),
        ...(this.flags.yes ? { yes: true } : {}),
        onProgress: (m, d) => progress.update(m, d),
      })
    } finally {
      progress.stop()
    }
  }

  protected render(r: ResumeResult): string {
    if (r.operations.length === 0) return 'Nothing to resume.\n'
    return renderTable(
      [
        { header: 'Op', get: (o) => o.id },
        { header: 'Kind', get: (o) => o.kind },
        { header: 'State', get: (o) => paintState(o.state) },
        { header: 'Done', get: (o) => o.counts.done },
        { header: 'Failed', get: (o) => o.counts.failed },
        { header: 'Summary', get: (o) => o.summary },
      ],
      r.operations,
    )
  }
}
