/**
 * One member of a pair brought to life: its rows, its server (created once: an earlier attempt's
 * server is found by the operation's label and adopted), its node joined to the gateway, its first
 * health check. `clawops provision` runs two per pair; `clawops resize` runs one when a provider
 * cannot resize in place.
 */
import { createHash } from 'node:crypto'
import { renderUserData } from '../bootstrap/user-data.js'
import type { Context } from '../context.js'
import type { Instance, Role } from '../domain/instance.js'
import type { Provider } from '../domain/provider.js'
import type { Tier } from '../domain/tier.js'
import type { StepRun } from '../engine/kind.js'
import { UserError } from '../errors.js'
import { GatewayRpcError } from '../gateway/client.js'
import { generateJoinSecret } from '../gateway/join-proof.js'
import type { NodeInvoker } from '../gateway/link.js'
import { isTransientInvokeError } from '../gateway/nodes.js'
import { issueNodeBootstrapToken } from '../gateway/pairing.js'
import { serverName } from '../providers/names.js'
import type { ProviderAdapter, ProviderServer } from '../providers/types.js'
import { openBilling } from '../store/billing.js'
import { Instances } from '../store/instances.js'
import { JoinSecrets } from '../store/join-secrets.js'
import { Pairs } from '../store/pairs.js'
import { recordProvision } from '../store/provision-history.js'
import { provisioningSettings } from './settings.js'
import { keyDelivered, mintServerKey, type ServerKey } from './tailscale.js'

export interface MemberSpec {
  instanceId: string
  pairId: string
  userId: string
  tier: Tier
  role: Role
  provider: Provider
  region: string
  labels: Record<string, string>
}

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz'

/** A plan-stable id: the same salt and key always give the same id. */
export function derivedId(prefix: string, salt: string, key: string, length = 10): string {
  const h = createHash('sha256').update(`${salt}:${key}`).digest()
  let s = ''
  for (let i = 0; i < length; i++) s += ALPHABET[h[i]! & 31]
  return `${prefix}-${s}`
}

/**
 * The server's name on the tailnet: the user, the role and a piece of the instance id, so a
 * replacement server (resize, reprovision) never shares a hostname with the one it replaces and
 * teardown finds exactly its device.
 */
export function tailscaleHostname(userId: string, role: Role, instanceId: string): string {
  const user = userId
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
  return `claw-${user}-${role === 'primary' ? 'p' : 's'}-${instanceId.replace(/^i-/, '').slice(0, 6)}`
}

/** The member's rows (instance CREATING, billing, join secret), written once; a resumed step finds them. */
export function recordMember(ctx: Context, m: MemberSpec): void {
  const store = ctx.store()
  const now = ctx.now()
  store.tx(() => {
    if (!store.repo(Pairs).get(m.pairId)) {
      store
        .repo(Pairs)
        .insert({ id: m.pairId, userId: m.userId, labels: m.labels, createdAt: now, updatedAt: now })
    }
    const instances = store.repo(Instances)
    if (instances.get(m.instanceId)) return
    const inst: Instance = {
      id: m.instanceId,
      pairId: m.pairId,
      userId: m.userId,
      provider: m.provider,
      region: m.region,
      tier: m.tier,
      role: m.role,
      state: 'CREATING',
      providerId: null,
      ip: null,
      tailscaleName: tailscaleHostname(m.userId, m.role, m.instanceId),
      nodeId: null,
      labels: m.labels,
      healthScore: null,
      lastHeartbeatAt: null,
      createdAt: now,
      updatedAt: now,
    }
    instances.insert(inst)
    openBilling(store, inst, now)
    store.repo(JoinSecrets).issue(m.instanceId, generateJoinSecret())
  })
}

/** Records, creates, boots, joins and health-checks one member; idempotent across resumes. */
export async function provisionMember(run: StepRun, m: MemberSpec) {
  const ctx = run.ctx
  const settings = provisioningSettings(ctx.config())
  recordMember(ctx, m)
  const server = await ensureServer(run, m)
  const instances = ctx.store().repo(Instances)
  const nodeId = await (await ctx.joins()).waitForNode(m.instanceId, settings.joinTimeoutSeconds * 1000)
  instances.update(m.instanceId, { nodeId })
  const invoker = await ctx.nodes()
  const ok = await firstHealth(invoker, { id: m.instanceId, nodeId })
  // Its node is up but OpenClaw is still starting: warming up, not degraded. The health sweep makes it
  // ACTIVE at its first healthy probe (or judges it once the boot grace is over).
  instances.update(m.instanceId, {
    state: ok ? 'ACTIVE' : 'BOOTSTRAPPING',
    healthScore: ok ? 100 : null,
    lastHeartbeatAt: ctx.now(),
  })
  return {
    instanceId: m.instanceId,
    role: m.role,
    provider: m.provider,
    region: m.region,
    serverId: server.id,
    ip: server.ipv4,
    nodeId,
    active: ok,
  }
}

