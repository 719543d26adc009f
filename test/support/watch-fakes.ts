/**
 * In-process fakes for health, heal, failover and watch, following the documented wire shapes:
 * - FakeNodes: gf-clawnode behind the gateway's node.invoke (payloads as clawnode/commands/vps.ts and
 *   openclaw.ts return them; errors as src/lib/gateway/nodes.ts maps them).
 * - FakeHooksGateway: a real HTTP server that answers POST /hooks/agent as the OpenClaw gateway does
 *   (reference §3 and the hooks docs: Bearer or x-openclaw-token, 401/400/404/405, session-key prefixes,
 *   allowed agent ids, Idempotency-Key replay that a restart clears).
 */
import { randomUUID } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Context, Services } from '../../src/lib/context.js'
import type { Instance, InstanceState, Role } from '../../src/lib/domain/instance.js'
import { UserError } from '../../src/lib/errors.js'
import type { NodeInvoker, NodeTarget } from '../../src/lib/gateway/link.js'
import type { ClawnodeCommand } from '../../src/lib/gateway/node-commands.js'
import type { ProviderStatus, ProviderStatusSource } from '../../src/lib/providers/status-page.js'
import { Instances } from '../../src/lib/store/instances.js'
import { Pairs } from '../../src/lib/store/pairs.js'
import type {
  CostSource,
  DeliveryVerifier,
  ProviderScoreSource,
  WatchDeps,
} from '../../src/lib/watch/ports.js'

export interface NodeBehaviour {
  /** The node is connected to the gateway. */
  node: 'up' | 'down'
  /** The user's OpenClaw gateway on the host. */
  openclaw: 'up' | 'down' | 'not-ready'
  /** openclaw.restart / openclaw.start bring OpenClaw up. */
  restartFixes: boolean
  diskPct: number
  cpuBusyPct: number
  /** Milliseconds every command takes. */
  latencyMs: number
}

const DEFAULT: NodeBehaviour = {
  node: 'up',
  openclaw: 'up',
  restartFixes: true,
  diskPct: 40,
  cpuBusyPct: 10,
  latencyMs: 0,
}

export class FakeNodes implements NodeInvoker {
  readonly calls: { instanceId: string; command: string; params: unknown }[] = []
  private readonly behaviour = new Map<string, NodeBehaviour>()
  gatewayDown = false
  inFlight = 0
  maxInFlight = 0
  count = 0

  /**
   * `record: false` keeps no call log (the benchmark makes hundreds of thousands of calls);
   * `defaults` applies to every instance not set one by one.
   */
  constructor(private readonly o: { record?: boolean; defaults?: Partial<NodeBehaviour> } = {}) {}

  set(instanceId: string, b: Partial<NodeBehaviour>): void {
    this.behaviour.set(instanceId, { ...this.get(instanceId), ...b })
  }

  get(instanceId: string): NodeBehaviour {
    return this.behaviour.get(instanceId) ?? { ...DEFAULT, ...this.o.defaults }
  }

  commandsFor(instanceId: string): string[] {
    return this.calls.filter((c) => c.instanceId === instanceId).map((c) => c.command)
  }

  async invoke<T>(target: NodeTarget, command: ClawnodeCommand, params: Record<string, unknown>): Promise<T> {
    this.count++
    if (this.o.record !== false) this.calls.push({ instanceId: target.id, command, params })
    if (this.gatewayDown)
      throw new UserError('GATEWAY_UNREACHABLE', 'cannot reach the gateway at ws://127.0.0.1:1')
    const b = this.get(target.id)
    this.inFlight++
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight)
    try {
      if (b.latencyMs) await new Promise((r) => setTimeout(r, b.latencyMs))
      if (b.node === 'down') {
        throw new UserError('NODE_ERROR', `node of ${target.id} is not connected to the gateway`, {
          details: { nodeId: target.nodeId, command, nodeCode: 'NOT_CONNECTED' },
        })
      }
      return this.answer(target.id, command, b, params) as T
    } finally {
      this.inFlight--
    }
  }

  private answer(id: string, command: string, b: NodeBehaviour, params: Record<string, unknown>): unknown {
    const live = b.openclaw !== 'down'
    const ready = b.openclaw === 'up'
    switch (command) {
      case 'vps.health':
        return {
          instanceId: id,
          status: b.diskPct >= 90 ? 'degraded' : 'ok',
          problems: b.diskPct >= 90 ? [`disk / at ${b.diskPct}%`] : [],
          hostname: id,
          uptimeSec: 1000,
          load: [0.1, 0.1, 0.1],
          cpuCount: 2,
          memory: { totalBytes: 4e9, availableBytes: 2e9, usedPct: 50 },
          disk: { totalBytes: 8e10, availableBytes: 4e10, usedPct: b.diskPct },
          nodeUptimeSec: 900,
          ts: new Date().toISOString(),
        }
      case 'vps.metrics':
        return {
          instanceId: id,
          sampleMs: 250,
          cpu: { busyPct: b.cpuBusyPct, count: 2, load: [0.1, 0.1, 0.1] },
          memory: { totalBytes: 4e9, availableBytes: 2e9, usedPct: 50 },
          disks: [],
          network: [],
          process: { rssBytes: 5e7, uptimeSec: 900 },
          ts: new Date().toISOString(),
        }
      case 'openclaw.health':
        return {
          instanceId: id,
          healthy: live && ready,
          live,
          ready,
          healthz: { ok: live, status: live ? 200 : null, ms: 3 },
          readyz: { ok: ready, status: ready ? 200 : live ? 503 : null, ms: 3 },
          service: { kind: 'compose', state: live ? 'running' : 'exited' },
        }
      case 'openclaw.restart':
      case 'openclaw.start': {
        if (b.restartFixes) this.set(id, { openclaw: 'up' })
        const waited = params.wait === false ? {} : { healthy: b.restartFixes, waitedMs: 5 }
        return { action: command.split('.')[1], service: 'compose', ms: 5, ...waited }
      }
      case 'openclaw.stop':
        this.set(id, { openclaw: 'down' })
        return { action: 'stop', service: 'compose', ms: 5 }
      default:
        throw new UserError('INVALID_INPUT', `fake node does not know ${command}`, {
          details: { nodeCode: 'UNKNOWN_COMMAND' },
        })
    }
  }
}

