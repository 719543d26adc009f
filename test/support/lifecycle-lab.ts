/**
 * A small fleet for lifecycle tests in one process: the lab cloud on loopback (the five provider
 * APIs, instant boots, fast actions) with the real adapters pointed at it, and gf-clawnode's real
 * command code per instance (archive, wipe, the user's gateway as a stand-in process started and
 * stopped by the node's process manager) behind a NodeInvoker. What is left out is the operator's
 * gateway in between, which the integration tests run for real; a node that is "down" answers as
 * the gateway does for a node that is not connected, and a new server's node "joins" once the lab
 * runs a server whose user data names its instance (as cloud-init starts gf-clawnode).
 */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { DEFAULT_CONFIG } from '../../src/lib/config/defaults.js'
import type { Config } from '../../src/lib/config/schema.js'
import { Context, type JoinService } from '../../src/lib/context.js'
import type { Instance, InstanceState, Role } from '../../src/lib/domain/instance.js'
import type { Provider } from '../../src/lib/domain/provider.js'
import { UserError } from '../../src/lib/errors.js'
import type { NodeInvoker, NodeTarget } from '../../src/lib/gateway/link.js'
import type { ClawnodeCommand } from '../../src/lib/gateway/node-commands.js'
import type { LabRequest } from '../../src/lib/lab/cloud/router.js'
import { createProvider, type ProviderOptions } from '../../src/lib/providers/index.js'
import type { ProviderAdapter } from '../../src/lib/providers/types.js'
import { AuditTrail } from '../../src/lib/store/audit-trail.js'
import { openBilling } from '../../src/lib/store/billing.js'
import { Instances } from '../../src/lib/store/instances.js'
import { Pairs } from '../../src/lib/store/pairs.js'
import { CREDS, type LabFixture, startLab } from '../unit/providers/lab-fixture.js'
import {
  nodeConfig,
  STAND_IN_GATEWAY,
  type TestNode,
  tempDir,
  testNode,
  writeJson,
} from './clawnode-fixtures.js'
import { tempHome } from './context.js'
import { freePort } from './gateway-process.js'

const TUNING = {
  pollMs: 10,
  retry: { baseMs: 1, capMs: 5, maxRetries: 3, maxRetryAfterMs: 50 },
  rateLimit: { capacity: 1000, refillPerSec: 1000 },
  createRecoveryDelayMs: 5,
}

export const REGION: Record<Provider, string> = {
  hetzner: 'nbg1',
  vultr: 'ams',
  digitalocean: 'fra1',
  contabo: 'EU',
  hostinger: 'nl-ams',
}

/** gf-clawnode's commands per instance, run in this process; a node can be taken down. */
export class LocalNodes implements NodeInvoker {
  readonly calls: { instanceId: string; command: string }[] = []
  private readonly nodes = new Map<string, { node: TestNode; userDir: string; cleanup(): void }>()
  private readonly down = new Set<string>()

  /** A node for the instance with a running user gateway and some user state. */
  async add(instanceId: string): Promise<string> {
    const tmp = tempDir('lifecycle-node-')
    const userDir = join(tmp.dir, 'user')
    mkdirSync(join(userDir, 'memory'), { recursive: true })
    const port = await freePort()
    const config = nodeConfig(tmp.dir, {
      instanceId,
      service: {
        kind: 'process',
        argv: [process.execPath, STAND_IN_GATEWAY(), '--port', String(port)],
        env: { OPENCLAW_CONFIG_PATH: join(userDir, 'openclaw.json') },
        stopTimeoutMs: 2_000,
      },
      userGateway: {
        url: `http://127.0.0.1:${port}`,
        configPath: join(userDir, 'openclaw.json'),
        healthTimeoutMs: 1_000,
      },
    })
    writeJson(config.userGateway.configPath, { gateway: { mode: 'local' } })
    writeJson(join(userDir, 'memory', 'notes.json'), { remember: `the milk of ${instanceId}` })
    const node = testNode(config)
    await node.call('openclaw.start', {})
    this.nodes.set(instanceId, { node, userDir, cleanup: tmp.cleanup })
    return `node-${instanceId}`
  }

  has(instanceId: string): boolean {
    return this.nodes.has(instanceId)
  }

