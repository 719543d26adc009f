import { Flags } from '@oclif/core'
import { ClawopsCommand } from '../../lib/cli/base-command.js'
import { pageFlags, selectorFlag } from '../../lib/cli/flags.js'
import { INSTANCE_STATES, ROLES } from '../../lib/domain/instance.js'
import { PROVIDERS } from '../../lib/domain/provider.js'
import { TIERS } from '../../lib/domain/tier.js'
import { type InstanceList, listInstances } from '../../lib/fleet/instance-query.js'
import { pageFooter, pageSize } from '../../lib/output/page.js'
import { paintState } from '../../lib/output/style.js'
import { renderTable } from '../../lib/output/table.js'

export default class InstanceListCommand extends ClawopsCommand<typeof InstanceListCommand, InstanceList> {
  static override summary =
    'List instances, filtered by state, provider, region, tier, role, user or a label selector.'
  static override examples = [
    {
      description: 'Everything degraded on Hetzner',
      command: '<%= config.bin %> instance list --state DEGRADED --provider hetzner',
    },
    {
      description: 'Primaries in two regions, as JSON',
      command: "<%= config.bin %> instance list -l 'role=primary,region in (nbg1,fsn1)' --json",
    },
    { description: 'More columns', command: '<%= config.bin %> instance list -o wide --limit 20' },
    { description: 'Every instance, for a script', command: '<%= config.bin %> instance list --all --json' },
  ]
  static override flags = {
    selector: selectorFlag,
    state: Flags.option({
      options: INSTANCE_STATES,
      multiple: true,
      summary: 'Only these states.',
    })(),
    provider: Flags.option({
      options: PROVIDERS,
      multiple: true,
      summary: 'Only these providers.',
    })(),
    region: Flags.string({ multiple: true, summary: 'Only these provider regions, e.g. nbg1.' }),
    tier: Flags.option({ options: TIERS, multiple: true, summary: 'Only these tiers.' })(),
    role: Flags.option({ options: ROLES, summary: 'Only primaries or only standbys.' })(),
    user: Flags.string({ summary: 'Only this user’s instances.' }),
    ...pageFlags(50, 'instances'),
  }

  protected async execute(): Promise<InstanceList> {
    const f = this.flags
    return listInstances(this.ctx, {
      selector: f.selector,
      states: f.state,
      providers: f.provider,
      regions: f.region,
      tiers: f.tier,
      roles: f.role ? [f.role] : undefined,
      userId: f.user,
      limit: pageSize(f, 50),
    })
  }

  protected render(r: InstanceList): string {
    if (r.total === 0) return 'No instances match.\n'
    const table = renderTable(
      [
        { header: 'ID', get: (i) => i.id },
        { header: 'Pair', get: (i) => i.pairId },
        { header: 'User', get: (i) => i.userId },
        { header: 'Provider', get: (i) => i.provider },
        { header: 'Region', get: (i) => i.region },
        { header: 'Tier', get: (i) => i.tier },
        { header: 'Role', get: (i) => i.role },
        { header: 'State', get: (i) => paintState(i.state) },
        { header: 'Health', get: (i) => i.healthScore },
        { header: 'IP', get: (i) => i.ip, wide: true },
        { header: 'Tailscale', get: (i) => i.tailscaleName, wide: true },
        { header: 'Node', get: (i) => i.nodeId, wide: true },
        { header: 'Heartbeat', get: (i) => i.lastHeartbeatAt, wide: true },
        { header: 'Created', get: (i) => i.createdAt, wide: true },
        {
          header: 'Labels',
          get: (i) =>
            Object.entries(i.labels)
              .map(([k, v]) => `${k}=${v}`)
              .join(','),
          wide: true,
        },
      ],
      r.instances,
      { wide: this.ctx.format === 'wide' },
    )
    return table + this.footer(pageFooter(r.instances.length, r.total, 'instances'))
  }
}
