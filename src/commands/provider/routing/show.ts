import { Flags } from '@oclif/core'
import { ClawopsCommand } from '../../../lib/cli/base-command.js'
import { type RoutingShow, showRouting } from '../../../lib/ledger/show-routing.js'
import { renderTable } from '../../../lib/output/table.js'

export default class ProviderRoutingShow extends ClawopsCommand<typeof ProviderRoutingShow, RoutingShow> {
  static override summary =
    'The provider routing new pairs are placed by: per region group, the ordered primary and standby pools and excluded providers; versioned.'
  static override description =
    'Version 0 is the built-in default; every `provider routing set` writes the next version (audited, through the plan pipeline). Provisioning reads the current version.'
  static override examples = [
    { description: 'The current routing', command: '<%= config.bin %> provider routing show' },
    {
      description: 'An earlier version, as JSON',
      command: '<%= config.bin %> provider routing show --version 1 --json',
    },
  ]
  static override flags = {
    version: Flags.integer({ min: 0, summary: 'Show this version instead of the current one.' }),
    history: Flags.integer({ min: 1, max: 1000, default: 10, summary: 'How many past versions to list.' }),
  }

  protected async execute(): Promise<RoutingShow> {
    return showRouting(this.ctx, { version: this.flags.version, history: this.flags.history })
  }

  protected render(r: RoutingShow): string {
    const v = r.shown
    const head = `Routing v${v.version}${v.version === r.current ? ' (current)' : ` (current is v${r.current})`}: ${v.reason ?? ''} — ${v.actor}${v.createdAt ? `, ${v.createdAt.slice(0, 16).replace('T', ' ')} UTC` : ''}\n`
    const groups = renderTable(
      [
        { header: 'Group', get: (g: [string, (typeof v.config)['eu']]) => g[0] },
        { header: 'Primary pool', get: (g) => g[1].primary.join(' > ') },
        { header: 'Standby pool', get: (g) => g[1].standby.join(' > ') },
        { header: 'Excluded', get: (g) => g[1].excluded.join(', ') },
      ],
      Object.entries(v.config),
    )
    const history =
      r.history.length === 0
        ? 'No changes yet: the built-in default is in force.\n'
        : renderTable(
            [
              { header: 'Version', get: (h: RoutingShow['history'][number]) => `v${h.version}` },
              { header: 'When', get: (h) => h.createdAt?.slice(0, 16).replace('T', ' ') },
              { header: 'Actor', get: (h) => h.actor },
              { header: 'Reason', get: (h) => h.reason },
              { header: 'Op', get: (h) => h.opId },
            ],
            r.history,
          )
    return `${head}${groups}\n${history}`
  }
}
