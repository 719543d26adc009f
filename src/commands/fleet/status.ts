import { ClawopsCommand } from '../../lib/cli/base-command.js'
import type { FleetStatus as Result } from '../../lib/fleet/status.js'
import { fleetStatus } from '../../lib/fleet/status.js'
import { formatUsd } from '../../lib/output/money.js'
import { paintState } from '../../lib/output/style.js'
import { renderTable } from '../../lib/output/table.js'

export default class FleetStatus extends ClawopsCommand<typeof FleetStatus, Result> {
  static override summary =
    'Fleet overview: counts by state, provider, region and tier; trouble; monthly cost.'
  static override description =
    'Reads the fleet store only. Lists every DEGRADED and FAILED instance and every pair whose primary is not ACTIVE, with its condition: degraded (the primary is DEGRADED), promoting, at-risk (an ACTIVE standby never promoted: fail over), unserved (no ACTIVE member), creating. Cost is the monthly list price of all live instances, converted to USD with the configured rates.'
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
    const counts = (title: string, m: Record<string, number>) =>
      renderTable(
        [
          { header: title, get: (r: [string, number]) => paintState(r[0]) },
          { header: 'Instances', get: (r: [string, number]) => r[1] },
        ],
        Object.entries(m).sort((a, b) => b[1] - a[1]),
      )
    const trouble = [...s.degraded, ...s.failed]
    const lines = [
      `${s.pairs} pairs, ${s.instances} instances, ${formatUsd(s.monthlyCost.usdCents)}/month\n`,
      counts('State', s.byState),
      counts('Provider', s.byProvider),
      counts('Tier', s.byTier),
      this.ctx.format === 'wide' ? counts('Region', s.byRegion) : '',
    ]
    if (trouble.length > 0) {
      lines.push(
        renderTable(
          [
            { header: 'Instance', get: (i) => i.id },
            { header: 'Pair', get: (i) => i.pairId },
            { header: 'Role', get: (i) => i.role },
            { header: 'Where', get: (i) => `${i.provider}/${i.region}` },
            { header: 'State', get: (i) => paintState(i.state) },
            { header: 'Health', get: (i) => i.healthScore },
          ],
          trouble,
        ),
      )
    }
    const gaps = s.pairsWithoutActivePrimary
    lines.push(
      gaps.length === 0
        ? 'Every pair has an ACTIVE primary.\n'
        : `${gaps.length} pair(s) without an ACTIVE primary: ${gaps.map((p) => `${p.pairId} (${paintState(p.condition)})`).join(', ')}\n`,
    )
    return lines.join('')
  }
}
