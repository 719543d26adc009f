/**
 * The operator's connections to its OpenClaw gateways, opened lazily and shared by everything in one
 * clawops process that talks to nodes (instance commands, provisioning, config push, watch; the
 * Context owns them, one per gateway shard, and closes them), and the NodeInvoker that routes each
 * call to the shard of its instance. Where each gateway is and which token opens it come from the
 * config (`gateway`, `gateways`: see shards.ts).
 */

import type { Config } from '../config/schema.js'
import { readSecretFile } from '../config/secret-file.js'
import { UserError } from '../errors.js'
import type { Logger } from '../log.js'
import { GatewayClient } from './client.js'
import type { ClawnodeCommand } from './node-commands.js'
import { invokeNode, listNodes } from './nodes.js'
import { type GatewayEndpoint, gatewayShards, shardEndpoint } from './shards.js'

export type { GatewayEndpoint }

const NODE_MAP_TTL_MS = 10_000

/** The instance fields an invoker needs to find the node. */
export interface NodeTarget {
  id: string
  nodeId: string | null
  /** The gateway shard the node is on; absent: the invoker looks the instance up in the store. */
  gateway?: string | null
}

/**
 * Runs one gf-clawnode command on an instance's node through the operator's gateway (node.invoke)
 * and returns the node's parsed payload. Failures are UserErrors:
 * - GATEWAY_UNREACHABLE: the gateway itself cannot be reached (never the instance's fault);
 * - NODE_ERROR with details.nodeCode NOT_CONNECTED: the node is offline;
 * - TIMEOUT, or NODE_ERROR with the node's own code in details.nodeCode.
 */
export interface NodeInvoker {
  invoke<T = unknown>(
    target: NodeTarget,
    command: ClawnodeCommand,
    params: Record<string, unknown>,
    timeoutMs: number,
    opts?: InvokeCallOptions,
  ): Promise<T>
}

export interface InvokeCallOptions {
  /**
   * The same key for the same logical action: the node answers a repeated key with its first outcome
   * (also while that first call still runs) instead of running a mutating command twice.
   */
  idempotencyKey?: string
}

/** One lazily opened operator connection to the gateway, shared by invoker, presence and verifier. */
export class GatewayLink {
  private client: Promise<GatewayClient> | null = null
  private nodes = new Map<string, string>()
  private nodesAt = 0

  constructor(
    private readonly endpoint: GatewayEndpoint,
    private readonly logger: Logger,
    private readonly reconnect: boolean,
    private readonly scopes: readonly string[] = ['operator.read', 'operator.write'],
  ) {}

  get(): Promise<GatewayClient> {
    if (!this.endpoint.token) {
      return Promise.reject(
        new UserError('GATEWAY_UNREACHABLE', `no gateway token: ${this.endpoint.tokenSource} is not set`, {
          hint: `Provide the gateway's shared token through ${this.endpoint.tokenSource}.`,
        }),
      )
    }
    this.client ??= GatewayClient.connect({
      url: this.endpoint.url,
      auth: { kind: 'backend', token: this.endpoint.token },
      scopes: this.scopes,
      logger: this.logger,
      reconnect: this.reconnect,
    }).catch((err: unknown) => {
      this.client = null
      throw err
    })
    return this.client
  }

  /** instanceId → nodeId from node.list (clawnode display names); a miss refreshes, at most every 10 s. */
  async nodeIdOf(instanceId: string): Promise<string | undefined> {
    if (!this.nodes.has(instanceId) && Date.now() - this.nodesAt > NODE_MAP_TTL_MS) {
      const list = await listNodes(await this.get())
      this.nodes = new Map(list.filter((n) => n.instanceId).map((n) => [n.instanceId!, n.nodeId]))
      this.nodesAt = Date.now()
    }
    return this.nodes.get(instanceId)
  }

  async close(): Promise<void> {
    const c = this.client
    this.client = null
    if (c) await (await c.catch(() => null))?.close()
  }
}

/**
 * node.invoke through the gateway shard the instance's node is on (`shardOf`); the node is the
 * instance's `node_id`, else found by display name on that shard. A shard that cannot be reached is
 * GATEWAY_UNREACHABLE naming it (`details.gateway`), so a caller can tell which shard failed.
 */
export function shardedInvoker(o: {
  link(shard: string): Promise<GatewayLink>
  shardOf(target: NodeTarget): string
  /** More than one shard: errors name theirs (with one, they read as they always did). */
  named: boolean
}): NodeInvoker {
  return {
    async invoke(target, command, params, timeoutMs, opts) {
      const shard = o.shardOf(target)
      try {
        const link = await o.link(shard)
        const client = await link.get()
        const nodeId = target.nodeId ?? (await link.nodeIdOf(target.id))
        if (!nodeId) {
          const where = o.named ? ` on gateway ${shard}` : ''
          throw new UserError('NODE_ERROR', `no gateway node for instance ${target.id}${where}`, {
            details: {
              instanceId: target.id,
              nodeCode: 'NOT_CONNECTED',
              ...(o.named ? { gateway: shard } : {}),
            },
          })
        }
        return await invokeNode(client, {
          nodeId,
          command,
          params,
          timeoutMs,
          ...(opts?.idempotencyKey ? { idempotencyKey: opts.idempotencyKey } : {}),
        })
      } catch (err) {
        throw o.named && err instanceof UserError && err.code === 'GATEWAY_UNREACHABLE'
          ? onShard(err, shard)
          : err
      }
    },
  }
}

/** A GATEWAY_UNREACHABLE that names its shard. */
export function onShard(err: UserError, shard: string): UserError {
  const details = (err.details ?? {}) as Record<string, unknown>
  if (details.gateway === shard) return err
  return new UserError('GATEWAY_UNREACHABLE', `gateway ${shard}: ${err.message}`, {
    ...(err.hint ? { hint: err.hint } : {}),
    details: { ...details, gateway: shard },
  })
}

/**
 * The operator's gateway: the config's `gateway` section. The token comes from the environment
 * variable it names, else from its token file.
 */
export function gatewayEndpoint(config: Config, env: NodeJS.ProcessEnv): GatewayEndpoint {
  return shardEndpoint(gatewayShards(config)[0]!, env)
}

/** The token of the gateway's hooks endpoint (`clawops watch` delivers events with it). */
export function hooksToken(config: Config, env: NodeJS.ProcessEnv): string | undefined {
  const g = config.gateway
  const name = g?.hooksTokenEnv ?? 'CLAWOPS_HOOKS_TOKEN'
  return env[name] ?? (g?.hooksTokenFile ? readSecretFile(g.hooksTokenFile) : undefined)
}
