import { Args, Flags } from '@oclif/core'
import { ClawopsCommand } from '../../../lib/cli/base-command.js'
import { renderPreview, renderRollout, showRolloutOnError } from '../../../lib/cli/render-rollout.js'
import type { PushOutcome } from '../../../lib/config-push/push.js'

export default class ConfigPushResume extends ClawopsCommand<typeof ConfigPushResume, PushOutcome> {
  static override summary =
    'Continue a paused, halted or interrupted config rollout from its first unfinished batch.'
  static override description =
    "Runs in this process. Instances already settled are not pushed again; a push a crash left in flight is settled from the instance's file first (applied, not applied, or changed by someone else). Resuming a halted rollout accepts the failures so far: the failure budget judges the batches after. A rollout still pausing (its process has not reached the batch boundary) simply goes on in that process. Also resumes an unfinished rollback. Judged like any run of the operation: the role must hold the push, and a rollout that needed a confirmation (more than 10 users, all at once) needs a live one: --confirm <planId> (operator or Commander) or --yes (the operator) gives it again once it has lapsed."
  static override examples = [
    '<%= config.bin %> config push resume r-7k2m9x4q1d',
    {
      description: 'As an agent, streaming progress',
      command: '<%= config.bin %> config push resume r-7k2m9x4q1d --as commander --json --stream',
    },
  ]
  static override args = {
    rollout: Args.string({
      required: true,
      description: 'Rollout id (r-…), its operation id (op-…) or config version (v12)',
    }),
  }
  static override flags = {
    stream: Flags.boolean({ summary: 'With --json: stream NDJSON progress events before the final result.' }),
    confirm: Flags.string({
      summary:
        "Confirm the rollout's plan again (its id, plan-…) when its confirmation has lapsed; operator or Commander.",
    }),
    yes: Flags.boolean({ summary: 'As the operator, confirm again without a prompt.' }),
  }

  protected async execute(): Promise<PushOutcome> {
    const [{ resumeRollout }, engine] = await Promise.all([
      import('../../../lib/config-push/control.js'),
      this.engine(),
    ])
    const progress = await this.progress()
    try {
      return await showRolloutOnError(this.ctx.json, () =>
        resumeRollout(this.ctx, engine, this.args.rollout, {
          ...(this.flags.confirm !== undefined ? { confirm: this.flags.confirm } : {}),
          ...(this.flags.yes ? { yes: true } : {}),
          onProgress: (m, d) => progress.update(m, d),
        }),
      )
    } finally {
      progress.stop()
    }
  }

  protected render(r: PushOutcome): string {
    return r.status === 'dry-run' ? renderPreview(r.preview) : renderRollout(r.rollout)
  }
}
