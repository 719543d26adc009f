/**
 * `clawops gateway move <instance> --to <gateway>`: moves an instance's node to another gateway shard.
 * A fresh join secret is issued for the new gateway, which also issues a bootstrap credential; the
 * node is told through its current gateway (`clawnode.rejoin`: it rewrites its config and restarts
 * onto the new one), the new gateway's approver admits it by its join proof, and once it is connected
 * there the instance's row names the new gateway and the old pairing is removed. One journaled step
 * under the pair's lock; a resumed move whose node already joined the new gateway only finishes.
 *
 * Refused: a gateway the config does not list, the gateway it is on, and the gateway its partner is
 * on while another takes nodes (one gateway's loss must never blind both members of a pair; off a
 * gateway being retired, `drain`, with no other left, the pair shares one until another is added).
 * The partner rule is judged when the plan is made and again when the move runs.
 */
import { z } from 'zod'
import type { Context } from '../context.js'
import type { Instance } from '../domain/instance.js'
import type { OperationKind } from '../engine/kind.js'
import { UserError } from '../errors.js'
import { generateJoinSecret } from '../gateway/join-proof.js'
import { listNodes } from '../gateway/nodes.js'
import { issueNodeBootstrapToken, removeDevice } from '../gateway/pairing.js'
import { shardNamed, shardsTakingNodes } from '../gateway/shards.js'
import { provisioningSettings } from '../provisioning/settings.js'
import { Instances } from '../store/instances.js'
import { JoinSecrets } from '../store/join-secrets.js'

export const GatewayMoveParamsSchema = z
  .object({ instanceId: z.string().min(1), to: z.string().min(1) })
  .strict()
export type GatewayMoveParams = z.infer<typeof GatewayMoveParamsSchema>

const gatewayMoveKind: OperationKind<GatewayMoveParams> = {
  kind: 'gateway.move',
  action: 'gateway.move',
  parseParams(raw) {
    const r = GatewayMoveParamsSchema.safeParse(raw)
    if (!r.success) throw new UserError('INVALID_INPUT', r.error.issues.map((i) => i.message).join('; '))
    return r.data
  },
  plan(ctx, p) {
    const instances = ctx.store().repo(Instances)
    const inst = instances.get(p.instanceId)
    if (!inst || inst.state === 'DELETED') throw new UserError('NOT_FOUND', `no instance ${p.instanceId}`)
    shardNamed(ctx.config(), p.to)
    const from = ctx.shardOf(inst)
    if (from === p.to) throw new UserError('CONFLICT', `${inst.id} is on gateway ${p.to} already`)
    if (!inst.nodeId) {
      throw new UserError('CONFLICT', `${inst.id} has no node yet (${inst.state}): nothing to move`, {
        hint: 'Move an instance once its node has joined (clawops node list).',
      })
    }
    const partner = partnerOn(ctx, inst, p.to)
    const together = partner ? ` (with ${partner.id}, its pair's other member: ${from} is being retired)` : ''
    return {
      summary: `move ${inst.id}'s node from gateway ${from} to ${p.to}${together}`,
      targets: [inst.id],
      affectedUsers: 1,
      costDeltaMonthlyUsdCents: 0,
      locks: [`pair:${inst.pairId}`],
      steps: [{ name: 'move', target: inst.id, input: { from } }],
      facts: { gatewayMove: { instanceId: inst.id, from, to: p.to } },
    }
  },
  async runStep(run, p) {
    const ctx = run.ctx
    const instances = ctx.store().repo(Instances)
    const inst = instances.get(p.instanceId)
    if (!inst) throw new UserError('NOT_FOUND', `no instance ${p.instanceId}`)
    const from = ctx.shardOf(inst)
    if (from === p.to) return { instanceId: inst.id, from: p.to, to: p.to, nodeId: inst.nodeId, moved: false }
    const to = shardNamed(ctx.config(), p.to)
    const joins = await ctx.joins(p.to)
    const already = (await listNodes(joins.client)).some((n) => n.instanceId === inst.id && n.connected)
    // Judged again here, not only at plan time: a resumed move (or one confirmed long after its
    // plan) meets the fleet and the config as they are now, e.g. the partner moved there meanwhile or
    // the source gateway no longer drains. A node already on the new gateway only finishes.
    if (!already) partnerOn(ctx, inst, p.to)
    // Before anything changes at either gateway or on the node (rule 3).
    run.audit({ action: 'gateway.move', target: inst.id, details: { from, to: p.to } })
    if (!already) {
      // Idempotent: a resumed move keeps the secret already issued for this gateway.
      const joinSecret = ctx.store().repo(JoinSecrets).rotate(inst.id, generateJoinSecret(), p.to)
      const { bootstrapToken } = await issueNodeBootstrapToken(joins.client, to.nodeUrl)
      run.progress(`${inst.id}: telling its node to rejoin on gateway ${p.to}`)
      await (await ctx.nodes()).invoke(
        { id: inst.id, nodeId: inst.nodeId, gateway: from },
        'clawnode.rejoin',
        { url: to.nodeUrl, bootstrapToken, joinSecret },
        30_000,
        { idempotencyKey: `${run.opId}:rejoin` },
      )
    }
    const timeoutMs = provisioningSettings(ctx.config()).joinTimeoutSeconds * 1000
    const nodeId = await joins.waitForNode(inst.id, timeoutMs)
    instances.update(inst.id, { gateway: p.to, nodeId })
    // The old gateway's pairing goes; one that cannot be reached keeps a stale entry (reported).
    let unpaired = false
    if (inst.nodeId) {
      try {
        await removeDevice(await (await ctx.gateway('admin', from)).get(), inst.nodeId)
        unpaired = true
      } catch {}
    }
    run.progress(`${inst.id}: on gateway ${p.to}`)
    return { instanceId: inst.id, from, to: p.to, nodeId, moved: true, unpairedFromOld: unpaired }
  },
}

/**
 * The pair's other member on gateway `to`, when the move may still go there: only off a gateway being
 * retired, when no other gateway takes nodes. Otherwise refused with CONFLICT.
 */
function partnerOn(ctx: Context, inst: Instance, to: string): Instance | undefined {
  const partner = ctx
    .store()
    .repo(Instances)
    .list({ pairId: inst.pairId })
    .find((i) => i.id !== inst.id && i.state !== 'DELETED' && ctx.shardOf(i) === to)
  const elsewhere = shardsTakingNodes(ctx.shards()).filter((s) => s !== to)
  if (partner && elsewhere.length > 0) {
    throw new UserError(
      'CONFLICT',
      `${partner.id}, the other member of pair ${inst.pairId}, is on gateway ${to}: one gateway's loss would blind both`,
      { hint: `Choose another gateway (${elsewhere.join(', ')}), or move the other member first.` },
    )
  }
  return partner
}

export default gatewayMoveKind
