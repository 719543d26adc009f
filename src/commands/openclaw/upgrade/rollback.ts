import { Args, Flags } from '@oclif/core'
import { ClawopsCommand } from '../../../lib/cli/base-command.js'
import { mutationFlags } from '../../../lib/cli/flags.js'
import { renderUpgrade, showUpgradeOnError } from '../../../lib/cli/render-upgrade.js'

type Result = Awaited<ReturnType<typeof import('../../../lib/upgrades/control.js').rollbackUpgrade>>

export default class OpenclawUpgradeRollback extends ClawopsCommand<typeof OpenclawUpgradeRollback, Result> {
  static override summary =
    'Put the previous OpenClaw version and state back on every instance an upgrade rollout upgraded.'
  static override description =
    'Primaries first, in batches, never both members of a pair in one batch. Each node puts back the version the upgrade replaced and the snapshot of the state taken before it, only while its gateway still runs the version that upgrade installed (anything else is left alone and reported); the state the user had since is packed aside on the host, never deleted. Instances whose outcome was unknown are asked too. The upgrade stops for good. Refused while a clawops process runs the upgrade (pause it first). More than 10 users needs a confirmation. Running it again retries the instances not reverted yet.'
  static override examples = [
    '<%= config.bin %> openclaw upgrade rollback u-7k2m9x4q1d',
    {
      description: 'Plan only',
      command: '<%= config.bin %> openclaw upgrade rollback u-7k2m9x4q1d --dry-run',
    },
  ]
  static override args = {
    rollout: Args.string({ required: true, description: 'Rollout id (u-…) or its operation id (op-…)' }),
  }
  static override flags = {
    reason: Flags.string({ summary: 'Why (kept with the rollout and in the audit trail).' }),
    ...mutationFlags,
  }

  protected async execute(): Promise<Result> {
    const [{ rollbackUpgrade }, engine] = await Promise.all([
      import('../../../lib/upgrades/control.js'),
      this.engine(),
    ])
    const progress = await this.progress()
    const ask = this.humanPrompt()
    try {
      return await showUpgradeOnError(this.ctx.json, () =>
        rollbackUpgrade(this.ctx, engine, this.args.rollout, {
          dryRun: this.flags['dry-run'],
          ...(this.flags.confirm ? { confirm: this.flags.confirm } : {}),
          yes: this.flags.yes,
          ...(this.flags.reason ? { reason: this.flags.reason } : {}),
          ...(ask ? { ask } : {}),
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
    return 'rollout' in r ? renderUpgrade(r.rollout) : ''
  }
}
