import { ClawopsCommand } from '../../lib/cli/base-command.js'
import type { JoinDecision } from '../../lib/gateway/join-approver.js'
import { renderTable } from '../../lib/output/table.js'

interface Result {
  decisions: JoinDecision[]
}

export default class NodeApprove extends ClawopsCommand<typeof NodeApprove, Result> {
  static override summary =
    'One pass over pending gateway pairings: approve the nodes clawops provisioned, reject impostors.'
  static override description =
    'A node proves it is the one clawops provisioned with the join secret from its user data (an HMAC bound to its device key). Proven nodes and their command surfaces are approved; a wrong proof or a second device for the same instance is rejected; everything else (operator devices, phones, nodes without a proof) is left for a human. With several gateways (config `gateways`) each is reviewed, and a node is admitted only on the gateway its join secret was issued for. clawops watch does this continuously.'
  static override examples = ['<%= config.bin %> node approve', '<%= config.bin %> node approve --json']

  protected async execute(): Promise<Result> {
    const [{ reviewPendingJoins }, { auditedJoinRegistry }, engine] = await Promise.all([
      import('../../lib/gateway/join-approver.js'),
      import('../../lib/store/join-secrets.js'),
      this.engine(),
    ])
    engine.permit(this.ctx, 'node.approve')
    const registry = auditedJoinRegistry(this.ctx.store(), this.ctx.who, this.ctx.mainShard())
    const shards = this.ctx.shards()
    const decisions: JoinDecision[] = []
    for (const s of shards) {
      const client = await (await this.ctx.gateway('admin', s.name)).get()
      decisions.push(...(await reviewPendingJoins(client, registry, shards.length > 1 ? s.name : undefined)))
    }
    return { decisions }
  }

  protected render(r: Result): string {
    if (r.decisions.length === 0) return 'Nothing pending.\n'
    return renderTable(
      [
        { header: 'Kind', get: (d) => d.kind },
        { header: 'Instance', get: (d) => d.instanceId ?? '-' },
        { header: 'Device', get: (d) => d.deviceId.slice(0, 12) },
        { header: 'Action', get: (d) => d.action },
        { header: 'Reason', get: (d) => d.reason },
      ],
      r.decisions,
    )
  }
}
