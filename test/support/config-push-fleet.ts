/**
 * A fleet for config-push tests without a gateway: every instance has a real gf-clawnode command
 * registry (clawnode/commands, the real config.get|push|rollback on its own openclaw.json in a temp
 * dir), reached through a NodeInvoker that behaves like the gateway path: node errors mapped by
 * src/lib/gateway/nodes.ts, the node's idempotency-key replay (clawnode/connection.ts), a gateway
 * that can go down, nodes that can disconnect, and gateway health that tests set per instance.
 */
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { InvokeOutcome } from '../../clawnode/commands/registry.js'
import type { Context, Services } from '../../src/lib/context.js'
import type { Instance, Role } from '../../src/lib/domain/instance.js'
import { UserError } from '../../src/lib/errors.js'
import { GatewayRpcError } from '../../src/lib/gateway/client.js'
import type { InvokeCallOptions, NodeInvoker, NodeTarget } from '../../src/lib/gateway/link.js'
import type { ClawnodeCommand } from '../../src/lib/gateway/node-commands.js'
import { invokeError } from '../../src/lib/gateway/nodes.js'
import { Instances } from '../../src/lib/store/instances.js'
import { Pairs } from '../../src/lib/store/pairs.js'
import { nodeConfig, type TestNode, testNode } from './clawnode-fixtures.js'

export interface FleetNode {
  instanceId: string
  node: TestNode
  path: string
  healthy: boolean
  connected: boolean
}

export interface Call {
  instanceId: string
  command: string
  params: Record<string, unknown>
  key: string | undefined
}

/** A user gateway config with a secret in it, as a provisioned instance has. */
export function userConfig(i: number): Record<string, unknown> {
  return {
    gateway: {
      mode: 'local',
      port: 18789,
      bind: 'loopback',
      auth: { mode: 'token', token: `tok-secret-${i}-xyz` },
    },
    agents: {
      defaults: { model: { primary: 'openai/gpt-5.2', fallbacks: ['anthropic/claude-sonnet-4-6'] } },
    },
    models: { providers: { openai: { apiKey: `sk-live-${i}-abcdef` } } },
  }
}

export class FakeConfigFleet implements NodeInvoker {
  readonly nodes = new Map<string, FleetNode>()
  readonly calls: Call[] = []
  gatewayDown = false
  /** Runs before every command reaches a node; may throw (a crash) or flip state. */
  before: ((c: Call) => void | Promise<void>) | null = null
  private readonly replay = new Map<string, Promise<InvokeOutcome>>()

  constructor(readonly dir: string) {}

  add(instanceId: string, content: string | Record<string, unknown>): FleetNode {
    const dir = join(this.dir, instanceId)
    mkdirSync(dir, { recursive: true })
    const path = join(dir, 'openclaw.json')
    writeFileSync(path, typeof content === 'string' ? content : `${JSON.stringify(content, null, 2)}\n`)
    const node = testNode(
      nodeConfig(dir, { instanceId, userGateway: { url: 'http://127.0.0.1:9', configPath: path } }),
    )
    const n = { instanceId, node, path, healthy: true, connected: true }
    this.nodes.set(instanceId, n)
    return n
  }

  file(instanceId: string): string {
    return readFileSync(this.nodes.get(instanceId)!.path, 'utf8')
  }

  previous(instanceId: string): string {
    return readFileSync(`${this.nodes.get(instanceId)!.path}.clawnode-prev`, 'utf8')
  }

  /** The file's inode: a swap (a write) replaces it, anything else keeps it. */
  inode(instanceId: string): number {
    return statSync(this.nodes.get(instanceId)!.path).ino
  }

  count(command: string, instanceId?: string): number {
    return this.calls.filter((c) => c.command === command && (!instanceId || c.instanceId === instanceId))
      .length
  }

  async invoke<T>(
    target: NodeTarget,
    command: ClawnodeCommand,
    params: Record<string, unknown>,
    _timeoutMs: number,
    opts?: InvokeCallOptions,
  ): Promise<T> {
    const call: Call = { instanceId: target.id, command, params, key: opts?.idempotencyKey }
    this.calls.push(call)
    await this.before?.(call)
    if (this.gatewayDown) throw new UserError('GATEWAY_UNREACHABLE', 'gateway down (test)')
    const n = this.nodes.get(target.id)
    if (!n?.connected) {
      throw invokeError(
        new GatewayRpcError('node.invoke', 'UNAVAILABLE', 'node not connected', { code: 'NOT_CONNECTED' }),
        { nodeId: target.id, command },
      )
    }
    if (command === 'openclaw.health') return { healthy: n.healthy, live: n.healthy, ready: n.healthy } as T
    const key = opts?.idempotencyKey ? `${target.id}\n${command}\n${opts.idempotencyKey}` : undefined
    let outcome = key ? this.replay.get(key) : undefined
    if (!outcome) {
      outcome = n.node.invoke(command, params)
      if (key) this.replay.set(key, outcome)
    }
    const o = await outcome
    if (o.ok) return JSON.parse(o.payloadJSON) as T
    throw invokeError(
      new GatewayRpcError('node.invoke', 'UNAVAILABLE', o.error.message, { nodeError: o.error }),
      {
        nodeId: target.id,
        command,
      },
    )
  }

  /** Forgets the replay memory, as a restarted node would. */
  forgetKeys(): void {
    this.replay.clear()
  }

  /** The parts a test Context takes from this fleet: its nodes, and pauses that do not wait. */
  services(): Partial<Services> {
    return { nodes: this, sleep: async () => {} }
  }
}

/** `pairs` ACTIVE pairs (primary + standby) in the store, with a node per instance in `fleet`. */
export function seedPairs(
  ctx: Context,
  fleet: FakeConfigFleet,
  pairs: number,
  content: (instanceId: string, i: number) => string | Record<string, unknown> = (_id, i) => userConfig(i),
): Instance[] {
  const now = ctx.now()
  const all: Instance[] = []
  const store = ctx.store()
  store.tx(() => {
    for (let p = 0; p < pairs; p++) {
      const pairId = `p-${String(p).padStart(4, '0')}`
      const userId = `u-${String(p).padStart(4, '0')}`
      store.repo(Pairs).insert({ id: pairId, userId, labels: {}, createdAt: now, updatedAt: now })
      for (const role of ['primary', 'standby'] as Role[]) {
        const id = `i-${String(p).padStart(4, '0')}${role === 'primary' ? 'p' : 's'}`
        all.push({
          id,
          pairId,
          userId,
          provider: role === 'primary' ? 'hetzner' : 'vultr',
          region: role === 'primary' ? 'nbg1' : 'fra',
          tier: 'standard',
          role,
          state: 'ACTIVE',
          providerId: null,
          ip: null,
          tailscaleName: null,
          nodeId: `node-${id}`,
          labels: { cohort: p % 2 ? 'ga' : 'beta' },
          healthScore: 100,
          lastHeartbeatAt: now,
          createdAt: now,
          updatedAt: now,
        })
      }
    }
    store.repo(Instances).insertMany(all)
  })
  for (const [i, inst] of all.entries()) fleet.add(inst.id, content(inst.id, i))
  return all
}
