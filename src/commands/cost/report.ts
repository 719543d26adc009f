import { Flags } from '@oclif/core'
import { ClawopsCommand } from '../../lib/cli/base-command.js'
import { limitFlag } from '../../lib/cli/flags.js'
import { UserError } from '../../lib/errors.js'
import { type CostGroup, type CostReport, costReport } from '../../lib/ledger/cost-report.js'
import { formatUsd } from '../../lib/output/money.js'
import { renderTable } from '../../lib/output/table.js'

const pct = (x: number | null) => (x === null ? 'n/a' : `${x > 0 ? '+' : ''}${x.toFixed(1)}%`)

export default class CostReportCommand extends ClawopsCommand<typeof CostReportCommand, CostReport> {
  static override summary =
    'Spend this week or month: actual, forecast and projection with the delta, by provider, region, tier or user, and the top movers.'
  static override description =
    'Computed from the billing segments in the store (one per server and plan), with each provider’s billing rule: Hetzner and Vultr every started hour and DigitalOcean per second, each capped at the monthly price per calendar month; Contabo contracts and Hostinger periods paid in advance per term. Amounts are USD cents converted with the configured rates (currency.rates), each instance’s charge rounded half up, so breakdowns add up to the total. The projection is the configured budget (ledger.budgetUsd.week|month) pro rata, or else the fleet as it stood when the period began. Top movers compare with the same stretch of the previous period.'
  static override examples = [
    { description: 'This month by provider', command: '<%= config.bin %> cost report' },
    {
      description: 'This week by tier, as JSON for an agent',
      command: '<%= config.bin %> cost report --period week --by tier --json',
    },
    {
      description: 'Last complete week (the Monday report)',
      command: '<%= config.bin %> cost report --period week --previous',
    },
    {
      description: 'The ten most expensive users this month',
      command: '<%= config.bin %> cost report --by user --limit 10',
    },
  ]
  static override flags = {
    period: Flags.option({
      options: ['week', 'month'] as const,
      default: 'month' as const,
      summary: 'The report period: ISO week (Monday 00:00 UTC) or calendar month (UTC).',
    })(),
    by: Flags.option({
      options: ['provider', 'region', 'tier', 'user'] as const,
      default: 'provider' as const,
      summary: 'Break the spend down by this dimension.',
    })(),
    previous: Flags.boolean({ summary: 'Report the last complete period instead of the current one.' }),
    at: Flags.string({
      summary: 'Report as of this ISO time instead of now (the period containing it, up to it).',
    }),
    limit: limitFlag,
  }

  protected async execute(): Promise<CostReport> {
    let at: Date | undefined
    if (this.flags.at !== undefined) {
      at = new Date(this.flags.at)
      if (Number.isNaN(at.getTime())) {
        throw new UserError('INVALID_INPUT', `cannot read --at "${this.flags.at}"`, {
          hint: 'Use an ISO date or time, e.g. 2026-11-30 or 2026-11-30T07:00:00Z.',
        })
      }
    }
    return costReport(this.ctx, {
      period: this.flags.period,
      by: this.flags.by,
      previous: this.flags.previous,
      at,
      limit: this.flags.limit ?? (this.flags.by === 'user' ? 20 : undefined),
    })
  }

  protected render(r: CostReport): string {
    const p = r.period
    const head = [
      `${p.kind === 'week' ? 'Week' : 'Month'} ${p.start.slice(0, 10)} to ${p.end.slice(0, 10)}, as of ${p.asOf.slice(0, 16).replace('T', ' ')} UTC (${p.elapsedPct}% elapsed)`,
      `Actual:    ${formatUsd(r.actualUsdCents)} vs ${formatUsd(r.projection.toDateUsdCents)} projected to date (${pct(r.deltaPct)})`,
      p.complete
        ? ''
        : `Forecast:  ${formatUsd(r.forecastUsdCents)} vs ${formatUsd(r.projection.periodUsdCents)} projected for the ${p.kind} (${pct(r.forecastDeltaPct)})`,
      `Projection: ${r.projection.note}`,
      r.prices.length
        ? `Prices:    ${r.prices.map((x) => `${x.source}${x.asOf ? ` of ${x.asOf.slice(0, 10)}` : ''} (${x.segments} segment${x.segments === 1 ? '' : 's'})`).join(', ')}`
        : '',
      r.anomaly.over ? `ANOMALY: more than ${r.anomaly.thresholdPct}% above the projection` : '',
    ].filter(Boolean)
    const cols = [
      { header: r.by[0]!.toUpperCase() + r.by.slice(1), get: (g: CostGroup) => g.key },
      { header: 'Instances', get: (g: CostGroup) => g.instances },
      { header: 'Actual', get: (g: CostGroup) => formatUsd(g.actualUsdCents) },
      { header: 'Forecast', get: (g: CostGroup) => formatUsd(g.forecastUsdCents) },
      { header: 'Previous', get: (g: CostGroup) => formatUsd(g.previousUsdCents) },
      { header: 'Change', get: (g: CostGroup) => `${formatUsd(g.changeUsdCents)} (${pct(g.changePct)})` },
    ]
    const more = r.groupsTotal > r.groups.length ? `(${r.groups.length} of ${r.groupsTotal} shown)\n` : ''
    const movers =
      r.topMovers.length === 0
        ? 'No movers against the previous period.\n'
        : `Top movers: ${r.topMovers.map((m) => `${m.key} ${m.changeUsdCents > 0 ? '+' : ''}${formatUsd(m.changeUsdCents)}`).join(', ')}\n`
    return `${head.join('\n')}\n\n${renderTable(cols, r.groups)}${more}${movers}`
  }
}
