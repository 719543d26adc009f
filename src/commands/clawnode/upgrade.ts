import { ClawopsCommand } from '../../lib/cli/base-command.js'
import { durationFlag } from '../../lib/cli/duration.js'
import { upgradeFlags } from '../../lib/cli/flags.js'
import { renderUpgrade, renderUpgradePreview, showUpgradeOnError } from '../../lib/cli/render-upgrade.js'
import type { UpgradeOutcome } from '../../lib/upgrades/upgrade.js'

export default class ClawnodeUpgrade extends ClawopsCommand<typeof ClawnodeUpgrade, UpgradeOutcome> {
  static override summary =
    'Upgrade gf-clawnode itself across the fleet: each node fetches the release, checks it, swaps itself and rejoins with its own device token.'
  static override description =
    "The release comes from the release location (upgrades.releasesUrl): the plan names its file and SHA-256, and each node fetches it, checks that checksum and that the new build names its version, records the release it runs now, swaps `current` atomically and exits for its service manager to start the new one. The new process uses the same state directory, so it rejoins the gateway with its stored device token (no new pairing), and commits once it has joined. One that does not come back (it cannot run, or does not join within its probation) is put back by its service manager (systemd's OnFailure runs the rollback script; the lab's supervisor runs the same script) and reports that. Batches, canary, pause, failure budget and rules 2 and 5 as for openclaw upgrade. Control it with clawops clawnode upgrade status|pause|resume <rolloutId>."
  static override examples = [
    { description: 'Plan first', command: '<%= config.bin %> clawnode upgrade --to 0.1.1 --dry-run' },
    {
      description: 'A canary of 1, then batches of 20',
      command: '<%= config.bin %> clawnode upgrade --to 0.1.1 --canary 1 --batch-size 20',
    },
  ]
  static override flags = upgradeFlags

  protected async execute(): Promise<UpgradeOutcome> {
    const [{ startUpgrade }, engine] = await Promise.all([
      import('../../lib/upgrades/upgrade.js'),
      this.engine(),
    ])
    const f = this.flags
    const pauseMs = durationFlag('pause', f.pause)
    const progress = await this.progress()
    const ask = this.humanPrompt()
    try {
      return await showUpgradeOnError(this.ctx.json, () =>
        startUpgrade(
          this.ctx,
          engine,
          'clawnode',
          {
            version: f.to,
            ...(f.selector ? { selector: f.selector } : {}),
            ...(f['batch-size'] ? { batchSize: f['batch-size'] } : {}),
            ...(f.canary ? { canary: f.canary } : {}),
            ...(pauseMs !== undefined ? { pauseMs } : {}),
            ...(f['max-failures'] ? { maxFailures: f['max-failures'] } : {}),
            ...(f.concurrency ? { concurrency: f.concurrency } : {}),
            ...(f.reason ? { reason: f.reason } : {}),
          },
          {
            dryRun: f['dry-run'],
            ...(f.confirm ? { confirm: f.confirm } : {}),
            yes: f.yes,
            ...(ask ? { ask } : {}),
            onProgress: (m, d) => progress.update(m, d),
          },
        ),
      )
    } finally {
      progress.stop()
    }
  }

  protected render(r: UpgradeOutcome): string {
    return r.status === 'dry-run' ? renderUpgradePreview(r.preview) : renderUpgrade(r.rollout)
  }
}
