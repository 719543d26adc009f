/**
 * Getting a freshly booted node into the fleet: clawops approves the nodes it provisioned (join
 * proofs checked against the secrets in the store; strangers never) for as long as a provisioning
 * run needs, and waits until each instance's node is connected with its command surface.
 */
import type { Context } from '../context.js'
import { UserError } from '../errors.js'
import { type GatewayClient, OPERATOR_SCOPES } from '../gateway/client.js'
import { JoinApprover } from '../gateway/join-approver.js'
import { type GatewayLink, openGatewayLink } from '../gateway/link.js'
import { listNodes } from '../gateway/nodes.js'
import { JoinSecrets } from '../store/join-secrets.js'

interface Joining {
  link: GatewayLink
  client: GatewayClient
  approver: JoinApprover
}

const running = new WeakMap<Context, Promise<Joining>>()

/** One approver per context, started on first use and stopped when the context is disposed. */
export function joining(ctx: Context): Promise<Joining> {
  let p = running.get(ctx)
  if (!p) {
    p = (async () => {
      // Approving pairings and minting bootstrap credentials need the pairing and admin scopes.
      const link = await openGatewayLink(ctx, { reconnect: true, scopes: OPERATOR_SCOPES })
      const client = await link.get()
      const logger = (await ctx.logger()).child({ component: 'join' })
      const approver = new JoinApprover(client, ctx.store().repo(JoinSecrets), { sweepMs: 1_000, logger })
      await approver.start()
      ctx.defer(async () => {
        approver.stop()
        await link.close()
      })
      return { link, client, approver }
    })()
    running.set(ctx, p)
    p.catch(() => running.delete(ctx))
  }
  return p
}

/** Waits until the instance's node is connected and declares commands; returns its node id. */
export async function waitForNode(
  ctx: Context,
  instanceId: string,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<string> {
  const { client } = await joining(ctx)
  const deadline = Date.now() + timeoutMs
  let last = 'not seen on the gateway'
  while (Date.now() < deadline) {
    signal?.throwIfAborted()
    const node = (await listNodes(client)).find((n) => n.instanceId === instanceId && n.connected)
    if (node) {
      if (node.commands.length > 0) return node.nodeId
      last = 'connected, command surface not approved yet'
    }
    await new Promise((r) => setTimeout(r, 500))
  }
  throw new UserError(
    'TIMEOUT',
    `the node of ${instanceId} did not join the gateway within ${Math.round(timeoutMs / 1000)} s (${last})`,
    {
      hint: 'Check the server boots (clawops lab status / the provider console) and that gf-clawnode reaches the gateway; then clawops ops resume.',
      details: { instanceId, last },
    },
  )
}
