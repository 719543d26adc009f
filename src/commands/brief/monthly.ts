import { BriefCommand, briefFlags } from '../../lib/cli/brief-command.js'

export default class BriefMonthly extends BriefCommand {
  static override summary =
    "The monthly capacity report: projected users against provider quotas and the budget, last month's cost, waste, and the month in the fleet."
  static override description =
    'Capacity is clawops capacity plan --months 3 (growth from the provisioning history, quotas from ledger.quotas, the budget from ledger.budgetUsd.month); cost is clawops cost report --period month --previous. Events cover the last 30 days, or --since. --deliver sends it on briefer.routes.monthly (Telegram by default).'
  static override examples = [
    { description: 'Last month and the next three', command: '<%= config.bin %> brief monthly' },
    {
      description: 'What the cron job on the 1st runs',
      command: '<%= config.bin %> brief monthly --deliver --as briefer --json',
    },
  ]
  static override flags = briefFlags
  protected readonly kind = 'monthly' as const
}
