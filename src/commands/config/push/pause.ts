import { Args, Flags } from '@oclif/core'
import { ClawopsCommand } from '../../../lib/cli/base-command.js'
import { renderRollout } from '../../../lib/cli/render-rollout.js'
import type { RolloutView } from '../../../lib/config-push/view.js'

export default class ConfigPushPause extends ClawopsCommand<typeof ConfigPushPause, RolloutView> {
  static override summary = 'Pause a config rollout before its next batch (the batch in flight finishes).'
  static override description =
    'The process running the rollout stops after the current batch and reports it paused; a rollout no process runs is marked paused at once. Continue with clawops config push resume, or undo with rollback. Audited.'
  static override examples = [
    '<%= config.bin %> config push pause r-7k2m9x4q1d',
    {
      description: 'With a reason, as an agent',
      command:
        '<%= config.bin %> config push pause r-7k2m9x4q1d --reason "latency up on eu" --as commander --json',
    },
  ]
  static override args = {
    rollout: Args.string({
      required: true,
      description: 'Rollout id (r-…), its operation id (op-…) or config version (v12)',
    }),
  }
  static override flags = {
    reason: Flags.string({ summary: 'Why (kept with the rollout and in the audit trail).' }),
  }

  protected async execute(): Promise<RolloutView> {
    const { pauseRollout } = await import('../../../lib/config-push/control.js')
    return pauseRollout(this.ctx, await this.engine(), this.args.rollout, this.flags.reason)
  }

  protected render(v: RolloutView): string {
    return renderRollout(v)
  }
}
