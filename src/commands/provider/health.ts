import { Flags } from '@oclif/core'
import { ClawopsCommand } from '../../lib/cli/base-command.js'
import { type ProviderHealthReport, providerHealth } from '../../lib/ledger/provider-health.js'
import { formatUsd } from '../../lib/output/money.js'
import { paintState } from '../../lib/output/style.js'
import { renderTable } from '../../lib/output/table.js'

const minutes = (ms: number | null) => {
  if (ms === null) return '-'
  const s = Math.round(ms / 1000)
  return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`
}

export default class ProviderHealth extends ClawopsCommand<typeof ProviderHealth, ProviderHealthReport> {
  static override summary =
    'A 0–100 health score per provider from provisioning times, failed and retried provisions, incidents and instance health, with the inputs and routing advice.'
  static override description =
    'Score = weighted mean of reliability (30 %: first-try provisions 1, retried 0.5, failed 0), speed (25 %: median provisioning time, 100 at 4 min, 0 at 12 min), incidents (20 %: 100 minus 40/25/10/5 per critical/high/warning/other incident) and instance health (25 %: mean health score). A provider below ledger.providerHealth.leavePrimaryBelow (75) gets a recommendation to leave the primary pools, with the cost impact per new user per month and the routing command; applying it is a versioned, audited routing change.'
  static override examples = [
    { description: 'The last 7 days', command: '<%= config.bin %> provider health' },
    {
      description: 'The last 30 days, as JSON',
      command: '<%= config.bin %> provider health --days 30 --json',
    },
  ]
  static override flags = {
    days: Flags.integer({ default: 7, min: 1, max: 30, summary: 'The window, in days back from now.' }),
  }

  protected async execute(): Promise<ProviderHealthReport> {
    return providerHealth(this.ctx, { days: this.flags.days })
  }

  protected render(r: ProviderHealthReport): string {
    const table = renderTable(
      [
        { header: 'Provider', get: (p) => p.provider },
        { header: 'Score', get: (p) => (p.score === null ? '-' : p.score) },
        {
          header: 'Status',
          get: (p) => paintState(p.status === 'ok' ? 'ok' : p.status === 'degraded' ? 'DEGRADED' : p.status),
        },
        {
          header: 'Provisions',
          get: (p) =>
            `${p.inputs.provisions.total} (${p.inputs.provisions.failed} failed, ${p.inputs.provisions.retried} retried)`,
        },
        { header: 'Median time', get: (p) => minutes(p.inputs.provisions.p50Ms) },
        {
          header: 'Slowest region',
          get: (p) => {
            const r = p.inputs.provisions.regions[0]
            if (!r || r.p50Ms === null) return '-'
            const [phase, ms] = Object.entries(r.phases)
              .filter((e): e is [string, number] => e[1] !== null)
              .sort((a, b) => b[1] - a[1])[0] ?? ['', 0]
            return `${r.region} ${minutes(r.p50Ms)}${phase ? ` (${phase} ${Math.round(ms / 1000)} s)` : ''}`
          },
          wide: true,
        },
        { header: 'Incidents', get: (p) => p.inputs.incidents.count },
        { header: 'Health', get: (p) => p.inputs.health.avgScore ?? '-' },
        {
          header: 'Components',
          get: (p) =>
            `rel ${p.components.reliability ?? '-'} / speed ${p.components.speed ?? '-'} / inc ${p.components.incidents} / health ${p.components.health ?? '-'}`,
          wide: true,
        },
      ],
      r.providers,
      { wide: this.ctx.format === 'wide' },
    )
    const recs = r.recommendations.map((x) => {
      const impact = x.firstChoice
        ? `new ${x.group.toUpperCase()} primaries go to ${x.replacement}: ${x.costImpactPerUserMonthlyUsdCents >= 0 ? '+' : ''}${formatUsd(x.costImpactPerUserMonthlyUsdCents)}/user/month`
        : `not the first choice in ${x.group.toUpperCase()}: no cost change for new users`
      return `- ${x.provider} (${x.score}/100): leave the ${x.group.toUpperCase()} primary pool, stay as standby; ${impact}\n  ${x.command}`
    })
    return `Provider health over ${r.window.days} days (routing v${r.routingVersion}; below ${r.thresholdScore} leaves the primary pool)\n${table}${recs.length ? `\nRecommendations:\n${recs.join('\n')}\n` : 'No provider below the threshold.\n'}`
  }
}
