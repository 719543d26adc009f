import { Flags } from '@oclif/core'
import { ClawopsCommand } from '../../lib/cli/base-command.js'
import { selectorFlag } from '../../lib/cli/flags.js'
import { renderVersions } from '../../lib/cli/render-upgrade.js'
import type { VersionsView } from '../../lib/upgrades/versions.js'

export default class OpenclawVersions extends ClawopsCommand<typeof OpenclawVersions, VersionsView> {
  static override summary =
    'Which OpenClaw and gf-clawnode version runs on each instance, grouped, with the skew against a target.'
  static override description =
    "Asks every instance's gf-clawnode now (the gateway's startup probe reports the running OpenClaw version; without one, the installed files), keeps the answers for fleet status and the briefings, and groups them. The target is --target, else the newest version the release location (upgrades.releasesUrl) offers, else the newest running. An instance that does not answer shows what it last reported, marked stale; a version that does not parse as an OpenClaw version is unknown, never up to date. --cached reads the kept answers without asking the nodes."
  static override examples = [
    '<%= config.bin %> openclaw versions',
    {
      description: 'Against a target, the beta cohort only',
      command: '<%= config.bin %> openclaw versions --target 2026.9.6-1 -l cohort=beta',
    },
    {
      description: 'What the fleet last reported, as JSON',
      command: '<%= config.bin %> openclaw versions --cached --json',
    },
  ]
  static override flags = {
    selector: selectorFlag,
    target: Flags.string({ summary: 'The OpenClaw version to measure the skew against (e.g. 2026.9.6).' }),
    'clawnode-target': Flags.string({ summary: 'The gf-clawnode version to measure its skew against.' }),
    cached: Flags.boolean({ summary: 'Read the versions the instances last reported; ask no node.' }),
    all: Flags.boolean({ summary: 'List every instance, not only those off target.' }),
  }

  protected async execute(): Promise<VersionsView> {
    const { fleetVersions } = await import('../../lib/upgrades/versions.js')
    const f = this.flags
    return fleetVersions(this.ctx, {
      ...(f.selector ? { selector: f.selector } : {}),
      ...(f.target ? { target: f.target } : {}),
      ...(f['clawnode-target'] ? { clawnodeTarget: f['clawnode-target'] } : {}),
      live: !f.cached,
    })
  }

  protected render(v: VersionsView): string {
    return renderVersions(v, { all: this.flags.all })
  }
}
