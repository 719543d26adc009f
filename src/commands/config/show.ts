import { Args } from '@oclif/core'
import { ClawopsCommand } from '../../lib/cli/base-command.js'
import { formatChange, renderDocChanges } from '../../lib/cli/render-rollout.js'
import type { DocChange } from '../../lib/config-push/doc-change.js'
import { showVersion, type VersionDetail } from '../../lib/config-push/history.js'

export default class ConfigShow extends ClawopsCommand<typeof ConfigShow, VersionDetail> {
  static override summary =
    'One config version: its document, the diff it declares, what it changed on the instances.'
  static override description =
    "The document as it was pushed (no secrets: clawops never carries them), the changes it declares, the distinct changes it made on the instances with how many got each, and its rollout's status and counts."
  static override examples = ['<%= config.bin %> config show 12', '<%= config.bin %> config show v12 --json']
  static override args = {
    version: Args.string({ required: true, description: 'Config version (12 or v12)' }),
  }

  protected async execute(): Promise<VersionDetail> {
    return showVersion(this.ctx, this.args.version)
  }

  protected render(v: VersionDetail): string {
    const lines = [
      `Config v${v.version} (${v.kind}${v.reverts ? ` of v${v.reverts}` : ''}), rollout ${v.rolloutId}, by ${v.actor} at ${v.createdAt}`,
      v.summary,
    ]
    if (v.rollout) {
      const c = v.rollout.counts
      lines.push(
        `Status: ${v.rollout.status}${v.rollout.reason ? ` (${v.rollout.reason})` : ''}; ${v.kind === 'push' ? `${c.applied} applied, ${c.failed} failed, ${c.skipped} skipped, ${c.unchanged} unchanged` : `${c.reverted} reverted, ${c.failed} not reverted`}`,
      )
    }
    if (v.kind === 'push') {
      lines.push(`Change (${v.format}):`, ...renderDocChanges(v.diff as DocChange[]))
      for (const g of v.rollout?.diff.applied ?? [])
        lines.push(
          `Applied on ${g.instances} instance${g.instances === 1 ? '' : 's'}:`,
          ...g.changes.map((c) => `  ${formatChange(c)}`),
        )
      lines.push('Document:', JSON.stringify(v.document, null, 2))
    }
    return `${lines.join('\n')}\n`
  }
}
