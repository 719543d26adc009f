import { Args } from '@oclif/core'
import { ClawopsCommand } from '../../lib/cli/base-command.js'
import { type InstanceDetail, showInstance } from '../../lib/fleet/instance-query.js'
import { paintState } from '../../lib/output/style.js'
import { renderFields, renderTable } from '../../lib/output/table.js'

export default class InstanceShow extends ClawopsCommand<typeof InstanceShow, InstanceDetail> {
  static override summary =
    'One instance in full: fields, labels, its pair partner and its recent audit entries.'
  static override examples = [
    '<%= config.bin %> instance show i-7k2m9x4q1d',
    '<%= config.bin %> instance show i-7k2m9x4q1d --json',
  ]
  static override args = { id: Args.string({ required: true, description: 'Instance id (i-…)' }) }

  protected async execute(): Promise<InstanceDetail> {
    return showInstance(this.ctx, this.args.id)
  }

  protected render(d: InstanceDetail): string {
    const i = d.instance
    const fields = renderFields([
      ['id', i.id],
      ['pair', i.pairId],
      ['user', i.userId],
      ['role', i.role],
      ['state', paintState(i.state)],
      ['health', i.healthScore],
      ['provider', `${i.provider} (${i.providerId ?? 'no server id'})`],
      ['region', i.region],
      ['tier', i.tier],
      ['ip', i.ip],
      ['tailscale', i.tailscaleName],
      ['node', i.nodeId],
      ['heartbeat', i.lastHeartbeatAt],
      [
        'labels',
        Object.entries(i.labels)
          .map(([k, v]) => `${k}=${v}`)
          .join(', '),
      ],
      ['created', i.createdAt],
      ['updated', i.updatedAt],
      ['partner', d.partner ? `${d.partner.id} (${d.partner.role}, ${paintState(d.partner.state)})` : 'none'],
    ])
    const audit =
      d.recentAudit.length === 0
        ? 'No audit entries for this instance.\n'
        : renderTable(
            [
              { header: 'Seq', get: (e) => e.seq },
              { header: 'Time', get: (e) => e.ts },
              { header: 'Actor', get: (e) => e.actor },
              { header: 'Action', get: (e) => e.action },
              { header: 'Outcome', get: (e) => paintState(e.outcome) },
            ],
            d.recentAudit,
          )
    return `${fields}\n${audit}`
  }
}
