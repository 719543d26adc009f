import { Args } from '@oclif/core'
import { ClawopsCommand } from '../../lib/cli/base-command.js'
import type { IncidentReport } from '../../lib/watch/incident-report.js'

export default class IncidentReportCommand extends ClawopsCommand<
  typeof IncidentReportCommand,
  IncidentReport
> {
  static override summary =
    'An incident written up: timeline, suspected root cause, actions taken, action items.'
  static override description =
    'Built from the store: the incident record (with the provider status checks made when it was declared and resolved), the events and audited actions in its scope from 30 min before it opened until it was resolved, silences, the failovers and the replacement standbys owed.'
  static override examples = [
    '<%= config.bin %> incident report inc-7k2m9x4q1d',
    {
      description: 'For Triage and the Briefer, as JSON',
      command: '<%= config.bin %> incident report inc-7k2m9x4q1d --json',
    },
  ]
  static override args = {
    id: Args.string({ required: true, description: 'Incident id (inc-…), from clawops incident list' }),
  }

  protected async execute(): Promise<IncidentReport> {
    const { incidentReport } = await import('../../lib/watch/incident-report.js')
    return incidentReport(this.ctx, this.args.id)
  }

  protected render(r: IncidentReport): string {
    const i = r.incident
    const lines = [
      `# ${i.id}: ${i.title}`,
      `Status ${i.status}, severity ${i.severity}; opened ${i.openedAt}${i.resolvedAt ? `, resolved ${i.resolvedAt}` : ''} (${i.durationMinutes} min)`,
      '',
      '## Impact',
      `Primaries affected ${r.impact.primariesAffected ?? 0}; failovers complete ${r.impact.failoversComplete ?? 0}; still promoting ${r.impact.stillPromoting?.length ?? 0}; users without a gateway ${r.impact.usersWithoutActiveGateway?.length ?? 0}; replacement standbys owed ${r.impact.reprovisionOwed ?? 0}`,
      '',
      '## Suspected root cause',
      r.suspectedRootCause.summary,
      ...r.suspectedRootCause.evidence.map((e) => `- ${e}`),
      '',
      '## Timeline',
      ...r.timeline.map((t) => `${t.at}  ${t.kind}: ${t.text}`),
      '',
      '## Actions taken',
      ...(r.actionsTaken.length
        ? r.actionsTaken.map((a) => `${a.at}  ${a.actor} ${a.action} ${a.target ?? ''} (${a.outcome})`)
        : ['none']),
      '',
      '## Action items',
      ...(r.actionItems.length ? r.actionItems.map((a) => `- [ ] ${a}`) : ['none']),
    ]
    return `${lines.join('\n')}\n`
  }
}