  setDown(instanceId: string, down = true): void {
    if (down) this.down.add(instanceId)
    else this.down.delete(instanceId)
  }

  userFiles(instanceId: string): string[] {
    return readdirSync(this.nodes.get(instanceId)!.userDir)
  }

  async live(instanceId: string): Promise<boolean> {
    const r = await this.nodes.get(instanceId)!.node.call<{ live: boolean }>('openclaw.health')
    return r.live
  }

  commandsFor(instanceId: string): string[] {
    return this.calls.filter((c) => c.instanceId === instanceId).map((c) => c.command)
  }

  async invoke<T>(
    target: NodeTarget,
    command: ClawnodeCommand,
    params: Record<string, unknown>,
    timeoutMs?: number,
  ): Promise<T> {
    this.calls.push({ instanceId: target.id, command })
    const n = this.nodes.get(target.id)
    if (!n || this.down.has(target.id)) {
      // What the gateway answers for a node that is not connected (gateway/nodes.ts invokeError).
      throw new UserError(
        'NODE_ERROR',
        `node ${target.nodeId ?? target.id} is not connected to the gateway`,
        {
          details: { nodeId: target.nodeId, command, nodeCode: 'NOT_CONNECTED' },
        },
      )
    }
    const out = await n.node.invoke(command, params, timeoutMs)
    if (!out.ok) {
      throw new UserError('NODE_ERROR', out.error.message, {
        details: { nodeId: target.nodeId, command, nodeCode: out.error.code },
      })
    }
    return JSON.parse(out.payloadJSON) as T
  }

  async close(): Promise<void> {
    for (const n of this.nodes.values()) {
      await n.node.ctx.services.close()
      n.cleanup()
    }
    this.nodes.clear()
  }
}

export interface MemberSpec {
  provider: Provider
  state?: InstanceState
  /** A node answers for it (default true). */
  node?: boolean
  /** A server exists for it (default true). */
  server?: boolean
  tier?: Instance['tier']
}

export interface LifecycleLab {
  fx: LabFixture
  home: string
  nodes: LocalNodes
  adapters: Record<Provider, ProviderAdapter>
  /** Provider requests in order, each with the number of audit entries written before it. */
  requests: (LabRequest & { provider: Provider; auditBefore: number })[]
  /** A context on the lab's home; `gateways` adds gateway shards to its config. */
  ctx(actor?: string, gateways?: Config['gateways']): Context
  addPair(
    primary: MemberSpec,
    standby: MemberSpec,
  ): Promise<{ pairId: string; userId: string; primary: Instance; standby: Instance }>
  stop(): Promise<void>
}

let seq = 0

