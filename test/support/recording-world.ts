/**
 * A fleet whose every outside call is recorded with the audit trail's head at that moment, for tests
 * that prove an audit entry announces each effect before it happens:
 * - provider calls go to the real adapters against the lab cloud in this process (each method of
 *   `services.provider` recorded);
 * - node commands go to FakeNodes (probes, the OpenClaw service) and FakeConfigFleet (the real
 *   gf-clawnode config commands on temp files); archive, restore and exec answer in the shapes of
 *   clawnode/commands;
 * - gateway RPCs (pairing, config, approvals, cron) go to a client that records and answers in the
 *   shapes the code parses, handed out by the Context's gateway link and join approver.
 */
import { createHash } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Context, ContextOptions } from '../../src/lib/context.js'
import type { Provider } from '../../src/lib/domain/provider.js'
import { PROVIDERS } from '../../src/lib/domain/provider.js'
import type { GatewayClient } from '../../src/lib/gateway/client.js'
import type { InvokeCallOptions, NodeInvoker, NodeTarget } from '../../src/lib/gateway/link.js'
import type { ClawnodeCommand } from '../../src/lib/gateway/node-commands.js'
import { createProvider } from '../../src/lib/providers/index.js'
import type { ProviderAdapter } from '../../src/lib/providers/types.js'
import { AuditTrail } from '../../src/lib/store/audit-trail.js'
import { CREDS, type LabFixture, startLab, TUNING } from '../unit/providers/lab-fixture.js'
import { FakeConfigFleet } from './config-push-fleet.js'
import { testContext } from './context.js'
import { FakeNodes } from './watch-fakes.js'

export interface RecordedCall {
  kind: 'provider' | 'node' | 'gateway' | 'storage'
  /** provider: the method; node: the command; gateway: the RPC method; storage: the HTTP method. */
  name: string
  provider?: Provider
  /** The instance a node command ran on; the object key of a storage request. */
  target?: string
  args: unknown[]
  /** The audit trail's last seq when the call was made. */
  head: number
}

/** The versions the world's release location offers; every instance runs the first ones. */
export const RELEASES = { openclaw: ['2026.9.6', '2026.9.6-1'], clawnode: ['0.1.0', '0.1.1'] } as const

/** Provider methods that change a server. */
export const PROVIDER_EFFECTS = ['create', 'delete', 'resize', 'reboot', 'powerOn', 'powerOff'] as const

/** Node commands that change an instance (the others read). */
export const NODE_EFFECTS: readonly ClawnodeCommand[] = [
  'vps.reboot',
  'openclaw.restart',
  'openclaw.stop',
  'openclaw.start',
  'openclaw.update',
  'openclaw.rollback',
  'openclaw.restore',
  'clawnode.update',
  'clawnode.rejoin',
  'config.push',
  'config.rollback',
  'docker.restart',
  'docker.pull',
  'exec.run',
]

/** Gateway RPCs that change what the gateway trusts, runs or is configured with. */
export const GATEWAY_EFFECTS = [
  'config.patch',
  'config.apply',
  'exec.approvals.set',
  'cron.add',
  'cron.remove',
  'cron.update',
  'device.pair.approve',
  'device.pair.reject',
  'device.pair.remove',
  'device.pair.setupCode',
  'node.pair.approve',
  'node.pair.reject',
] as const

export function isEffect(c: RecordedCall): boolean {
  // Storing an archive copies a user's state; deleting one loses it.
  if (c.kind === 'storage') return c.name === 'DELETE'
  if (c.kind === 'provider') return (PROVIDER_EFFECTS as readonly string[]).includes(c.name)
  if (c.kind === 'node') return (NODE_EFFECTS as readonly string[]).includes(c.name)
  return (GATEWAY_EFFECTS as readonly string[]).includes(c.name)
}

/** A gateway client that records each request and answers in the shapes the callers parse. */
export class RecordingGateway {
  readonly url = 'ws://recorded-gateway.invalid'
  config: Record<string, unknown> = {}
  /** Answers a test sets for a method, in place of the defaults below. */
  readonly answers = new Map<string, (params: unknown) => unknown>()
  private hash = 1

  constructor(private readonly world: RecordingWorld) {}

