import { Args, Flags } from '@oclif/core'
import { ClawopsCommand } from '../../../lib/cli/base-command.js'
import { mutationFlags } from '../../../lib/cli/flags.js'
import { planPrompt } from '../../../lib/cli/prompt.js'
import { renderRollout, showRolloutOnError } from '../../../lib/cli/render-rollout.js'

type Result = Awaited<ReturnType<typeof import('../../../lib/config-push/control.js').rollbackRollout>>

export default class ConfigPushRollback extends ClawopsCommand<typeof ConfigPushRollback, Result> {
  static override summary = 'Put the previous config back on every instance a config rollout changed.'
  static override description =
    'Primaries first, in batches, never both members of a pair in one batch. gf-clawnode swaps each file back only while it is still the one the rollout wrote, so an instance changed since (by a later push or by hand) is left alone and reported. The rollout stops for good; the rollback is the next config version. Refused while a clawops process is running the rollout (pause it first). More than 10 users needs a confirmation. Running it again retries the instances not reverted yet.'
  static override examples = [
    '<%= config.bin %> config push rollback r-7k2m9x4q1d',
    { description: 'Plan only', command: '<%= config.bin %> config push rollback r-7k2m9x4q1d --dry-run' },
    {
      description: 'As Commander, with the plan id from the first answer',
      command: '<%= config.bin %> config push rollback v12 --as commander --confirm plan-3fz8k1qa2b --json',
    },
  ]
  static override args = {
    rollout: Args.string({
      required: true,
      description: 'Rollout id (r-…), its operation id (op-…) or config version (v12)',
    }),
  }
  static override flags = {
    reason: Flags.string({ summary: 'Why (kept with the version and in the audit trail).' }),
    ...mutationFlags,
  }

  protected async execute(): Promise<Result> {
    const [{ rollbackRollout }, engine] = await Promise.all([
      import('../../../lib/config-push/control.js'),
      this.engine(),
    ])
    const progress = await this.progress()
    const prompt = planPrompt(this.humanPrompt())
    try {
      return await showRolloutOnError(this.ctx.json, () =>
        rollbackRollout(this.ctx, engine, this.args.rollout, {
          dryRun: this.flags['dry-run'],
          ...(this.flags.confirm ? { confirm: this.flags.confirm } : {}),
          yes: this.flags.yes,
          ...(this.flags.reason ? { reason: this.flags.reason } : {}),
          ...(prompt ? { prompt } : {}),
          onProgress: (m, d) => progress.update(m, d),
        }),
      )
    } finally {
      progress.stop()
    }
  }

  protected render(r: Result): string {
    if (r.status === 'dry-run' && 'plan' in r)
      return `Plan: ${r.plan.summary} (${r.plan.policy.decision})\n${r.plan.policy.findings.map((f) => `  - ${f.rule}: ${f.message}\n`).join('')}`
    return 'rollout' in r ? renderRollout(r.rollout) : ''
  }
}