export async function lifecycleLab(): Promise<LifecycleLab> {
  const home = tempHome()
  const requests: LifecycleLab['requests'] = []
  let auditCount = () => 0
  const fx = await startLab({
    onRequest: (provider, r) => requests.push({ ...r, provider, auditBefore: auditCount() }),
  })
  const e = fx.lab.endpoints
  const opts: Record<Provider, ProviderOptions> = {
    hetzner: { provider: 'hetzner', token: CREDS.hetzner.token, baseUrl: e.hetzner.baseUrl, ...TUNING },
    vultr: { provider: 'vultr', apiKey: CREDS.vultr.apiKey, baseUrl: e.vultr.baseUrl, ...TUNING },
    digitalocean: {
      provider: 'digitalocean',
      token: CREDS.digitalocean.token,
      baseUrl: e.digitalocean.baseUrl,
      ...TUNING,
    },
    contabo: {
      provider: 'contabo',
      ...CREDS.contabo,
      baseUrl: e.contabo.baseUrl,
      authUrl: e.contabo.authUrl,
      ...TUNING,
    },
    hostinger: {
      provider: 'hostinger',
      token: CREDS.hostinger.token,
      baseUrl: e.hostinger.baseUrl,
      ...TUNING,
    },
  }
  const adapters = Object.fromEntries(Object.entries(opts).map(([p, o]) => [p, createProvider(o)])) as Record<
    Provider,
    ProviderAdapter
  >
  const nodes = new LocalNodes()
  const contexts: Context[] = []
  // The operator's gateway in joins: a bootstrap token for the user data, and a node that "joins"
  // once a lab server whose user data names the instance is running (as cloud-init starts it).
  const joins: JoinService = {
    client: {
      request: async () => ({
        setupCode: Buffer.from(JSON.stringify({ bootstrapToken: `lab-bootstrap-${++seq}` })).toString(
          'base64url',
        ),
      }),
    } as unknown as JoinService['client'],
    async waitForNode(instanceId, timeoutMs) {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        const booted = fx.lab
          .servers()
          .some((s) => s.power === 'running' && (s.userData ?? '').includes(instanceId))
        // A node the lab already runs (an instance resized in place) is back once the resize is.
        if (nodes.has(instanceId)) return `node-${instanceId}`
        if (booted) return nodes.add(instanceId)
        if (Date.now() > deadline)
          throw new UserError('TIMEOUT', `node of ${instanceId} did not join within ${timeoutMs} ms`)
        await new Promise((r) => setTimeout(r, 20))
      }
    },
  }
  // The operator's gateway token, in a file as agents read it: plans check it is there (the nodes
  // are reached without it here).
  const tokenFile = join(home, 'gateway.token')
  writeFileSync(tokenFile, 'lab-gateway-token\n', { mode: 0o600 })
  const config = { ...structuredClone(DEFAULT_CONFIG), gateway: { ...DEFAULT_CONFIG.gateway!, tokenFile } }
  const ctx = (actor = 'operator', gateways?: Config['gateways']) => {
    const c = new Context({
      home,
      actor,
      env: {},
      config: gateways ? { ...config, gateways } : config,
      services: { nodes, provider: (p) => adapters[p], joins },
    })
    contexts.push(c)
    return c
  }
  const audit = ctx()
  auditCount = () => audit.store().repo(AuditTrail).query({ limit: 1 })[0]?.seq ?? 0

  const member = async (
    c: Context,
    pairId: string,
    userId: string,
    role: Role,
    s: MemberSpec,
  ): Promise<Instance> => {
    const id = `i-${(++seq).toString(36).padStart(4, '0')}${Math.random().toString(36).slice(2, 7)}`
    let providerId: string | null = null
    if (s.server !== false) {
      const a = adapters[s.provider]
      const r = await a.create({
        name: `claw-lc-${id}`.replace(/[^a-z0-9-]/g, '-').concat(`-${role}`),
        plan: a.planFor(s.tier ?? 'standard'),
        region: REGION[s.provider],
        ...(a.capabilities.labels === 'none' ? {} : { labels: { 'clawops/instance': id } }),
      })
      await a.waitFor(r.pending, { timeoutMs: 5000 })
      providerId = r.server.id
    }
    const nodeId = s.node === false || s.server === false ? null : await nodes.add(id)
    const now = c.now()
    return {
      id,
      pairId,
      userId,
      provider: s.provider,
      region: REGION[s.provider],
      tier: s.tier ?? 'standard',
      role,
      state: s.state ?? 'ACTIVE',
      providerId,
      ip: null,
      tailscaleName: null,
      nodeId,
      labels: {},
      healthScore: 100,
      lastHeartbeatAt: now,
      createdAt: now,
      updatedAt: now,
    }
  }

  return {
    fx,
    home,
    nodes,
    adapters,
    requests,
    ctx,
    async addPair(primary, standby) {
      const c = ctx()
      const pairId = `p-${(++seq).toString(36).padStart(4, '0')}${Math.random().toString(36).slice(2, 7)}`
      const userId = `u-${pairId.slice(2)}`
      const p = await member(c, pairId, userId, 'primary', primary)
      const s = await member(c, pairId, userId, 'standby', standby)
      const store = c.store()
      store.tx(() => {
        store.repo(Pairs).insert({ id: pairId, userId, labels: {}, createdAt: c.now(), updatedAt: c.now() })
        store.repo(Instances).insertMany([p, s])
        openBilling(store, p, c.now())
        openBilling(store, s, c.now())
      })
      return { pairId, userId, primary: p, standby: s }
    },
    async stop() {
      for (const c of contexts) await c.dispose()
      await nodes.close()
      await fx.stop()
    },
  }
}
