import { ClawopsCommand } from '../../lib/cli/base-command.js'
import type { FleetStatus as Result } from '../../lib/fleet/status.js'
import { fleetStatus } from '../../lib/fleet/status.js'
import { formatUsd } from '../../lib/output/money.js'
import { pageFooter } from '../../lib/output/page.js'
import { paintState } from '../../lib/output/style.js'
import { renderFields, renderTable, wrap } from '../../lib/output/table.js'

export default class FleetStatus extends ClawopsCommand<typeof FleetStatus, Result> {
  static override summary =
    'Fleet overview: counts by state, provider, region and tier; trouble; monthly cost.'
  static override description =
    'Reads the fleet store only. Lists every DEGRADED and FAILED instance and every pair with no ACTIVE member (users without a working gateway). Cost is the monthly list price of all live instances, converted to USD with the configured rates.'
  static override examples = [
    { description: 'Overview as tables', command: '<%= config.bin %> fleet status' },
    {
      description: 'The same as one JSON document, for agents',
      command: '<%= config.bin %> fleet status --json',
    },
  ]

  protected async execute(): Promise<Result> {
    return fleetStatus(this.ctx)
  }

  protected render(s: Result): string {
    const n = (v: number) => v.toLocaleString('en-US')
    const counts = (m: Record<string, number>, word: (k: string) => string = (k) => k) =>
      Object.entries(m)
        .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
        .map(([k, v]) => `${word(k)} ${n(v)}`)
        .join(' · ')
    const state = (k: string) => (k === 'BOOTSTRAPPING' ? `${paintState(k)} (warming up)` : paintState(k))
    const summary = renderFields([
      ['State', counts(s.byState, state)],
      ['Provider', counts(s.byProvider)],
      ['Region', counts(s.byRegion)],
      ['Tier', counts(s.byTier)],
    ])
    const trouble = [...s.degraded, ...s.failed]
    const lines = [
      `${n(s.pairs)} pairs, ${n(s.instances)} instances, ${formatUsd(s.monthlyCost.usdCents)}/month\n`,
      summary,
    ]
    if (trouble.length > 0) {
      const shown = this.ctx.format === 'wide' ? trouble : trouble.slice(0, TROUBLE_ROWS)
      lines.push(
        `\nDegraded and failed (${n(trouble.length)}):\n`,
        renderTable(
          [
            { header: 'Instance', get: (i) => i.id },
            { header: 'Pair', get: (i) => i.pairId },
            { header: 'Role', get: (i) => i.role },
            { header: 'Where', get: (i) => `${i.provider}/${i.region}` },
            { header: 'State', get: (i) => paintState(i.state) },
            { header: 'Health', get: (i) => i.healthScore },
          ],
          shown,
        ),
        this.footer(
          pageFooter(shown.length, trouble.length, 'degraded and failed instances').replace(
            '(use --limit N or --all)',
            '(all: clawops instance list --state DEGRADED --state FAILED --all, or -o wide)',
          ),
        ),
      )
    }
    lines.push(
      s.pairsWithoutActive.length === 0
        ? 'Every pair has an ACTIVE member.\n'
        : `${n(s.pairsWithoutActive.length)} pair(s) without an ACTIVE member (users without a gateway):\n${wrap(
            s.pairsWithoutActive.map((p) => p.pairId).join(' '),
            (process.stdout.columns || 80) - 2,
          )
            .map((l) => `  ${l}\n`)
            .join('')}`,
    )
    return lines.join('')
  }
}

/** Trouble rows shown by default; the rest is one command away. */
const TROUBLE_ROWS = 20
