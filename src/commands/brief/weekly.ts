import { BriefCommand, briefFlags } from '../../lib/cli/brief-command.js'

export default class BriefWeekly extends BriefCommand {
  static override summary =
    'The Monday cost report: last complete week against projection, provider breakdown, waste and recommendations, and the week in the fleet.'
  static override description =
    'Cost is exactly clawops cost report --period week --previous (the last complete ISO week), with the providers and the biggest movers; waste and its bulk commands come from clawops cost waste. Events (heals, failovers, incidents, provisioning, SLA breaches) cover the last 7 days, or --since. --deliver sends it on briefer.routes.weekly (Telegram by default).'
  static override examples = [
    { description: 'Last week', command: '<%= config.bin %> brief weekly' },
    {
      description: 'What the Monday 08:00 cron job runs',
      command: '<%= config.bin %> brief weekly --deliver --as briefer --json',
    },
  ]
  static override flags = briefFlags
  protected readonly kind = 'weekly' as const
}
