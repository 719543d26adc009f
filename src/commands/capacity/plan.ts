import { Flags } from '@oclif/core'
import { ClawopsCommand } from '../../lib/cli/base-command.js'
import { type CapacityPlan, type CapacityRow, capacityPlan } from '../../lib/ledger/capacity.js'
import { formatUsd } from '../../lib/output/money.js'
import { renderTable } from '../../lib/output/table.js'

export default class CapacityPlanCommand extends ClawopsCommand<typeof CapacityPlanCommand, CapacityPlan> {
  static override summary =
    'Projected users from the provisioning history against provider quotas and the budget, with headroom per provider and region.'
  static override description =
    'Users grow by the net new pairs per month of the last --basis-days (90) days, linearly. New instances land where recent pairs went, limited to what the current routing allows. Quotas come from ledger.quotas (instances per provider, optionally per region); the budget from ledger.budgetUsd.month. Projected instance counts round up.'
  static override examples = [
    { description: 'The next three months', command: '<%= config.bin %> capacity plan' },
    { description: 'Six months, as JSON', command: '<%= config.bin %> capacity plan --months 6 --json' },
  ]
  static override flags = {
    months: Flags.integer({ default: 3, min: 1, max: 24, summary: 'How many months ahead.' }),
    'basis-days': Flags.integer({
      default: 90,
      min: 7,
      max: 365,
      summary: 'How many days of provisioning history the growth rate is taken from.',
    }),
  }

  protected async execute(): Promise<CapacityPlan> {
    return capacityPlan(this.ctx, { months: this.flags.months, basisDays: this.flags['basis-days'] })
  }

  protected render(p: CapacityPlan): string {
    const b = p.basis
    const head = `Users now ${p.users.now}; last ${b.days} days +${b.pairsCreated} / -${b.pairsDeleted} pairs (${b.netPairsPerMonth >= 0 ? '+' : ''}${b.netPairsPerMonth}/month)\n`
    const months = renderTable(
      [
        { header: 'Month', get: (m: CapacityPlan['users']['projected'][number]) => m.at },
        { header: 'Users', get: (m) => m.users },
        {
          header: 'Cost/month',
          get: (m) => formatUsd(p.cost.projected.find((c) => c.month === m.month)!.monthlyUsdCents),
        },
        {
          header: 'Budget headroom',
          get: (m) => {
            const h = p.cost.projected.find((c) => c.month === m.month)!.headroomUsdCents
            return h === null ? '-' : formatUsd(h)
          },
        },
      ],
      p.users.projected,
    )
    const cols = (withRegion: boolean) => [
      { header: 'Provider', get: (r: CapacityRow) => r.provider },
      ...(withRegion ? [{ header: 'Region', get: (r: CapacityRow) => r.region }] : []),
      { header: 'Now', get: (r: CapacityRow) => r.now },
      { header: `In ${p.months} mo`, get: (r: CapacityRow) => r.projected },
      { header: 'Quota', get: (r: CapacityRow) => r.quota ?? '-' },
      { header: 'Headroom', get: (r: CapacityRow) => r.headroom ?? '-' },
      { header: 'Exhausted', get: (r: CapacityRow) => r.exhaustsIn ?? '-' },
    ]
    const cost = `Run rate ${formatUsd(p.cost.runRateMonthlyUsdCents)}/month; a new user adds ${formatUsd(p.cost.perNewUserMonthlyUsdCents)}/month${p.cost.budgetExceededIn ? `; budget exceeded ${p.cost.budgetExceededIn === 'now' ? 'already' : `from ${p.cost.budgetExceededIn}`}` : ''}\n`
    return [
      head,
      months,
      cost,
      renderTable(cols(false), p.providers),
      this.ctx.format === 'wide' ? renderTable(cols(true), p.regions) : '',
      p.notes.map((n) => `Note: ${n}\n`).join(''),
    ].join('')
  }
}
