import { Args, Flags } from '@oclif/core'
import { ClawopsCommand } from '../../../lib/cli/base-command.js'
import { renderRollout } from '../../../lib/cli/render-rollout.js'
import { findRollout, type RolloutView, viewRollout } from '../../../lib/config-push/view.js'

export default class ConfigPushStatus extends ClawopsCommand<typeof ConfigPushStatus, RolloutView> {
  static override summary =
    "Where a config rollout stands: status, batches, every instance's outcome, the diff it made."
  static override description =
    'Status is running, pausing, paused, halted (the failure budget, or the gateway was lost), interrupted (no clawops process runs it any more: resume it), complete, rolling-back or rolled-back. JSON lists every instance; the table shows the failed, skipped and unsettled ones (--all for every instance).'
  static override examples = [
    '<%= config.bin %> config push status r-7k2m9x4q1d',
    { description: 'By config version, as JSON', command: '<%= config.bin %> config push status v12 --json' },
    { description: 'Every instance', command: '<%= config.bin %> config push status r-7k2m9x4q1d --all' },
  ]
  static override args = {
    rollout: Args.string({
      required: true,
      description: 'Rollout id (r-…), its operation id (op-…) or config version (v12)',
    }),
  }
  static override flags = {
    all: Flags.boolean({ summary: 'List every instance, not only the ones that need a look.' }),
  }

  protected async execute(): Promise<RolloutView> {
    return viewRollout(this.ctx, findRollout(this.ctx, this.args.rollout))
  }

  protected render(v: RolloutView): string {
    return renderRollout(v, { all: this.flags.all })
  }
}