export function statusPage(provider: string, over: Partial<ProviderStatus> = {}): ProviderStatus {
  return {
    provider,
    checkedAt: new Date().toISOString(),
    url: `http://status.test/${provider}`,
    reachable: true,
    indicator: 'none',
    description: 'All Systems Operational',
    regions: {},
    incidents: [],
    ...over,
  }
}

/** Status pages set per provider by the test; checked-at is always "now" of the given clock. */
export class FakeStatus implements ProviderStatusSource {
  readonly fetched: string[] = []
  private readonly pages = new Map<string, Partial<ProviderStatus>>()
  constructor(private readonly clock: () => Date = () => new Date()) {}
  set(provider: string, over: Partial<ProviderStatus>): void {
    this.pages.set(provider, over)
  }
  async fetch(provider: string): Promise<ProviderStatus> {
    this.fetched.push(provider)
    return statusPage(provider, { ...this.pages.get(provider), checkedAt: this.clock().toISOString() })
  }
}

export interface DispatchedRun {
  runId: string
  idempotencyKey: string | null
  agentId: string
  sessionKey: string
  sessionMode: string
  message: string
  deliver: unknown
}

export interface FakeHooksOptions {
  token: string
  allowedAgentIds?: string[]
  allowedSessionKeyPrefixes?: string[]
}

export class FakeHooksGateway {
  readonly runs: DispatchedRun[] = []
  readonly requests: { status: number; idempotencyKey: string | null }[] = []
  /** Persistent sessions: `agent:<agentId>:<sessionKey>` → messages, as the transcript would hold them. */
  readonly sessions = new Map<string, string[]>()
  private replay = new Map<string, string>()
  private failures: { status: number; body: string; afterDispatch: boolean }[] = []
  private holds: ((release: () => void) => void)[] = []
  private server!: Server
  url = ''

  constructor(private readonly o: FakeHooksOptions) {}

