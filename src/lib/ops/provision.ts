/**
 * `clawops provision`: new user pairs, a primary and a standby on another provider, through the
 * plan/policy/journal pipeline. The plan names every pair, instance and server before anything is
 * created (ids derive from the plan's salt, so `--confirm` re-plans the same pairs) and prices them.
 * Each pair is one journaled, idempotent step: records first, then the two servers (looked up by the
 * operation's label before any create, so a resumed run adopts instead of duplicating), then the
 * nodes joining the gateway, then a health check. A final step tells COMPANION, signed.
 */
import { createHash } from 'node:crypto'
import { z } from 'zod'
import { renderCloudInit } from '../bootstrap/cloud-init.js'
import type { Context } from '../context.js'
import { type Currency, monthlyUsdCents, regionsOf } from '../domain/catalog.js'
import type { Instance, Role } from '../domain/instance.js'
import { LabelsSchema } from '../domain/labels.js'
import { type Provider, ProviderSchema, REGION_GROUPS, type RegionGroup } from '../domain/provider.js'
import { type Tier, TierSchema } from '../domain/tier.js'
import { UserError } from '../errors.js'
import { GatewayRpcError } from '../gateway/client.js'
import { generateJoinSecret } from '../gateway/join-proof.js'
import { gatewayEndpoint, type NodeInvoker } from '../gateway/link.js'
import { isTransientInvokeError } from '../gateway/nodes.js'
import { issueNodeBootstrapToken } from '../gateway/pairing.js'
import { providerHealth } from '../ledger/provider-health.js'
import { providerFor } from '../providers/for-context.js'
import { serverName } from '../providers/names.js'
import type { ProviderServer } from '../providers/types.js'
import { deliverWebhook, enqueueCompanionWebhook } from '../provisioning/companion-webhook.js'
import { joining, waitForNode } from '../provisioning/joins.js'
import { provisioningSettings } from '../provisioning/settings.js'
import { openBilling } from '../store/billing.js'
import { Instances } from '../store/instances.js'
import { JoinSecrets } from '../store/join-secrets.js'
import { Operations } from '../store/operations.js'
import { Pairs } from '../store/pairs.js'
import { recordProvision } from '../store/provision-history.js'
import { currentRouting, poolsFor } from '../store/routing.js'
import { depsFor } from '../watch/deps.js'
import type { OperationKind, StepRun } from './kind.js'

/** A provider scoring below this (watch's PROVIDER_DEGRADED line) is skipped when the pool has another. */
const HEALTHY_PROVIDER_SCORE = 75

export const ProvisionParamsSchema = z
  .object({
    count: z.number().int().min(1).max(1000),
    tier: TierSchema,
    group: z.enum(REGION_GROUPS),
    primary: ProviderSchema.optional(),
    standby: ProviderSchema.optional(),
    users: z
      .array(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/, 'user ids are short and plain'))
      .optional(),
    labels: LabelsSchema.default({}),
  })
  .strict()
  .refine((p) => !p.users || p.users.length === p.count, 'give exactly --count user ids, or none')
  .refine(
    (p) => !p.primary || !p.standby || p.primary !== p.standby,
    'primary and standby must be different providers',
  )
export type ProvisionParams = z.infer<typeof ProvisionParamsSchema>

interface MemberPlan {
  instanceId: string
  role: Role
  provider: Provider
  region: string
}

export interface PairInput {
  pairId: string
  userId: string
  tier: Tier
  labels: Record<string, string>
  members: [MemberPlan, MemberPlan]
}

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz'

/** A plan-stable id: the same salt and key always give the same id. */
function derivedId(prefix: string, salt: string, key: string, length = 10): string {
  const h = createHash('sha256').update(`${salt}:${key}`).digest()
  let s = ''
  for (let i = 0; i < length; i++) s += ALPHABET[h[i]! & 31]
  return `${prefix}-${s}`
}