  async request<T = unknown>(method: string, params: unknown = {}): Promise<T> {
    this.world.record({ kind: 'gateway', name: method, args: [params] })
    const given = this.answers.get(method)
    if (given) return given(params) as T
    const answer = (): unknown => {
      switch (method) {
        case 'config.get':
          return { path: '/recorded/openclaw.json', hash: `h${this.hash}`, sourceConfig: this.config }
        case 'config.patch':
          this.hash++
          return { ok: true }
        case 'exec.approvals.get':
          return { hash: `a${this.hash}`, file: { version: 1, agents: {} } }
        case 'exec.approvals.set':
          return { ok: true }
        case 'cron.list':
          return { jobs: [] }
        case 'cron.add':
          return { id: `cron-${Math.random().toString(36).slice(2, 8)}` }
        case 'cron.remove':
          return { ok: true }
        case 'skills.status':
          return { skills: [] }
        case 'device.pair.setupCode':
          return {
            setupId: 'setup-1',
            setupCode: Buffer.from(JSON.stringify({ bootstrapToken: 'bt-recorded' })).toString('base64url'),
          }
        case 'device.pair.list':
          return { pending: [], paired: [] }
        case 'node.pair.list':
          return { pending: [], paired: [] }
        case 'node.list':
          return { nodes: [] }
        default:
          return { ok: true }
      }
    }
    return answer() as T
  }

  async close(): Promise<void> {}
}

/** Node commands: probes and the service from FakeNodes, config from real clawnode code, the rest here. */
class RecordingNodes implements NodeInvoker {
  /** What each instance runs after the upgrades a scenario made. */
  readonly versions = new Map<string, { openclaw: string; clawnode: string }>()

  constructor(
    private readonly world: RecordingWorld,
    readonly probes: FakeNodes,
    readonly configs: FakeConfigFleet,
  ) {}

  async invoke<T>(
    target: NodeTarget,
    command: ClawnodeCommand,
    params: Record<string, unknown>,
    timeoutMs: number,
    opts?: InvokeCallOptions,
  ): Promise<T> {
    this.world.record({ kind: 'node', name: command, target: target.id, args: [params] })
    if (command.startsWith('config.')) return this.configs.invoke<T>(target, command, params, timeoutMs, opts)
    switch (command) {
      case 'openclaw.archive': {
        const chunk = Buffer.from(`state of ${target.id}`)
        return {
          archiveId: `arc-${target.id}`,
          size: chunk.length,
          sha256: createHash('sha256').update(chunk).digest('hex'),
          offset: 0,
          chunk: chunk.toString('base64'),
          done: true,
        } as T
      }
      case 'openclaw.restore':
        return { done: params.done === true, healthy: true } as T
      case 'exec.run':
        return { exitCode: 0, stdout: 'up 3 days', stderr: '', ms: 4, truncated: false } as T
      // Upgrades, in the shapes of clawnode/openclaw-upgrade.ts and clawnode/self-update.ts.
      case 'openclaw.version': {
        const v = this.versions.get(target.id) ?? {
          openclaw: RELEASES.openclaw[0]!,
          clawnode: RELEASES.clawnode[0]!,
        }
        return {
          openclaw: { version: v.openclaw },
          clawnode: { version: v.clawnode, pending: null, last: null, rolledBack: null },
        } as T
      }
      case 'openclaw.update':
      case 'openclaw.rollback': {
        const v = this.versions.get(target.id) ?? {
          openclaw: RELEASES.openclaw[0]!,
          clawnode: RELEASES.clawnode[0]!,
        }
        const to = command === 'openclaw.update' ? String(params.version) : RELEASES.openclaw[0]!
        this.versions.set(target.id, { ...v, openclaw: to })
        return {
          outcome: command === 'openclaw.update' ? 'upgraded' : 'reverted',
          reason: null,
          detail: `${v.openclaw} → ${to}`,
          from: v.openclaw,
          to,
          version: to,
          healthy: true,
          state: command === 'openclaw.update' ? null : { intact: true, keptAside: '/state.aside' },
          ms: 5,
        } as T
      }
      case 'clawnode.update': {
        const v = this.versions.get(target.id) ?? {
          openclaw: RELEASES.openclaw[0]!,
          clawnode: RELEASES.clawnode[0]!,
        }
        const to = String(params.version)
        this.versions.set(target.id, { ...v, clawnode: to })
        return {
          key: params.key,
          outcome: 'upgraded',
          reason: null,
          detail: 'swapped',
          from: v.clawnode,
          to,
          version: to,
        } as T
      }
      case 'clawnode.rejoin':
        return { from: 'ws://recorded-gateway.invalid', to: params.url, restarting: true } as T
      default:
        return this.probes.invoke<T>(target, command, params)
    }
  }
}

export class RecordingWorld {
  readonly calls: RecordedCall[] = []
  readonly gateway = new RecordingGateway(this)
  readonly probes = new FakeNodes()
  readonly configs: FakeConfigFleet
  readonly nodes: RecordingNodes
  /** Adapters that are not recorded, for setting up servers before a scenario. */
  readonly raw = new Map<Provider, ProviderAdapter>()
  private readonly recorded = new Map<Provider, ProviderAdapter>()
  private headOf: () => number = () => 0
  /** An S3-compatible endpoint for archives: answers every request and records it. */
  private readonly s3: Server
  /** The operator's release location: an index of RELEASES (nodes here never fetch the files). */
  private readonly releases: Server