  async start(port = 0): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res))
    await new Promise<void>((r) => this.server.listen(port, '127.0.0.1', () => r()))
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`
    return this
  }

  get hooksUrl(): string {
    return `${this.url}/hooks/agent`
  }

  /** The next answers fail with `status` (before dispatch, or after it: the run happened, the answer is lost). */
  failNext(status: number, times = 1, afterDispatch = false): void {
    for (let i = 0; i < times; i++)
      this.failures.push({
        status,
        body: JSON.stringify({ ok: false, error: `fake ${status}` }),
        afterDispatch,
      })
  }

  /** Holds the next accepted answer until `release` is called (the run is already dispatched). */
  holdNext(onHeld: (release: () => void) => void): void {
    this.holds.push(onHeld)
  }

  /** Drops holds that were not used. */
  clearHolds(): void {
    this.holds = []
  }

  /** A gateway restart: the idempotency replay state is in memory and is lost. */
  restart(): void {
    this.replay = new Map()
  }

  async close(): Promise<void> {
    await new Promise<void>((r) => {
      this.server.close(() => r())
      this.server.closeAllConnections()
    })
  }

  private async handle(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://x')
    const chunks: Buffer[] = []
    for await (const c of req) chunks.push(c as Buffer)
    const key = (req.headers['idempotency-key'] as string | undefined) ?? null
    const answer = (status: number, body: unknown) => {
      this.requests.push({ status, idempotencyKey: key })
      res.writeHead(status, { 'content-type': 'application/json' })
      res.end(typeof body === 'string' ? body : JSON.stringify(body))
    }
    if (!url.pathname.startsWith('/hooks/')) return answer(404, 'Not Found')
    if (url.searchParams.has('token')) {
      return answer(400, {
        ok: false,
        error: 'token must be provided via Authorization: Bearer or X-OpenClaw-Token',
      })
    }
    const auth = req.headers.authorization
    const token = auth?.startsWith('Bearer ')
      ? auth.slice(7)
      : (req.headers['x-openclaw-token'] as string | undefined)
    if (token !== this.o.token) return answer(401, 'Unauthorized')
    if (url.pathname !== '/hooks/agent') return answer(404, 'Not Found')
    if (req.method !== 'POST') return answer(405, 'Method Not Allowed')
    let body: Record<string, unknown>
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'))
    } catch {
      return answer(400, { ok: false, error: 'invalid JSON' })
    }
    if (typeof body.message !== 'string' || !body.message)
      return answer(400, { ok: false, error: 'message required' })
    const prefixes = this.o.allowedSessionKeyPrefixes ?? ['hook:', 'clawops:']
    const sessionKey = String(body.sessionKey ?? '')
    if (!prefixes.some((p) => sessionKey.startsWith(p))) {
      return answer(400, { ok: false, error: `sessionKey must start with one of: ${prefixes.join(', ')}` })
    }
    const agentId = String(body.agentId ?? 'main')
    if (this.o.allowedAgentIds && !this.o.allowedAgentIds.includes(agentId)) {
      return answer(400, { ok: false, error: `agentId ${agentId} is not allowed` })
    }
    const failure = this.failures.shift()
    if (failure && !failure.afterDispatch) return answer(failure.status, failure.body)
    const replayKey = key ?? (typeof body.idempotencyKey === 'string' ? body.idempotencyKey : null)
    const replayed = replayKey ? this.replay.get(replayKey) : undefined
    if (replayed) return answer(200, { ok: true, runId: replayed })
    const runId = randomUUID()
    if (replayKey) this.replay.set(replayKey, runId)
    this.runs.push({
      runId,
      idempotencyKey: replayKey,
      agentId,
      sessionKey,
      sessionMode: String(body.sessionMode ?? 'isolated'),
      message: body.message,
      deliver: body.deliver,
    })
    const session =
      body.sessionMode === 'persistent' ? `agent:${agentId}:${sessionKey}` : `agent:${agentId}:hook:${runId}`
    this.sessions.set(session, [...(this.sessions.get(session) ?? []), body.message])
    if (failure?.afterDispatch) return answer(failure.status, failure.body)
    const hold = this.holds.shift()
    if (hold) await new Promise<void>((release) => hold(release))
    return answer(200, { ok: true, runId })
  }

  /** A verifier reading the fake's transcripts (what the chat.history verifier does on a real gateway). */
  verifier(): DeliveryVerifier {
    return {
      wasDelivered: async (d) =>
        (this.sessions.get(`agent:${d.agentId}:${d.sessionKey}`) ?? []).some((m) =>
          m.includes(`clawops-delivery ${d.deliveryId}`),
        ),
    }
  }
}

export function fakeDeps(o: {
  nodes?: FakeNodes
  status?: ProviderStatusSource
  hooks?: { url: string; token: string } | null
  verifier?: DeliveryVerifier | null
  cost?: CostSource | null
  providerScores?: ProviderScoreSource | null
  sleep?: (ms: number) => Promise<void>
}): WatchDeps & { nodes: FakeNodes; services: Partial<Services> } {
  const nodes = o.nodes ?? new FakeNodes()
  return {
    nodes,
    services: {
      nodes,
      statusPages: o.status ?? new FakeStatus(),
      sleep: o.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms))),
    },
    presence: null,
    cost: o.cost ?? null,
    providerScores: o.providerScores ?? null,
    hooks: o.hooks ?? null,
    verifier: o.verifier ?? null,
    close: async () => {},
  }
}

export interface MemberSpec {
  provider?: Instance['provider']
  region?: string
  state?: InstanceState
  healthScore?: number | null
  nodeId?: string | null
}

let seq = 0
const id = (p: string) =>
  `${p}-${(++seq).toString(36).padStart(6, '0')}${Math.random().toString(36).slice(2, 6)}`

/** Adds one pair (primary + standby) to the store; returns the rows. */
export function addPair(
  ctx: Context,
  primary: MemberSpec = {},
  standby: MemberSpec = {},
): { pairId: string; userId: string; primary: Instance; standby: Instance } {
  const now = ctx.now()
  const pairId = id('p')
  const userId = id('u')
  ctx.store().repo(Pairs).insert({ id: pairId, userId, labels: {}, createdAt: now, updatedAt: now })
  const make = (
    role: Role,
    s: MemberSpec,
    fallback: { provider: Instance['provider']; region: string },
  ): Instance => ({
    id: id('i'),
    pairId,
    userId,
    provider: s.provider ?? fallback.provider,
    region: s.region ?? fallback.region,
    tier: 'standard',
    role,
    state: s.state ?? 'ACTIVE',
    providerId: null,
    ip: null,
    tailscaleName: null,
    nodeId: s.nodeId ?? null,
    labels: {},
    healthScore: s.healthScore === undefined ? 100 : s.healthScore,
    lastHeartbeatAt: now,
    createdAt: now,
    updatedAt: now,
  })
  const p = make('primary', primary, { provider: 'hetzner', region: 'nbg1' })
  const s = make('standby', standby, { provider: 'vultr', region: 'ams' })
  ctx.store().repo(Instances).insertMany([p, s])
  return { pairId, userId, primary: p, standby: s }
}
