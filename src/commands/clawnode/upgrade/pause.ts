import { Args, Flags } from '@oclif/core'
import { ClawopsCommand } from '../../../lib/cli/base-command.js'
import { renderUpgrade } from '../../../lib/cli/render-upgrade.js'
import type { UpgradeView } from '../../../lib/upgrades/view.js'

export default class ClawnodeUpgradePause extends ClawopsCommand<typeof ClawnodeUpgradePause, UpgradeView> {
  static override summary =
    'Pause a gf-clawnode upgrade before its next batch (the batch in flight finishes).'
  static override description =
    'The process running the rollout stops after the current batch and reports it paused; a rollout no process runs is marked paused at once. Pausing adds nothing to what the rollout does: Guardian may pause one that hurts health. Continue with resume. Audited.'
  static override examples = [
    '<%= config.bin %> clawnode upgrade pause u-7k2m9x4q1d',
    {
      description: 'As Guardian, with the reason',
      command:
        '<%= config.bin %> clawnode upgrade pause u-7k2m9x4q1d --reason "3 gateways degraded in eu since batch 2" --as guardian --json',
    },
  ]
  static override args = {
    rollout: Args.string({ required: true, description: 'Rollout id (u-…) or its operation id (op-…)' }),
  }
  static override flags = {
    reason: Flags.string({ summary: 'Why (kept with the rollout and in the audit trail).' }),
  }

  protected async execute(): Promise<UpgradeView> {
    const { pauseUpgrade } = await import('../../../lib/upgrades/control.js')
    return pauseUpgrade(this.ctx, await this.engine(), this.args.rollout, this.flags.reason)
  }

  protected render(v: UpgradeView): string {
    return renderUpgrade(v)
  }
}
