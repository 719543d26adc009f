import { BriefCommand, briefFlags } from '../../lib/cli/brief-command.js'

export default class BriefDaily extends BriefCommand {
  static override summary =
    'The morning briefing: fleet status, what happened in the last 24 hours, cost this week against projection, waste, SLA breaches.'
  static override description =
    'In the PRD\'s words ("Fleet status: 847 active pairs across 3 providers. 2 degraded (auto-healing in progress)..."), built from the store: the numbers of clawops fleet status, cost report --period week and cost waste, heals, failovers, incidents and provisioning of the window, and SLA breaches (a user without an ACTIVE gateway longer than briefer.sla.maxUnservedMinutes, 10). The Briefer\'s incident log is brought up to date and names patterns ("the third Hetzner Nuremberg incident in 30 days"). JSON has the structured facts and three renderings: text, Markdown for chat, and a spoken variant; --voice speaks it into a file, --deliver sends it to the operator (briefer.routes.daily, WhatsApp by default) through the gateway.'
  static override examples = [
    { description: 'The briefing, as the operator reads it', command: '<%= config.bin %> brief daily' },
    {
      description: 'What the 07:00 cron job runs: a voice note, delivered',
      command:
        '<%= config.bin %> brief daily --voice ~/.clawops/briefings/daily.ogg --deliver --as briefer --json',
    },
    { description: 'The Markdown for a chat', command: '<%= config.bin %> brief daily --variant markdown' },
    {
      description: 'Since a given time, on Telegram',
      command: '<%= config.bin %> brief daily --since 36h --deliver --channel telegram',
    },
  ]
  static override flags = briefFlags
  protected readonly kind = 'daily' as const
}
