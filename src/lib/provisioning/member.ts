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
import { UserError, withDetails } from '../errors.js'
import { emitEvent } from '../events/emit.js'
import { GatewayRpcError } from '../gateway/client.js'
import { generateJoinSecret } from '../gateway/join-proof.js'
import type { NodeInvoker } from '../gateway/link.js'
import { isTransientInvokeError } from '../gateway/nodes.js'
import { issueNodeBootstrapToken } from '../gateway/pairing.js'
import { chooseShard, shardNamed, shardsTakingNodes } from '../gateway/shards.js'
import { serverName } from '../providers/names.js'
import type { ProviderAdapter, ProviderServer } from '../providers/types.js'
import { openBilling } from '../store/billing.js'
import { Instances } from '../store/instances.js'
import { JoinSecrets } from '../store/join-secrets.js'
import { Pairs } from '../store/pairs.js'
import {
  type MemberProgress,
  type PhaseTimings,
  type ProvisionPhase,
  ProvisionProgress,
  recordProvision,
} from '../store/provision-history.js'
import { phaseClock } from './eta.js'
import { provisioningSettings } from './settings.js'
import { keyDelivered, mintServerKey, removeTailscaleDevice, type ServerKey } from './tailscale.js'

export interface MemberSpec {
  instanceId: string
  pairId: string
  userId: string
  tier: Tier
  role: Role
  provider: Provider
  region: string
  labels: Record<string, string>
  /** What the server's name says in place of the pair id (a resize's replacement: its own name per instance). */
  nameKey?: string
  /** The gateway shard its node joins; chosen (least loaded, not its partner's) when absent. */
  gateway?: string
  /** The instance this member replaces (a resize, a replacement standby): its shard does not count. */
  replaces?: string
}

export interface MemberOptions {
  /**
   * Write the member's rows only once the provider has answered the create with its server (a
   * resize changes no row before the provider confirms). Until then the journal's checkpoint and the
   * audited create name it; a resumed step adopts the server by its name and op label.
   */
  rowAfterCreate?: boolean
}

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz'

/** A plan-stable id: the same salt and key always give the same id. */
export function derivedId(prefix: string, salt: string, key: string, length = 10): string {
  const h = createHash('sha256').update(`${salt}:${key}`).digest()
  let s = ''
  for (let i = 0; i < length; i++) s += ALPHABET[h[i]! & 31]
  return `${prefix}-${s}`
}

/** The member's rows (instance CREATING, billing, join secret), written once; a resumed step finds them. */
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

export function recordMember(
  ctx: Context,
  m: MemberSpec,
  found: Partial<Pick<Instance, 'providerId' | 'state'>> = {},
): void {
  const store = ctx.store()
  const now = ctx.now()
  // A plan made before a shard left the config must not place a node where nothing reaches it.
  if (m.gateway !== undefined) shardNamed(ctx.config(), m.gateway)
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
      state: found.state ?? 'CREATING',
      providerId: found.providerId ?? null,
      ip: null,
      tailscaleName: tailscaleHostname(m.userId, m.role, m.instanceId),
      nodeId: null,
      labels: m.labels,
      healthScore: null,
      lastHeartbeatAt: null,
      createdAt: now,
      updatedAt: now,
      gateway: m.gateway ?? shardForMember(ctx, m),
    }
    instances.insert(inst)
    openBilling(store, inst, now)
    if (!store.repo(JoinSecrets).lookup(m.instanceId))
      store.repo(JoinSecrets).issue(m.instanceId, generateJoinSecret(), inst.gateway)
  })
}

/**
 * The gateway shard for a member no plan placed: not the shard of another live member of its pair
 * (the one it replaces aside), the least loaded of the rest.
 */
function shardForMember(ctx: Context, m: MemberSpec): string {
  const partners = ctx
    .store()
    .repo(Instances)
    .list({ pairId: m.pairId })
    .filter((i) => i.id !== m.instanceId && i.id !== m.replaces)
    .map((i) => ctx.shardOf(i))
  return chooseShard(shardsTakingNodes(ctx.shards()), shardLoad(ctx), partners)
}

