import { ClawopsCommand } from '../../lib/cli/base-command.js'
import { durationFlag } from '../../lib/cli/duration.js'
import { upgradeFlags } from '../../lib/cli/flags.js'
import { renderUpgrade, renderUpgradePreview, showUpgradeOnError } from '../../lib/cli/render-upgrade.js'
import type { UpgradeOutcome } from '../../lib/upgrades/upgrade.js'

export default class OpenclawUpgrade extends ClawopsCommand<typeof OpenclawUpgrade, UpgradeOutcome> {
  static override summary =
    "Upgrade the users' OpenClaw: rolling batches with a canary, each instance snapshotted, checked for readiness and by OpenClaw's doctor, put back on failure."
  static override description =
    "The version comes from the release location (upgrades.releasesUrl): the plan names its file and SHA-256, and each node fetches it and checks that checksum. Default target: every ACTIVE instance not already on it. Batches of 50 (standbys first, never both members of a pair in one batch, an optional --canary batch first). On each instance gf-clawnode stops the gateway, snapshots the user's state directory, swaps in the new version, starts it and waits for OpenClaw's readiness (/startupz started and reporting exactly that version, /readyz ready, /healthz live, bodies checked), runs `openclaw doctor --non-interactive`, and on any failure puts the previous version and the snapshot of the state back. An instance whose running version is not an OpenClaw version is blocked and flagged, never upgraded. After each batch and its --pause the upgraded instances are checked again (one no longer healthy is put back), then the failure budget (--max-failures, 2 %) is judged: exceeded, the rollout halts. Above 100 instances it must keep rule 2's limits (batches ≤10 % of the target, pause ≥10 s, budget ≤5 %) or a human confirms; more than 10 users needs a confirmation (rule 5). Control it with clawops openclaw upgrade status|pause|resume|rollback <rolloutId>."
  static override examples = [
    { description: 'Plan first', command: '<%= config.bin %> openclaw upgrade --to 2026.9.6-1 --dry-run' },
    {
      description: 'A canary of 2, batches of 20, a minute between batches',
      command: '<%= config.bin %> openclaw upgrade --to 2026.9.6-1 --canary 2 --batch-size 20 --pause 1m',
    },
    {
      description: 'As Commander, with the plan id from the first answer, streaming progress',
      command:
        '<%= config.bin %> openclaw upgrade --to 2026.9.6-1 --as commander --confirm plan-3fz8k1qa2b --json --stream',
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
          'openclaw',
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
