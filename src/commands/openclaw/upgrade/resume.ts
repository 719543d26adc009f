import { Args, Flags } from '@oclif/core'
import { ClawopsCommand } from '../../../lib/cli/base-command.js'
import { renderUpgrade, renderUpgradePreview, showUpgradeOnError } from '../../../lib/cli/render-upgrade.js'
import type { UpgradeOutcome } from '../../../lib/upgrades/upgrade.js'

export default class OpenclawUpgradeResume extends ClawopsCommand<
  typeof OpenclawUpgradeResume,
  UpgradeOutcome
> {
  static override summary =
    'Continue a paused, halted or interrupted OpenClaw upgrade from its first unfinished batch.'
  static override description =
    'Runs in this process. Instances already settled are not asked again; one a crash left in flight is asked again under the same key, and its node answers with what happened (or joins the upgrade still running): nothing is upgraded twice. Resuming a halted rollout accepts the failures so far: the failure budget judges the batches after. A rollout still pausing simply goes on in its process.'
  static override examples = [
    '<%= config.bin %> openclaw upgrade resume u-7k2m9x4q1d',
    {
      description: 'As an agent, streaming progress',
      command: '<%= config.bin %> openclaw upgrade resume u-7k2m9x4q1d --as commander --json --stream',
    },
  ]
  static override args = {
    rollout: Args.string({ required: true, description: 'Rollout id (u-…) or its operation id (op-…)' }),
  }
  static override flags = {
    stream: Flags.boolean({ summary: 'With --json: stream NDJSON progress events before the final result.' }),
  }

  protected async execute(): Promise<UpgradeOutcome> {
    const [{ resumeUpgrade }, engine] = await Promise.all([
      import('../../../lib/upgrades/control.js'),
      this.engine(),
    ])
    const progress = await this.progress()
    try {
      return await showUpgradeOnError(this.ctx.json, () =>
        resumeUpgrade(this.ctx, engine, this.args.rollout, { onProgress: (m, d) => progress.update(m, d) }),
      )
    } finally {
      progress.stop()
    }
  }

  protected render(r: UpgradeOutcome): string {
    return r.status === 'dry-run' ? renderUpgradePreview(r.preview) : renderUpgrade(r.rollout)
  }
}
