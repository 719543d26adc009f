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

/**
 * Which instances' nodes are connected with a command surface, from one `node.list` shared by every
 * waiter of this context: polling per waiting instance would hammer the gateway with listings just
 * when it is busiest, admitting new nodes.
 */
class NodeWatch {
  private ready = new Map<string, string>()
  private seen = new Map<string, string>()
  private timer: NodeJS.Timeout | undefined
  private waiters = 0

  constructor(private readonly client: GatewayClient) {}

  private async poll(): Promise<void> {
    try {
      const nodes = await listNodes(this.client)
      const ready = new Map<string, string>()
      const seen = new Map<string, string>()
      for (const n of nodes) {
        if (!n.instanceId || !n.connected) continue
        if (n.commands.length > 0) ready.set(n.instanceId, n.nodeId)
        else seen.set(n.instanceId, 'connected, command surface not approved yet')
      }
      this.ready = ready
      this.seen = seen
    } catch {
      // The next poll tries again; a waiter's own deadline bounds the wait.
    }
    if (this.waiters > 0) this.timer = setTimeout(() => void this.poll(), POLL_MS)
  }

  async wait(instanceId: string, timeoutMs: number, signal?: AbortSignal): Promise<string> {
    this.waiters++
    if (this.waiters === 1) void this.poll()
    try {
      const deadline = Date.now() + timeoutMs
      while (Date.now() < deadline) {
        signal?.throwIfAborted()
        const nodeId = this.ready.get(instanceId)
        if (nodeId) return nodeId
        await new Promise((r) => setTimeout(r, 250))
      }
      const last = this.seen.get(instanceId) ?? 'not seen on the gateway'
      throw new UserError(
        'TIMEOUT',
        `the node of ${instanceId} did not join the gateway within ${Math.round(timeoutMs / 1000)} s (${last})`,
        {
          hint: 'Check the server boots (clawops lab status / the provider console) and that gf-clawnode reaches the gateway; then clawops ops resume.',
          details: { instanceId, last },
        },
      )
    } finally {
      this.waiters--
      if (this.waiters === 0) clearTimeout(this.timer)
    }
  }
}

const POLL_MS = 1_000
const watches = new WeakMap<Context, NodeWatch>()

/** Waits until the instance's node is connected and declares commands; returns its node id. */
export async function waitForNode(
  ctx: Context,
  instanceId: string,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<string> {
  const { client } = await joining(ctx)
  let w = watches.get(ctx)
  if (!w) {
    w = new NodeWatch(client)
    watches.set(ctx, w)
  }
  return w.wait(instanceId, timeoutMs, signal)
}