  private constructor(
    readonly lab: LabFixture,
    configDir: string,
  ) {
    this.configs = new FakeConfigFleet(configDir)
    this.s3 = createServer((req, res) => {
      const key = decodeURIComponent(
        new URL(req.url ?? '/', 'http://x').pathname.split('/').slice(2).join('/'),
      )
      this.record({ kind: 'storage', name: req.method ?? 'GET', target: key, args: [] })
      req.resume()
      res.writeHead(req.method === 'DELETE' ? 204 : 200)
      res.end()
    })
    this.releases = createServer((req, res) => {
      if (req.url !== '/index.json') return res.writeHead(404).end()
      const entry = (dir: string) => (version: string) => ({
        version,
        path: `${dir}/${dir}-${version}.tgz`,
        sha256: createHash('sha256').update(`${dir} ${version}`).digest('hex'),
        size: 1000,
      })
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(
        JSON.stringify({
          openclaw: RELEASES.openclaw.map(entry('openclaw')),
          'gf-clawnode': RELEASES.clawnode.map(entry('gf-clawnode')),
        }),
      )
    })
    this.nodes = new RecordingNodes(this, this.probes, this.configs)
    for (const p of PROVIDERS) {
      const e = lab.lab.endpoints[p] as { baseUrl: string; authUrl?: string }
      const options = {
        provider: p,
        ...CREDS[p],
        baseUrl: e.baseUrl,
        ...(e.authUrl ? { authUrl: e.authUrl } : {}),
        ...TUNING,
      }
      this.raw.set(p, createProvider(options as never))
      this.recorded.set(p, this.recording(createProvider(options as never)))
    }
  }

  static async start(configDir: string): Promise<RecordingWorld> {
    const world = new RecordingWorld(await startLab(), configDir)
    await new Promise<void>((r) => world.s3.listen(0, '127.0.0.1', () => r()))
    await new Promise<void>((r) => world.releases.listen(0, '127.0.0.1', () => r()))
    return world
  }

  /** The config's `archive` section for this world's S3 stand-in (its keys are in `s3Env`). */
  get archiveConfig() {
    return {
      s3: {
        endpoint: `http://127.0.0.1:${(this.s3.address() as AddressInfo).port}`,
        bucket: 'claw-archives',
        region: 'eu-central-1',
        prefix: 'a/',
        accessKeyIdEnv: 'S3_KEY',
        secretAccessKeyEnv: 'S3_SECRET',
      },
    }
  }

  /** The config's `upgrades` section for this world's release location. */
  get upgradesConfig() {
    return { releasesUrl: `http://127.0.0.1:${(this.releases.address() as AddressInfo).port}` }
  }

  readonly s3Env = { S3_KEY: 'AKIDEXAMPLE', S3_SECRET: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' }

  record(c: Omit<RecordedCall, 'head'>): void {
    this.calls.push({ ...c, head: this.headOf() })
  }

  private recording(adapter: ProviderAdapter): ProviderAdapter {
    return new Proxy(adapter, {
      get: (t, prop, receiver) => {
        const v = Reflect.get(t, prop, receiver)
        if (typeof v !== 'function' || typeof prop !== 'string') return v
        return (...args: unknown[]) => {
          this.record({ kind: 'provider', name: prop, provider: t.provider, args })
          return v.apply(t, args)
        }
      },
    })
  }

  /**
   * A Context on `home` whose outside parts are this world's. The audit head is read from the
   * Context's own store, so a call is stamped with what the trail held when it was made.
   */
  context(o: ContextOptions & { home: string }): Context {
    const ctx = testContext({
      ...o,
      env: { OPENCLAW_GATEWAY_TOKEN: 'recorded-gateway-token', ...this.s3Env, ...o.env },
      services: {
        provider: (p) => this.recorded.get(p)!,
        nodes: this.nodes,
        sleep: async () => {},
        ...o.services,
      },
    })
    const client = this.gateway as unknown as GatewayClient
    // The Context opens these on a real gateway; here they hand out the recording client.
    ctx.gateway = async () => ({ get: async () => client, close: async () => {} }) as never
    ctx.joins = async () =>
      ({
        client,
        waitForNode: async (instanceId: string) => `node-${instanceId}`,
        stop: async () => {},
      }) as never
    this.headOf = () => ctx.store().repo(AuditTrail).query({ limit: 1 }).at(-1)?.seq ?? 0
    return ctx
  }

  async stop(): Promise<void> {
    this.s3.closeAllConnections()
    await new Promise<void>((r) => this.s3.close(() => r()))
    this.releases.closeAllConnections()
    await new Promise<void>((r) => this.releases.close(() => r()))
    await this.lab.stop()
  }
}