function chooseProviders(
  ctx: Context,
  p: ProvisionParams,
): { primary: Provider; standby: Provider; routingVersion: number } {
  const routing = currentRouting(ctx.store())
  const scores = new Map<string, number>()
  if (!p.primary || !p.standby) {
    for (const s of providerHealth(ctx, {}).providers) if (s.score !== null) scores.set(s.provider, s.score)
  }
  const pick = (pool: Provider[]) => {
    const healthy = pool.filter((x) => (scores.get(x) ?? 100) >= HEALTHY_PROVIDER_SCORE)
    return (healthy.length > 0 ? healthy : pool)[0]
  }
  const primary = p.primary ?? pick(poolsFor(routing.config, p.group, undefined).primary)
  if (!primary) {
    throw new UserError('INVALID_INPUT', `the ${p.group} primary pool is empty`, {
      hint: 'See clawops provider routing show.',
    })
  }
  const standby = p.standby ?? pick(poolsFor(routing.config, p.group, primary).standby)
  if (!standby || standby === primary) {
    throw new UserError('INVALID_INPUT', `no standby provider other than ${primary} in the ${p.group} pool`, {
      hint: 'Name one with --standby, or widen the pool with clawops provider routing set.',
    })
  }
  return { primary, standby, routingVersion: routing.version }
}

function regionFor(provider: Provider, group: RegionGroup, index: number): string {
  const regions = regionsOf(provider).filter((r) => r.group === group)
  if (regions.length === 0) throw new UserError('INVALID_INPUT', `${provider} has no region in ${group}`)
  return regions[index % regions.length]!.code
}

const kind: OperationKind<ProvisionParams> = {
  kind: 'provision',
  action: 'provision',
  continueOnFailure: true,
  concurrency: (_p, ctx) => provisioningSettings(ctx.config()).concurrency,
  parseParams(raw) {
    const r = ProvisionParamsSchema.safeParse(raw)
    if (!r.success) {
      throw new UserError(
        'INVALID_INPUT',
        r.error.issues.map((i) => `${i.path.join('.') || 'params'}: ${i.message}`).join('; '),
      )
    }
    return r.data
  },
  plan(ctx, p, { salt }) {
    const { primary, standby, routingVersion } = chooseProviders(ctx, p)
    const rates = ctx.config().currency.rates as Record<Currency, number>
    const perPair = monthlyUsdCents(primary, p.tier, rates) + monthlyUsdCents(standby, p.tier, rates)
    const pairs: PairInput[] = Array.from({ length: p.count }, (_, i) => {
      const pairId = derivedId('p', salt, `pair:${i}`)
      return {
        pairId,
        userId: p.users?.[i] ?? derivedId('u', salt, `user:${i}`, 8),
        tier: p.tier,
        labels: p.labels,
        members: [
          {
            instanceId: derivedId('i', salt, `primary:${i}`),
            role: 'primary',
            provider: primary,
            region: regionFor(primary, p.group, i),
          },
          {
            instanceId: derivedId('i', salt, `standby:${i}`),
            role: 'standby',
            provider: standby,
            region: regionFor(standby, p.group, i),
          },
        ],
      }
    })
    return {
      summary: `provision ${p.count} ${p.tier} pair${p.count === 1 ? '' : 's'} in ${p.group}: ${primary} primary, ${standby} standby`,
      targets: pairs.map((x) => x.pairId),
      affectedUsers: p.count,
      costDeltaMonthlyUsdCents: perPair * p.count,
      steps: [
        ...pairs.map((x) => ({ name: 'pair', target: x.pairId, input: x })),
        { name: 'notify', target: null, input: { type: 'provision.completed' }, final: true },
      ],
      facts: {
        provision: {
          count: p.count,
          tier: p.tier,
          group: p.group,
          primary,
          standby,
          routingVersion,
          perPairUsdCents: perPair,
        },
      },
    }
  },
  async runStep(run, p) {
    if (run.step.name === 'notify') return notify(run)
    return provisionPair(run, p, run.step.input as PairInput)
  },
}

export default kind