/** Live instances per gateway shard (rows from before shards count for the operator's gateway). */
export function shardLoad(ctx: Context): Map<string, number> {
  const load = new Map<string, number>()
  for (const [g, n] of ctx.store().repo(Instances).gatewayLoad()) {
    const name = g ?? ctx.mainShard()
    load.set(name, (load.get(name) ?? 0) + n)
  }
  return load
}

/**
 * The shard a member's node joins: its row's, or before the row exists (a resize's replacement, whose
 * row waits for the provider) the shard its join secret was issued for.
 */
function memberShard(ctx: Context, instanceId: string): string {
  if (!ctx.store().repo(Instances).get(instanceId)) {
    const issuedFor = ctx.store().repo(JoinSecrets).lookup(instanceId)?.gateway
    if (issuedFor) return issuedFor
  }
  return ctx.shardOf({ id: instanceId, nodeId: null })
}

export interface MemberResult {
  instanceId: string
  role: Role
  provider: Provider
  region: string
  serverId: string
  ip: string | null
  nodeId: string
  active: boolean
  /** Servers it took (a server that did not come up is replaced), and the provider create calls in all. */
  tries: number
  createCalls: number
  /** Milliseconds of each phase of the try that served: create, boot, join, first healthy. */
  timings: PhaseTimings & { totalMs: number }
}

/** Failures a new server may cure: no answer, the provider's 5xx or 429, a server that never came up. */
function worthAnotherTry(err: unknown): boolean {
  if (!(err instanceof UserError)) return false
  if (err.code === 'TIMEOUT') return true
  if (err.code !== 'PROVIDER_ERROR') return false
  const d = (err.details ?? {}) as { status?: number | null; providerCode?: string }
  return (
    d.status === null ||
    d.status === undefined ||
    d.status >= 500 ||
    d.status === 429 ||
    d.providerCode === 'invalid_response'
  )
}

function messageOf(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).slice(0, 500)
}

/**
 * Records, creates, boots, joins and health-checks one member; idempotent across resumes. A try that
 * fails in a way a new server may cure (no answer, 5xx, a server that never boots or whose node never
 * joins) is given up: its server is deleted (audited first) and the next try creates a new one, up to
 * `provisioning.createAttempts` (3) in all. The last failure marks the member FAILED, records it for
 * the provider's health score and raises PROVISION_FAILED through the outbox.
 */
export async function provisionMember(
  run: StepRun,
  m: MemberSpec,
  o: MemberOptions = {},
): Promise<MemberResult> {
  const ctx = run.ctx
  const store = ctx.store()
  const settings = provisioningSettings(ctx.config())
  // A deleted member's row still names its deleted server: provisioning it again would wait for that
  // server (a real 404) and bring the row back from DELETED. A retry takes a new instance id.
  if (store.repo(Instances).get(m.instanceId)?.state === 'DELETED')
    throw new UserError('CONFLICT', `${m.instanceId} was deleted: it is never provisioned again`, {
      details: { instanceId: m.instanceId, pairId: m.pairId },
    })
  if (!o.rowAfterCreate) recordMember(ctx, m)
  else {
    // The join secret goes into the server's user data, so it exists before the create, and records
    // the member's shard until its row does (a resumed step keeps the shard chosen the first time).
    const issued = store.repo(JoinSecrets).lookup(m.instanceId)
    const gateway = issued ? (issued.gateway ?? ctx.mainShard()) : (m.gateway ?? shardForMember(ctx, m))
    shardNamed(ctx.config(), gateway)
    if (!issued) store.repo(JoinSecrets).issue(m.instanceId, generateJoinSecret(), gateway)
    m = { ...m, gateway }
  }
  const progress = store.repo(ProvisionProgress)
  const st = store.tx(() => progress.begin(run.opId, m.instanceId))
  for (;;) {
    if (st.retiring) {
      try {
        await retireServer(run, m, st)
      } catch (err) {
        // The failed try's server could not be deleted: stop here, its id stays on the row for teardown.
        giveUp(run, m, st, st.failures.at(-1)?.phase ?? 'create', err)
        throw err
      }
    }
    const t0 = Date.now()
    const at: { phase: ProvisionPhase } = { phase: 'create' }
    try {
      const r = await tryOnce(run, m, st, at, o)
      recordOutcome(run, m, st, 'ok', null, null)
      return {
        ...r,
        tries: st.try,
        createCalls: st.createCalls,
        timings: { ...st.phases, totalMs: Date.now() - t0 },
      }
    } catch (err) {
      if (!worthAnotherTry(err) || st.try >= settings.createAttempts) {
        giveUp(run, m, st, at.phase, err)
        throw err instanceof UserError
          ? withDetails(err, { tries: st.try, createCalls: st.createCalls, phase: at.phase })
          : err
      }
      const serverId = store.repo(Instances).get(m.instanceId)?.providerId ?? null
      st.failures.push({ try: st.try, phase: at.phase, serverId, error: messageOf(err) })
      st.try += 1
      st.retiring = serverId ?? RETIRED
      st.phases = {}
      progress.save(st)
      run.progress(
        `${m.pairId}: ${m.role} try ${st.try - 1} failed while ${PHASE_WORD[at.phase]} (${messageOf(err)}); trying again with a new server (${st.try}/${settings.createAttempts})`,
        { pairId: m.pairId, instanceId: m.instanceId, role: m.role, phase: at.phase, try: st.try },
      )
    }
  }
}

