import { Args } from '@oclif/core'
import { ClawopsCommand } from '../../lib/cli/base-command.js'
import { mutationFlags } from '../../lib/cli/flags.js'
import type { Silence } from '../../lib/store/silences.js'

interface Result {
  status: string
  silence: Silence | null
  summary: string
}

export default class SilenceRemove extends ClawopsCommand<typeof SilenceRemove, Result> {
  static override summary = 'End a silence before it expires.'
  static override examples = [
    '<%= config.bin %> silence remove sil-7k2m9x4q1d',
    { description: 'As JSON', command: '<%= config.bin %> silence remove sil-7k2m9x4q1d --json' },
  ]
  static override args = { id: Args.string({ required: true, description: 'Silence id (sil-…)' }) }
  static override flags = { ...mutationFlags }

  protected async execute(): Promise<Result> {
    const { default: kind } = await import('../../lib/silences/remove.js')
    const r = await this.mutate(kind, { id: this.args.id })
    if (r.status === 'dry-run') return { status: r.status, silence: null, summary: r.plan.summary }
    return {
      status: r.status,
      silence: (r.operation.steps[0]?.result as Silence | undefined) ?? null,
      summary: r.plan.summary,
    }
  }

  protected render(r: Result): string {
    return r.silence ? `Removed ${r.silence.id} (${r.silence.reason}).\n` : `Plan: ${r.summary}\n`
  }
}
