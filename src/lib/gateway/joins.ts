/**
 * Getting a freshly booted node into the fleet: clawops approves the nodes it provisioned (join
 * proofs checked against the secrets in the store; strangers never) for as long as the process needs,
 * and waits until each instance's node is connected with its command surface. One per gateway shard
 * and Context (`ctx.joins(shard)`), started on first use and stopped when the Context is disposed.
 */
import { UserError } from '../errors.js'
import type { Logger } from '../log.js'
import type { GatewayClient } from './client.js'
import type { JoinRegistry } from './join-approver.js'
import { JoinApprover } from './join-approver.js'
import { listNodes } from './nodes.js'

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

export class Joins {
  private readonly watch: NodeWatch

  private constructor(
    readonly client: GatewayClient,
    readonly approver: JoinApprover,
    /** The gateway shard these joins are on. */
    readonly shard: string | undefined,
  ) {
    this.watch = new NodeWatch(client)
  }

  /**
   * Starts approving on an operator connection with the pairing and admin scopes. With `shard`, only
   * nodes whose join secret was issued for that gateway shard are admitted there.
   */
  static async start(
    client: GatewayClient,
    secrets: JoinRegistry,
    logger: Logger,
    shard?: string,
  ): Promise<Joins> {
    const approver = new JoinApprover(client, secrets, {
      sweepMs: 1_000,
      logger,
      ...(shard ? { shard } : {}),
    })
    await approver.start()
    return new Joins(client, approver, shard)
  }

  /** Waits until the instance's node is connected and declares commands; returns its node id. */
  waitForNode(instanceId: string, timeoutMs: number, signal?: AbortSignal): Promise<string> {
    return this.watch.wait(instanceId, timeoutMs, signal)
  }

  stop(): void {
    this.approver.stop()
  }
}