const PHASE_WORD: Record<ProvisionPhase, string> = {
  create: 'creating',
  boot: 'booting',
  join: 'joining',
  health: 'checking health',
}

/** Marks a failed try with no server to delete (the create itself failed). */
const RETIRED = '-'

/**
 * The server of a failed try goes before the next try starts: an audit entry, then the provider
 * delete (rule 3), then the member is back to CREATING with a fresh join secret (the old one may be
 * bound to the dead server's device). A resume repeats whatever of this did not finish.
 */
async function retireServer(run: StepRun, m: MemberSpec, st: MemberProgress): Promise<void> {
  const ctx = run.ctx
  const store = ctx.store()
  if (st.retiring && st.retiring !== RETIRED) {
    run.audit({
      action: 'provider.delete',
      target: m.instanceId,
      details: {
        provider: m.provider,
        serverId: st.retiring,
        reason: `provisioning try ${st.try - 1} failed`,
      },
    })
    const adapter = await ctx.provider(m.provider)
    await adapter.delete(st.retiring, { opId: run.opId })
    // The failed server may have joined the tailnet: its device goes too (audited inside), so the
    // next try's server is the only one with this hostname.
    const inst = store.repo(Instances).get(m.instanceId)
    if (inst) await removeTailscaleDevice(run, inst)
  }
  store.tx(() => {
    // No row yet (a create that failed before the provider confirmed a server): nothing to reset.
    if (store.repo(Instances).get(m.instanceId))
      store
        .repo(Instances)
        .update(m.instanceId, { providerId: null, nodeId: null, ip: null, state: 'CREATING' })
    // The next server's node joins the same shard: its new secret is that shard's.
    const shard = memberShard(ctx, m.instanceId)
    store.repo(JoinSecrets).forget(m.instanceId)
    store.repo(JoinSecrets).issue(m.instanceId, generateJoinSecret(), shard)
    st.retiring = null
    store.repo(ProvisionProgress).save(st)
  })
}