async function userDataFor(
  ctx: Context,
  m: MemberSpec,
  format: ProviderAdapter['capabilities']['userData'],
  key: ServerKey | null,
): Promise<string> {
  const settings = provisioningSettings(ctx.config())
  const ep = await ctx.gatewayEndpoint()
  const nodeGatewayUrl = settings.nodeGatewayUrl ?? ep.url
  const { client } = await ctx.joins()
  const { bootstrapToken } = await retryTransient(() => issueNodeBootstrapToken(client, nodeGatewayUrl))
  return renderUserData(format, {
    instanceId: m.instanceId,
    hostname:
      ctx.store().repo(Instances).get(m.instanceId)?.tailscaleName ??
      tailscaleHostname(m.userId, m.role, m.instanceId),
    operatorGatewayUrl: nodeGatewayUrl,
    firstContact: {
      bootstrapToken,
      ...(settings.sharedTokenFallback && ep.token ? { token: ep.token } : {}),
    },
    joinSecret: ctx.store().repo(JoinSecrets).lookup(m.instanceId)!.secret,
    tailscale: key ? { authKey: key.authKey.reveal(), tags: key.tags } : null,
    openclaw: {
      image: settings.openclawImage,
      userConfig: {
        gateway: {
          mode: 'local',
          port: 18789,
          bind: 'lan',
          auth: { mode: 'token', token: generateJoinSecret() },
        },
      },
    },
    clawnodePackage: settings.clawnodePackage,
  })
}

/** The member's server, created once: an earlier attempt's server is found by the op label and adopted. */
export async function ensureServer(run: StepRun, m: MemberSpec): Promise<ProviderServer> {
  const ctx = run.ctx
  const instances = ctx.store().repo(Instances)
  const settings = provisioningSettings(ctx.config())
  const adapter = await ctx.provider(m.provider)
  const started = ctx.now()
  const inst = instances.get(m.instanceId)!
  let serverId = inst.providerId
  let attempts = 0
  // Provider health scores (the Ledger) read these: creation time, retries, failures.
  const record = (outcome: 'ok' | 'failed', n: number, errorCode: string | null) =>
    recordProvision(ctx.store(), {
      provider: m.provider,
      region: m.region,
      tier: m.tier,
      role: m.role,
      instanceId: m.instanceId,
      pairId: m.pairId,
      opId: run.opId,
      startedAt: started,
      finishedAt: ctx.now(),
      outcome,
      attempts: n,
      errorCode,
    })
  try {
    if (!serverId) {
      const name = serverName({ fleet: settings.fleet, pair: m.pairId, role: m.role, opId: run.opId })
      const existing = (await adapter.findByOpLabel(run.opId, { opId: run.opId })).find(
        (s) => s.name === name,
      )
      if (existing) {
        serverId = existing.id
        keyDelivered(ctx, m.instanceId, serverId)
      } else {
        const plan = adapter.planFor(m.tier)
        run.audit({
          action: 'provision.create',
          target: m.instanceId,
          details: { provider: m.provider, region: m.region, plan, name },
        })
        run.progress(`${m.pairId}: creating ${m.role} on ${m.provider}/${m.region}`, {
          pairId: m.pairId,
          state: 'CREATING',
        })
        attempts++
        const key = await mintServerKey(run, m.instanceId, inst.tailscaleName ?? '')
        const created = await adapter.create(
          {
            name,
            plan,
            region: m.region,
            labels: { 'clawops/pair': m.pairId, 'clawops/role': m.role, 'clawops/instance': m.instanceId },
            userData: await userDataFor(ctx, m, adapter.capabilities.userData, key),
            opId: run.opId,
          },
          { opId: run.opId },
        )
        serverId = created.server.id
        if (key) keyDelivered(ctx, m.instanceId, serverId, key.seq)
      }
      instances.update(m.instanceId, { providerId: serverId, state: 'BOOTSTRAPPING' })
    }
    run.progress(`${m.pairId}: ${m.role} booting`, { pairId: m.pairId, state: 'BOOTSTRAPPING' })
    const server = await adapter.waitFor(
      { provider: m.provider, serverId, actions: [], until: 'running' },
      { timeoutMs: settings.bootTimeoutSeconds * 1000, opId: run.opId },
    )
    if (!server)
      throw new UserError('PROVIDER_ERROR', `${m.provider} server ${serverId} vanished while booting`)
    instances.update(m.instanceId, { ip: server.ipv4 })
    if (attempts > 0) record('ok', attempts, null)
    return server
  } catch (err) {
    record('failed', Math.max(attempts, 1), err instanceof UserError ? err.code : 'INTERNAL')
    instances.update(m.instanceId, { state: 'FAILED' })
    throw err
  }
}

/** Gateway calls refused while it republishes pairing state are retried a few times. */
async function retryTransient<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn()
    } catch (err) {
      if (attempt >= 5 || !(err instanceof GatewayRpcError) || !isTransientInvokeError(err)) throw err
      await new Promise((r) => setTimeout(r, 250 * 2 ** attempt))
    }
  }
}

/**
 * The first health check of a node that has just joined or come back. The gateway can drop a call
 * made while it republishes the node's pairing, and a node that has just started (a reboot, a
 * resize that restarts the server) can answer before its user gateway is up, as on a VPS where
 * gf-clawnode connects while Docker is still starting the container: so short attempts are retried,
 * and a gateway that is not live yet is asked again, for up to a minute; then its last answer stands.
 */
export async function firstHealth(
  invoker: NodeInvoker,
  target: { id: string; nodeId: string },
  withinMs = 60_000,
): Promise<boolean> {
  const deadline = Date.now() + withinMs
  for (;;) {
    try {
      const h = await invoker.invoke<{ live?: boolean; healthy?: boolean }>(
        target,
        'openclaw.health',
        {},
        8_000,
      )
      const live = h.live ?? h.healthy ?? false
      if (live || Date.now() > deadline) return live
      await new Promise((r) => setTimeout(r, 1_000))
    } catch (err) {
      if (
        Date.now() > deadline ||
        !(err instanceof UserError) ||
        !['TIMEOUT', 'NODE_ERROR'].includes(err.code)
      )
        throw err
      await new Promise((r) => setTimeout(r, 1_000))
    }
  }
}
