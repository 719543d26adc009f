import { Args, Flags } from '@oclif/core'
import { ClawopsCommand } from '../../../lib/cli/base-command.js'
import { renderUpgrade } from '../../../lib/cli/render-upgrade.js'
import { findUpgrade, type UpgradeView, viewUpgrade } from '../../../lib/upgrades/view.js'

export default class ClawnodeUpgradeStatus extends ClawopsCommand<typeof ClawnodeUpgradeStatus, UpgradeView> {
  static override summary =
    "Where a gf-clawnode upgrade rollout stands: status, batches, every instance's outcome."
  static override description =
    'Status is running, pausing, paused, halted (the failure budget, or the gateway was lost), interrupted (no clawops process runs it any more: resume it), complete, rolling-back or rolled-back. Each instance shows its outcome (upgraded, unchanged, skipped, blocked: a version that does not parse, failed), the version before and after, and whether its node put the previous version (and state) back. JSON lists every instance; the table the ones that need a look (--all for every instance).'
  static override examples = [
    '<%= config.bin %> clawnode upgrade status u-7k2m9x4q1d',
    {
      description: 'Every instance, as JSON',
      command: '<%= config.bin %> clawnode upgrade status u-7k2m9x4q1d --json',
    },
  ]
  static override args = {
    rollout: Args.string({ required: true, description: 'Rollout id (u-…) or its operation id (op-…)' }),
  }
  static override flags = {
    all: Flags.boolean({ summary: 'List every instance, not only the ones that need a look.' }),
  }

  protected async execute(): Promise<UpgradeView> {
    return viewUpgrade(this.ctx, findUpgrade(this.ctx, this.args.rollout))
  }

  protected render(v: UpgradeView): string {
    return renderUpgrade(v, { all: this.flags.all })
  }
}