/** One try: create (or adopt this try's server), boot, join, first health; each phase timed. */
async function tryOnce(
  run: StepRun,
  m: MemberSpec,
  st: MemberProgress,
  at: { phase: ProvisionPhase },
  o: MemberOptions,
): Promise<Omit<MemberResult, 'tries' | 'createCalls' | 'timings'>> {
  const ctx = run.ctx
  const settings = provisioningSettings(ctx.config())
  const instances = ctx.store().repo(Instances)
  const progress = ctx.store().repo(ProvisionProgress)
  const clock = phaseClock(ctx, run.opId)
  const phase = async <T>(p: ProvisionPhase, state: string, fn: () => Promise<T>): Promise<T> => {
    at.phase = p
    const eta = clock.remaining(m.provider, p)
    run.progress(
      `${m.pairId}: ${m.role} ${PHASE_WORD[p]} on ${m.provider}/${m.region} (about ${Math.ceil(eta / 1000)} s to go)`,
      {
        pairId: m.pairId,
        instanceId: m.instanceId,
        role: m.role,
        state,
        phase: p,
        try: st.try,
        etaMs: eta,
      },
    )
    const t = Date.now()
    const v = await fn()
    const ms = Date.now() - t
    st.phases[p] = ms
    clock.observe(m.provider, p, ms)
    progress.save(st)
    return v
  }
  let serverId = instances.get(m.instanceId)?.providerId ?? null
  if (!serverId) {
    serverId = await phase('create', 'CREATING', async () => {
      let created: { id: string; createCalls: number }
      try {
        created = await createServer(run, m, st.try)
      } catch (err) {
        // A create that failed still counts its calls (the provider health score reads them).
        st.createCalls +=
          ((err as UserError).details as { createCalls?: number } | undefined)?.createCalls ?? 0
        progress.save(st)
        throw err
      }
      st.createCalls += created.createCalls
      // The provider has answered with its server: now, and only now, the row (when deferred).
      if (o.rowAfterCreate && !instances.get(m.instanceId))
        recordMember(ctx, m, { providerId: created.id, state: 'BOOTSTRAPPING' })
      else instances.update(m.instanceId, { providerId: created.id, state: 'BOOTSTRAPPING' })
      return created.id
    })
  }
  const adapter = await ctx.provider(m.provider)
  const server = await phase('boot', 'BOOTSTRAPPING', async () => {
    const s = await adapter.waitFor(
      { provider: m.provider, serverId, actions: [], until: 'running' },
      { timeoutMs: settings.bootTimeoutSeconds * 1000, opId: run.opId },
    )
    if (!s) throw new UserError('PROVIDER_ERROR', `${m.provider} server ${serverId} vanished while booting`)
    instances.update(m.instanceId, { ip: s.ipv4 })
    return s
  })
  const nodeId = await phase('join', 'BOOTSTRAPPING', async () => {
    const joins = await ctx.joins(memberShard(ctx, m.instanceId))
    const id = await joins.waitForNode(m.instanceId, settings.joinTimeoutSeconds * 1000)
    instances.update(m.instanceId, { nodeId: id })
    return id
  })
  const ok = await phase('health', 'BOOTSTRAPPING', async () =>
    firstHealth(await ctx.nodes(), { id: m.instanceId, nodeId }),
  )
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
    serverId,
    ip: server.ipv4,
    nodeId,
    active: ok,
  }
}

/**
 * The server of this operation named `name` that an earlier run created for this same instance, if
 * any. Never one labelled for another instance, nor one another row holds: two members given the
 * same name (one provider for both members of a pair) must not end up on one server.
 */
export function adoptable(
  ctx: Context,
  instanceId: string,
  found: readonly ProviderServer[],
  name: string,
): ProviderServer | undefined {
  const instances = ctx.store().repo(Instances)
  return found.find(
    (s) =>
      s.name === name &&
      (s.labels['clawops/instance'] ?? instanceId) === instanceId &&
      (instances.holderOfServer(s.provider, s.id) ?? instanceId) === instanceId,
  )
}

/** This try's server: adopted when an earlier run of the same try created it, else created (audited). */
async function createServer(
  run: StepRun,
  m: MemberSpec,
  tryNo: number,
): Promise<{ id: string; createCalls: number }> {
  const ctx = run.ctx
  const settings = provisioningSettings(ctx.config())
  const adapter = await ctx.provider(m.provider)
  const name = serverName({
    fleet: settings.fleet,
    pair: m.nameKey ?? m.pairId,
    role: m.role,
    opId: run.opId,
    attempt: tryNo,
  })
  const existing = adoptable(
    ctx,
    m.instanceId,
    await adapter.findByOpLabel(run.opId, { opId: run.opId }),
    name,
  )
  if (existing) {
    keyDelivered(ctx, m.instanceId, existing.id)
    return { id: existing.id, createCalls: 0 }
  }
  const plan = adapter.planFor(m.tier)
  run.audit({
    action: 'provision.create',
    target: m.instanceId,
    details: { provider: m.provider, region: m.region, plan, name, try: tryNo },
  })
  const key = await mintServerKey(
    run,
    m.instanceId,
    ctx.store().repo(Instances).get(m.instanceId)?.tailscaleName ??
      tailscaleHostname(m.userId, m.role, m.instanceId),
  )
  try {
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
    if (key) keyDelivered(ctx, m.instanceId, created.server.id, key.seq)
    return { id: created.server.id, createCalls: created.createCalls ?? 1 }
  } catch (err) {
    const calls = ((err as UserError).details as { createCalls?: number } | undefined)?.createCalls
    throw err instanceof UserError ? withDetails(err, { createCalls: calls ?? 1 }) : err
  }
}

