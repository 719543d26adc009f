import { Flags } from '@oclif/core'
import { ClawopsCommand } from '../../lib/cli/base-command.js'
import { type NodeList, nodeList } from '../../lib/gateway-admin/node-list.js'
import { paintState } from '../../lib/output/style.js'
import { renderTable } from '../../lib/output/table.js'

export default class NodeListCommand extends ClawopsCommand<typeof NodeListCommand, NodeList> {
  static override summary =
    'Nodes on the gateway joined with the fleet: which instances have a connected gf-clawnode.'
  static override description =
    "Reads node.list from every gateway (the operator gateway and the config's `gateways`) and matches nodes to instances by node id or by the clawnode display name. A node with no instance is a stranger (never approved by clawops); with --missing, instances without any node are listed too."
  static override examples = [
    '<%= config.bin %> node list',
    {
      description: 'Also instances that have no node, as JSON',
      command: '<%= config.bin %> node list --missing --json',
    },
  ]
  static override flags = {
    missing: Flags.boolean({ summary: 'Also list instances that have no node on the gateway.' }),
  }

  protected async execute(): Promise<NodeList> {
    return nodeList(this.ctx, { includeMissing: this.flags.missing })
  }

  protected render(r: NodeList): string {
    const head = `${r.counts.connected} connected, ${r.counts.disconnected} disconnected, ${r.counts.unknownNodes} unknown to the fleet, ${r.counts.instancesWithoutNode} instances without a node\n`
    return (
      head +
      renderTable(
        [
          { header: 'Node', get: (n) => (n.nodeId ? n.nodeId.slice(0, 12) : '-') },
          { header: 'Instance', get: (n) => n.instanceId ?? '(stranger)' },
          { header: 'Gateway', get: (n) => n.gateway },
          { header: 'Connected', get: (n) => (n.connected ? 'yes' : paintState('FAILED')) },
          { header: 'State', get: (n) => (n.state ? paintState(n.state) : '') },
          { header: 'Role', get: (n) => n.role },
          { header: 'Version', get: (n) => n.version },
          { header: 'Last seen', get: (n) => n.lastSeenAt },
          { header: 'Node id', get: (n) => n.nodeId, wide: true },
          { header: 'Name', get: (n) => n.displayName?.replace(/ join1\..*$/, ''), wide: true },
        ],
        r.nodes,
        { wide: this.ctx.format === 'wide' },
      )
    )
  }
}