function recordPair(ctx: Context, x: PairInput): void {
  const store = ctx.store()
  const now = ctx.now()
  store.tx(() => {
    if (!store.repo(Pairs).get(x.pairId)) {
      store
        .repo(Pairs)
        .insert({ id: x.pairId, userId: x.userId, labels: x.labels, createdAt: now, updatedAt: now })
    }
    const instances = store.repo(Instances)
    for (const m of x.members) {
      if (instances.get(m.instanceId)) continue
      const inst: Instance = {
        id: m.instanceId,
        pairId: x.pairId,
        userId: x.userId,
        provider: m.provider,
        region: m.region,
        tier: x.tier,
        role: m.role,
        state: 'CREATING',
        providerId: null,
        ip: null,
        tailscaleName: `claw-${x.userId}-${m.role === 'primary' ? 'p' : 's'}`.slice(0, 63),
        nodeId: null,
        labels: x.labels,
        healthScore: null,
        lastHeartbeatAt: null,
        createdAt: now,
        updatedAt: now,
      }
      instances.insert(inst)
      openBilling(store, inst, now)
      store.repo(JoinSecrets).issue(m.instanceId, generateJoinSecret())
    }
  })
}

async function userDataFor(ctx: Context, x: PairInput, m: MemberPlan): Promise<string> {
  const settings = provisioningSettings(ctx.config())
  const ep = gatewayEndpoint(ctx)
  const nodeGatewayUrl = settings.nodeGatewayUrl ?? ep.url
  const { client } = await joining(ctx)
  const { bootstrapToken } = await retryTransient(() => issueNodeBootstrapToken(client, nodeGatewayUrl))
  const tailscaleKey = settings.tailscale ? ctx.env[settings.tailscale.authKeyEnv] : undefined
  if (settings.tailscale && !tailscaleKey) {
    throw new UserError(
      'CONFIG_INVALID',
      `${settings.tailscale.authKeyEnv} is not set (provisioning.tailscale)`,
    )
  }
  return renderCloudInit({
    instanceId: m.instanceId,
    hostname: `claw-${x.userId}-${m.role === 'primary' ? 'p' : 's'}`.slice(0, 63),
    operatorGatewayUrl: nodeGatewayUrl,
    firstContact: {
      bootstrapToken,
      ...(settings.sharedTokenFallback && ep.token ? { token: ep.token } : {}),
    },
    joinSecret: ctx.store().repo(JoinSecrets).lookup(m.instanceId)!.secret,
    tailscale:
      settings.tailscale && tailscaleKey ? { authKey: tailscaleKey, tags: settings.tailscale.tags } : null,
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
async function ensureServer(run: StepRun, x: PairInput, m: MemberPlan): Promise<ProviderServer> {
  const ctx = run.ctx
  const instances = ctx.store().repo(Instances)
  const settings = provisioningSettings(ctx.config())
  const adapter = await providerFor(ctx, m.provider)
  const started = ctx.now()
  const inst = instances.get(m.instanceId)!
  let serverId = inst.providerId
  let attempts = 0
  try {
    if (!serverId) {
      const name = serverName({ fleet: settings.fleet, pair: x.pairId, role: m.role, opId: run.opId })
      const existing = (await adapter.findByOpLabel(run.opId, { opId: run.opId })).find(
        (s) => s.name === name,
      )
      if (existing) {
        serverId = existing.id
      } else {
        const plan = adapter.planFor(x.tier)
        run.audit({
          action: 'provision.create',
          target: m.instanceId,
          details: { provider: m.provider, region: m.region, plan, name },
        })
        run.progress(`${x.pairId}: creating ${m.role} on ${m.provider}/${m.region}`, {
          pairId: x.pairId,
          state: 'CREATING',
        })
        attempts++
        const created = await adapter.create(
          {
            name,
            plan,
            region: m.region,
            labels: { 'clawops/pair': x.pairId, 'clawops/role': m.role, 'clawops/instance': m.instanceId },
            userData: await userDataFor(ctx, x, m),
            opId: run.opId,
          },
          { opId: run.opId },
        )
        serverId = created.server.id
      }
      instances.update(m.instanceId, { providerId: serverId, state: 'BOOTSTRAPPING' })
    }
    run.progress(`${x.pairId}: ${m.role} booting`, { pairId: x.pairId, state: 'BOOTSTRAPPING' })
    const server = await adapter.waitFor(
      { provider: m.provider, serverId, actions: [], until: 'running' },
      { timeoutMs: settings.bootTimeoutSeconds * 1000, opId: run.opId },
    )
    if (!server)
      throw new UserError('PROVIDER_ERROR', `${m.provider} server ${serverId} vanished while booting`)
    instances.update(m.instanceId, { ip: server.ipv4 })
    if (attempts > 0) {
      recordProvision(ctx.store(), {
        provider: m.provider,
        region: m.region,
        tier: x.tier,
        role: m.role,
        instanceId: m.instanceId,
        pairId: x.pairId,
        opId: run.opId,
        startedAt: started,
        finishedAt: ctx.now(),
        outcome: 'ok',
        attempts,
        errorCode: null,
      })
    }
    return server
  } catch (err) {
    const code = err instanceof UserError ? err.code : 'INTERNAL'
    recordProvision(ctx.store(), {
      provider: m.provider,
      region: m.region,
      tier: x.tier,
      role: m.role,
      instanceId: m.instanceId,
      pairId: x.pairId,
      opId: run.opId,
      startedAt: started,
      finishedAt: ctx.now(),
      outcome: 'failed',
      attempts: Math.max(attempts, 1),
      errorCode: code,
    })
    instances.update(m.instanceId, { state: 'FAILED' })
    throw err
  }
}

async function provisionPair(run: StepRun, _p: ProvisionParams, x: PairInput) {
  const ctx = run.ctx
  const settings = provisioningSettings(ctx.config())
  const t0 = Date.now()
  recordPair(ctx, x)
  const servers = await Promise.all(x.members.map((m) => ensureServer(run, x, m)))
  const tServers = Date.now()
  run.checkpoint({ phase: 'servers-running', serverIds: servers.map((s) => s.id) })
  const instances = ctx.store().repo(Instances)
  const { invoker } = await depsFor(ctx)
  const members = await Promise.all(
    x.members.map(async (m) => {
      const nodeId = await waitForNode(ctx, m.instanceId, settings.joinTimeoutSeconds * 1000)
      instances.update(m.instanceId, { nodeId })
      const ok = await firstHealth(invoker, { id: m.instanceId, nodeId })
      instances.update(m.instanceId, {
        state: ok ? 'ACTIVE' : 'DEGRADED',
        healthScore: ok ? 100 : 40,
        lastHeartbeatAt: ctx.now(),
      })
      return {
        ...m,
        nodeId,
        serverId: instances.get(m.instanceId)!.providerId,
        ip: instances.get(m.instanceId)!.ip,
        active: ok,
      }
    }),
  )
  run.progress(`${x.pairId}: ACTIVE`, { pairId: x.pairId, state: 'ACTIVE' })
  const t1 = Date.now()
  return {
    pairId: x.pairId,
    userId: x.userId,
    members,
    timings: { totalMs: t1 - t0, serversMs: tServers - t0, joinMs: t1 - tServers },
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
 * The first health check of a node that has just been approved. The gateway can drop a call made
 * while it republishes the node's pairing, so short attempts are retried for up to a minute.
 */
async function firstHealth(invoker: NodeInvoker, target: { id: string; nodeId: string }): Promise<boolean> {
  const deadline = Date.now() + 60_000
  for (;;) {
    try {
      const h = await invoker.invoke<{ live?: boolean; healthy?: boolean }>(
        target,
        'openclaw.health',
        {},
        8_000,
      )
      return h.live ?? h.healthy ?? false
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

/** The final step: one signed webhook to COMPANION with every pair's outcome. */
async function notify(run: StepRun) {
  const ctx = run.ctx
  const steps = ctx
    .store()
    .repo(Operations)
    .steps(run.opId)
    .filter((s) => s.name === 'pair')
  const data = {
    opId: run.opId,
    planId: run.planId,
    pairs: steps.map((s) => ({
      pairId: s.target,
      state: s.state,
      ...(s.result ? { result: s.result } : {}),
      ...(s.error ? { error: s.error } : {}),
    })),
  }
  // The op id keys the webhook: a resumed run re-sends the same notification, never a second one.
  const id = enqueueCompanionWebhook(ctx, 'provision.completed', data, `whk-${run.opId}`)
  if (!id) return { webhook: 'not-configured' }
  const outcome = await deliverWebhook(ctx, id)
  return { webhook: outcome.state, id, ...(outcome.status ? { status: outcome.status } : {}) }
}