/** The member's row for the provider health score (one per member and operation; a resume replaces it). */
function recordOutcome(
  run: StepRun,
  m: MemberSpec,
  st: MemberProgress,
  outcome: 'ok' | 'failed',
  errorCode: string | null,
  failedPhase: ProvisionPhase | null,
): void {
  recordProvision(run.ctx.store(), {
    id: `prov-${run.opId}-${m.instanceId}`,
    provider: m.provider,
    region: m.region,
    tier: m.tier,
    role: m.role,
    instanceId: m.instanceId,
    pairId: m.pairId,
    opId: run.opId,
    startedAt: st.startedAt,
    finishedAt: run.ctx.now(),
    outcome,
    attempts: Math.max(1, st.createCalls),
    tries: st.try,
    errorCode,
    phases: st.phases,
    failedPhase,
  })
}

/** The last try failed: the member is FAILED, its history row written, PROVISION_FAILED raised. */
function giveUp(run: StepRun, m: MemberSpec, st: MemberProgress, phase: ProvisionPhase, err: unknown): void {
  const ctx = run.ctx
  const store = ctx.store()
  const code = err instanceof UserError ? err.code : 'INTERNAL'
  const provider = (
    err instanceof UserError ? (err.details as { providerCode?: string } | undefined) : undefined
  )?.providerCode
  store.tx(() => {
    // A member whose row was never written (its create never answered with a server) has none to mark.
    if (store.repo(Instances).get(m.instanceId))
      store.repo(Instances).update(m.instanceId, { state: 'FAILED' })
    recordOutcome(run, m, st, 'failed', provider ?? code, phase)
    emitEvent(
      store,
      ctx.watchSettings(),
      {
        type: 'PROVISION_FAILED',
        severity: 'high',
        instanceId: m.instanceId,
        pairId: m.pairId,
        provider: m.provider,
        region: m.region,
        summary: `provisioning the ${m.role} of pair ${m.pairId} (user ${m.userId}) on ${m.provider}/${m.region} failed after ${st.try} ${st.try === 1 ? 'try' : 'tries'} while ${PHASE_WORD[phase]}: ${messageOf(err)}`,
        suggest: [`clawops ops show ${run.opId} --json`, `clawops pair status ${m.pairId} --json`],
        data: {
          source: 'clawops',
          opId: run.opId,
          userId: m.userId,
          role: m.role,
          attempts: st.try,
          createCalls: st.createCalls,
          phase,
          error: messageOf(err),
          errorCode: provider ?? code,
          provider: m.provider,
          region: m.region,
          earlierTries: st.failures,
        },
        dedupeKey: `PROVISION_FAILED:${run.opId}:${m.instanceId}`,
      },
      ctx.now(),
    )
  })
}

async function userDataFor(
  ctx: Context,
  m: MemberSpec,
  format: ProviderAdapter['capabilities']['userData'],
  key: ServerKey | null,
): Promise<string> {
  const settings = provisioningSettings(ctx.config())
  // The node joins the gateway shard the member was placed on, at the URL nodes use for it.
  const gateway = memberShard(ctx, m.instanceId)
  const ep = await ctx.gatewayEndpoint(gateway)
  const nodeGatewayUrl = shardNamed(ctx.config(), gateway).nodeUrl
  const { client } = await ctx.joins(gateway)
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
    releasesUrl: ctx.config().upgrades?.releasesUrl ?? null,
  })
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
