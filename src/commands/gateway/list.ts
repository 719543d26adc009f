import { ClawopsCommand } from '../../lib/cli/base-command.js'
import type { GatewayList } from '../../lib/gateway-admin/gateway-list.js'
import { paintState } from '../../lib/output/style.js'
import { renderTable } from '../../lib/output/table.js'

export default class GatewayListCommand extends ClawopsCommand<typeof GatewayListCommand, GatewayList> {
  static override summary =
    'The gateway shards: each one’s health, its nodes (paired, connected) and the instances assigned to it.'
  static override description =
    'Every gateway of the config (the operator gateway first, then `gateways`) is asked at the same time: reachable or not (with the error), the OpenClaw version it runs, how long connecting and node.list took, its paired and connected nodes, the live instances the store assigns to it, and whether it is being retired (`drain`: it takes no new node). A gateway that cannot be reached is a row, not a failure of the command. Tokens are never shown.'
  static override examples = [
    '<%= config.bin %> gateway list',
    { description: 'As JSON', command: '<%= config.bin %> gateway list --json' },
  ]

  protected async execute(): Promise<GatewayList> {
    const { gatewayList } = await import('../../lib/gateway-admin/gateway-list.js')
    return gatewayList(this.ctx)
  }

  protected render(r: GatewayList): string {
    const head = `${r.counts.reachable}/${r.counts.gateways} gateways reachable, ${r.counts.connected} nodes connected, ${r.counts.instances} instances assigned\n`
    return (
      head +
      renderTable(
        [
          {
            header: 'Gateway',
            get: (g) => `${g.name}${g.operator ? ' (operator)' : ''}${g.drain ? ' (draining)' : ''}`,
          },
          { header: 'URL', get: (g) => g.url },
          { header: 'Reachable', get: (g) => (g.reachable ? 'yes' : paintState('FAILED')) },
          { header: 'Version', get: (g) => g.version },
          { header: 'Paired', get: (g) => g.nodes?.paired },
          { header: 'Connected', get: (g) => g.nodes?.connected },
          { header: 'Instances', get: (g) => g.instances },
          { header: 'Latency ms', get: (g) => g.latencyMs, wide: true },
          { header: 'Node URL', get: (g) => g.nodeUrl, wide: true },
          { header: 'Error', get: (g) => g.error?.message },
        ],
        r.gateways,
        { wide: this.ctx.format === 'wide' },
      )
    )
  }
}
