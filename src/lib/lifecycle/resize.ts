/**
 * `clawops resize --tier T <selector>`: a tier change without user downtime. Per pair, the member
 * that is standby is changed first; a member that is primary is first switched over to its ACTIVE
 * standby (roles swap; nothing is quarantined), so the member being changed never serves the user.
 * Each member uses its provider's strategy: in place where the provider can (Hetzner, DigitalOcean;
 * Vultr only upward), otherwise by replacement: a new server on the new tier (or on `--provider`),
 * the user's state moved through the two nodes, the old server deleted (audited first). One
 * journaled, idempotent step per pair.
 *
 * Everything a step needs is checked by the plan (each provider's credentials, the gateway token,
 * a price for the new tier, a region on the target provider), and a plan never puts both members of
 * a pair on one provider. The old server is kept until the new one serves, and the tier label is the
 * last thing changed. A member that fails is put back as it was: a replacement that never served is
 * deleted (audited), the switch-over is undone, the row's state is what it was; the error names the
 * provider, the server and the step. */
import { z } from 'zod'
import { migrateUserState } from '../archive/migrate.js'
import type { Context } from '../context.js'
import { findRegion, regionsOf } from '../domain/catalog.js'
import type { Instance } from '../domain/instance.js'
import { type Provider, ProviderSchema } from '../domain/provider.js'
import { TIERS, type Tier, TierSchema } from '../domain/tier.js'
import type { OperationKind, StepRun } from '../engine/kind.js'
import { UserError } from '../errors.js'
import { getInstance, selectInstances } from '../fleet/instance-query.js'
import { removeDevice } from '../gateway/pairing.js'
import { originsOf, planPrices } from '../pricing/book.js'
import { derivedId, firstHealth, provisionMember } from '../provisioning/member.js'
import { provisioningSettings } from '../provisioning/settings.js'
import { AuditTrail } from '../store/audit-trail.js'
import { closeBilling, resizeBilling } from '../store/billing.js'
import { Instances } from '../store/instances.js'
import { JoinSecrets } from '../store/join-secrets.js'
import { requireGateway, requireProviders } from './preconditions.js'

export const ResizeParamsSchema = z
  .object({
    tier: TierSchema,
    ids: z.array(z.string().min(1)).min(1).optional(),
    selector: z.string().optional(),
    /** Move the selected members to this provider (by replacement). */
    provider: ProviderSchema.optional(),
  })
  .strict()
  .refine((p) => p.ids !== undefined || p.selector !== undefined, 'give instance ids or a selector')
export type ResizeParams = z.infer<typeof ResizeParamsSchema>

type Strategy = 'in-place' | 'replace'

interface MemberChange {
  instanceId: string
  fromTier: Tier
  strategy: Strategy
  provider: Provider
  region: string
  /** The replacement's id (strategy replace). */
  newInstanceId: string | null
}

interface PairResize {
  pairId: string
  userId: string
  tier: Tier
  changes: MemberChange[]
}

const rank = (t: Tier) => TIERS.indexOf(t)

async function strategyFor(
  ctx: Context,
  i: Instance,
  tier: Tier,
  target: Provider | undefined,
): Promise<Strategy> {
  if (target && target !== i.provider) return 'replace'
  const cap = (await ctx.provider(i.provider)).capabilities.resize
  if (cap === 'in-place') return 'in-place'
  if (cap === 'upgrade-only') return rank(tier) > rank(i.tier) ? 'in-place' : 'replace'
  return 'replace'
}

function regionOn(provider: Provider, like: Instance): string {
  if (provider === like.provider) return like.region
  const group = findRegion(like.provider, like.region)?.group ?? 'eu'
  const r = regionsOf(provider).find((x) => x.group === group)
  if (!r) throw new UserError('INVALID_INPUT', `${provider} has no region in ${group}`)
  return r.code
}

/**
 * Instances asked for that are already deleted: refused, naming the operation that deleted each
 * (the last one that audited an entry on it), so a resize that lost a race with a teardown says so
 * instead of calling the instance unchanged.
 */
function deletedTargets(ctx: Context, gone: Instance[]): UserError {
  const audit = ctx.store().repo(AuditTrail)
  const by = gone.map((i) => ({
    id: i.id,
    opId: audit.query({ target: i.id, limit: 20 }).findLast((e) => e.opId !== null)?.opId ?? null,
  }))
  const first = by.find((b) => b.opId)?.opId ?? null
  return new UserError(
    'CONFLICT',
    `nothing to resize: ${by.map((b) => `${b.id} was deleted${b.opId ? ` by operation ${b.opId}` : ''}`).join(', ')}`,
    {
      hint: first ? `See clawops ops show ${first}.` : 'Check the selector with clawops instance list.',
      details: { instanceIds: gone.map((i) => i.id), ...(first ? { opId: first } : {}) },
    },
  )
}

const kind: OperationKind<ResizeParams> = {
  kind: 'resize',
  action: 'resize',
  continueOnFailure: true,
  concurrency: 4,
  parseParams(raw) {
    const r = ResizeParamsSchema.safeParse(raw)
    if (!r.success) throw new UserError('INVALID_INPUT', r.error.issues.map((i) => i.message).join('; '))
    return r.data
  },
  async plan(ctx, p, { salt }) {
    const found = selectInstances(ctx, {
      ...(p.ids ? { ids: p.ids } : {}),
      ...(p.selector ? { selector: p.selector } : {}),
    })
    const targets = found.filter(
      (i) =>
        i.state !== 'DELETED' &&
        (i.tier !== p.tier || (p.provider !== undefined && i.provider !== p.provider)),
    )
    // Asked for by id: one that does not exist is NOT_FOUND, one already deleted is named as such.
    const gone = (p.ids ?? []).map((id) => getInstance(ctx, id)).filter((i) => i.state === 'DELETED')
    if (targets.length === 0 && gone.length > 0) throw deletedTargets(ctx, gone)
    if (targets.length === 0) {
      throw new UserError('CONFLICT', `nothing to change: every matching instance is already ${p.tier}`, {
        hint: 'Check the selector with clawops instance list.',
      })
    }
    if (p.provider) onePerProvider(ctx, targets, p.provider)
    const priced = [...new Set(targets.flatMap((t) => [t.provider, p.provider ?? t.provider]))]
    // Everything the steps will call must be reachable before anything changes.
    await requireProviders(ctx, priced)
    await requireGateway(ctx, 'moving and checking the instances’ gf-clawnode')
    const book = await planPrices(ctx, priced)
    const pairs: PairResize[] = []
    let delta = 0
    for (const [pairId, members] of Map.groupBy(targets, (t) => t.pairId)) {
      const changes: MemberChange[] = []
      for (const m of members.sort(
        (a, b) => (a.role === 'standby' ? -1 : 1) - (b.role === 'standby' ? -1 : 1),
      )) {
        const strategy = await strategyFor(ctx, m, p.tier, p.provider)
        const provider = strategy === 'replace' && p.provider ? p.provider : m.provider
        const region = regionOn(provider, m)
        if (strategy === 'replace' && book.regionAvailable(provider, region) === false) {
          throw new UserError('CONFLICT', `${provider} ${region} has no capacity for new servers now`, {
            hint: 'Choose another provider (--provider), or plan again later.',
            details: { provider, region, instanceId: m.id },
          })
        }
        changes.push({
          instanceId: m.id,
          fromTier: m.tier,
          strategy,
          provider,
          region: regionOn(provider, m),
          newInstanceId: strategy === 'replace' ? derivedId('i', salt, `${pairId}:${m.id}`) : null,
        })
        delta +=
          priceOf(book, provider, p.tier, regionOn(provider, m)) - priceOf(book, m.provider, m.tier, m.region)
      }
      pairs.push({ pairId, userId: members[0]!.userId, tier: p.tier, changes })
    }
    return {
      summary: `resize ${targets.length} instance${targets.length === 1 ? '' : 's'} of ${pairs.length} pair${pairs.length === 1 ? '' : 's'} to ${p.tier}${p.provider ? ` on ${p.provider}` : ''}`,
      targets: targets.map((t) => t.id),
      affectedUsers: new Set(targets.map((t) => t.userId)).size,
      costDeltaMonthlyUsdCents: delta,
      steps: pairs.map((x) => ({ name: 'pair', target: x.pairId, input: x })),
      locks: pairs.map((x) => `pair:${x.pairId}`),
      facts: {
        resize: {
          tier: p.tier,
          provider: p.provider ?? null,
          strategies: pairs.flatMap((x) => x.changes.map((c) => [c.instanceId, c.strategy])),
        },
        prices: originsOf(book, priced),
      },
    }
  },
  runStep(run) {
    return resizePair(run, run.step.input as PairResize)
  },
  unsettled(ctx, _p, steps) {
    const ids = steps.flatMap((s) =>
      (s.input as PairResize).changes.flatMap((c) => [
        c.instanceId,
        ...(c.newInstanceId ? [c.newInstanceId] : []),
      ]),
    )
    return ctx
      .store()
      .repo(Instances)
      .list({ ids })
      .filter((i) => i.state === 'RESIZING' || i.state === 'CREATING' || i.state === 'BOOTSTRAPPING')
      .map((i) => i.id)
  },
}

export default kind

/** A price for each tier the plan compares; a missing one is refused at plan time, not found later. */
function priceOf(
  book: Awaited<ReturnType<typeof planPrices>>,
  provider: Provider,
  tier: Tier,
  region: string,
) {
  try {
    return book.monthlyUsdCents(provider, tier, region)
  } catch (err) {
    throw new UserError('CONFIG_INVALID', `no price for ${provider} ${tier} in ${region}`, {
      hint: 'Refresh the price catalogue (clawops provider prices --refresh), then plan again.',
      details: { provider, tier, region, cause: err instanceof Error ? err.message : String(err) },
    })
  }
}

/**
 * A pair's two members on one provider share its outages: the point of a pair. Refused when
 * `--provider` would put a selected member beside its partner there (the partner selected too, or
 * already on it).
 */
function onePerProvider(ctx: Context, targets: readonly Instance[], provider: Provider): void {
  const instances = ctx.store().repo(Instances)
  for (const [pairId, members] of Map.groupBy(targets, (t) => t.pairId)) {
    const moving = members.filter((m) => m.provider !== provider)
    if (moving.length === 0) continue
    const others = instances.list({ pairId }).filter((m) => !members.some((t) => t.id === m.id))
    const after = [...members.map(() => provider), ...others.map((o) => o.provider)]
    if (after.filter((x) => x === provider).length > 1) {
      throw new UserError(
        'POLICY_DENIED',
        `resize would put both members of pair ${pairId} on ${provider}: a pair spans two providers`,
        {
          hint: 'Move one member per pair (select by role), or choose another provider.',
          details: { rules: ['pair-on-two-providers'], pairId, provider },
        },
      )
    }
  }
}

/** Swaps roles so `member` becomes the standby; refused when its partner cannot serve. Returns the partner. */
function switchOver(run: StepRun, member: Instance): Instance {
  const instances = run.ctx.store().repo(Instances)
  const partner = instances
    .list({ pairId: member.pairId })
    .find((i) => i.id !== member.id && i.state === 'ACTIVE')
  if (!partner) {
    throw new UserError(
      'POLICY_DENIED',
      `${member.id} is the primary and its pair has no other ACTIVE member: resizing it would take the user offline`,
      {
        hint: 'Heal or replace the standby first (clawops heal / clawops pair status).',
        details: { rules: ['zero-downtime-resize'] },
      },
    )
  }
  run.audit({
    action: 'resize.switchover',
    target: member.pairId,
    details: { from: member.id, to: partner.id },
  })
  run.ctx.store().tx(() => {
    instances.update(partner.id, { role: 'primary' })
    instances.update(member.id, { role: 'standby' })
  })
  return partner
}

/** Where a member's change is, for its failure message and for what a rollback must undo. */
interface At {
  phase: string
  /** The provider and server the phase works on. */
  provider: Provider
  serverId: string | null
}

/** What a step has done so far (checkpointed), so a resume neither repeats nor undoes it wrongly. */
interface Progress {
  /** Per member: its state before the step touched it, and whether its old server's delete began. */
  members?: Record<string, { prior?: Instance['state']; switchedWith?: string | null; deleting?: boolean }>
}

async function inPlace(run: StepRun, inst: Instance, tier: Tier, at: At): Promise<void> {
  const ctx = run.ctx
  const adapter = await ctx.provider(inst.provider)
  const settings = provisioningSettings(ctx.config())
  const plan = adapter.planFor(tier)
  at.phase = 'resize'
  const server = await adapter.get(inst.providerId!, { opId: run.opId })
  if (!server) throw new UserError('PROVIDER_ERROR', 'the server does not exist at the provider')
  // A resumed step finds the server already on the new plan: the provider did it, do not ask twice.
  if (server.plan !== plan) {
    run.audit({
      action: 'resize.in-place',
      target: inst.id,
      details: { provider: inst.provider, serverId: inst.providerId, from: inst.tier, to: tier },
    })
    ctx.store().repo(Instances).update(inst.id, { state: 'RESIZING' })
    await adapter.resize(inst.providerId!, plan, {
      opId: run.opId,
      timeoutMs: settings.bootTimeoutSeconds * 1000,
    })
  }
  at.phase = 'join'
  const nodeId = await (await ctx.joins(ctx.shardOf(inst))).waitForNode(
    inst.id,
    settings.joinTimeoutSeconds * 1000,
  )
  at.phase = 'first health'
  const invoker = await ctx.nodes()
  const ok = await firstHealth(invoker, { id: inst.id, nodeId })
  if (!ok) throw new UserError('NODE_ERROR', `OpenClaw on ${inst.id} did not come up after the resize`)
  const store = ctx.store()
  // The tier label last: only once the resized server serves.
  store.tx(() => {
    const next = store
      .repo(Instances)
      .update(inst.id, { tier, nodeId, state: 'ACTIVE', lastHeartbeatAt: ctx.now() })
    resizeBilling(store, next, ctx.now())
  })
}

async function replace(
  run: StepRun,
  x: PairResize,
  old: Instance,
  c: MemberChange,
  at: At,
  progress: Progress,
): Promise<void> {
  const ctx = run.ctx
  const store = ctx.store()
  const instances = store.repo(Instances)
  const mine = progress.members![old.id]!
  if (!mine.deleting) {
    run.progress(`${x.pairId}: replacing ${old.id} with a ${x.tier} server on ${c.provider}`)
    at.phase = 'create'
    at.provider = c.provider
    at.serverId = null
    const created = await provisionMember(run, {
      instanceId: c.newInstanceId!,
      pairId: x.pairId,
      userId: x.userId,
      tier: x.tier,
      role: 'standby',
      provider: c.provider,
      region: c.region,
      labels: old.labels,
      replaces: old.id,
    })
    at.serverId = instances.get(created.instanceId)?.providerId ?? null
    const invoker = await ctx.nodes()
    if (old.nodeId && old.state !== 'DELETED') {
      at.phase = 'state copy'
      await migrateUserState(
        invoker,
        { id: old.id, nodeId: old.nodeId },
        { id: created.instanceId, nodeId: created.nodeId },
      )
    }
    // From here the old server goes: a resume never copies state off it again.
    mine.deleting = true
    run.checkpoint(progress)
  }
  at.phase = 'delete'
  at.provider = old.provider
  at.serverId = old.providerId
  if (old.providerId) {
    const adapter = await ctx.provider(old.provider)
    run.audit({
      action: 'provider.delete',
      target: old.id,
      details: { provider: old.provider, serverId: old.providerId, replacedBy: c.newInstanceId },
    })
    const r = await adapter.delete(old.providerId, { opId: run.opId })
    if (r.pending) await adapter.waitFor(r.pending, { timeoutMs: 10 * 60_000, opId: run.opId })
  }
  if (old.nodeId) {
    // The old node's pairing goes with its server; a gateway that does not answer now keeps a stale
    // device entry, never the resize from finishing.
    try {
      await removeDevice(await (await ctx.gateway('admin', ctx.shardOf(old))).get(), old.nodeId)
    } catch {}
  }
  store.tx(() => {
    instances.update(old.id, { state: 'DELETED' })
    closeBilling(store, old.id, ctx.now(), `replaced by ${c.newInstanceId}`)
    store.repo(JoinSecrets).forget(old.id)
  })
}

async function resizePair(run: StepRun, x: PairResize) {
  const instances = run.ctx.store().repo(Instances)
  const progress: Progress = structuredClone((run.step.checkpoint as Progress | null) ?? {})
  progress.members ??= {}
  const results = []
  for (const c of x.changes) {
    let inst = instances.get(c.instanceId)!
    const replacement = c.newInstanceId ? instances.get(c.newInstanceId) : undefined
    const finished =
      c.strategy === 'in-place'
        ? inst.tier === x.tier && inst.state === 'ACTIVE'
        : inst.state === 'DELETED' && replacement?.state === 'ACTIVE'
    if (!finished) {
      progress.members[c.instanceId] ??= {}
      const mine = progress.members[c.instanceId]!
      if (mine.prior === undefined) {
        mine.prior = inst.state
        run.checkpoint(progress)
      }
      const at: At = { phase: 'switch-over', provider: inst.provider, serverId: inst.providerId }
      try {
        if (inst.role === 'primary' && inst.state !== 'DELETED') {
          mine.switchedWith = switchOver(run, inst).id
          run.checkpoint(progress)
          inst = instances.get(c.instanceId)!
        }
        if (c.strategy === 'in-place') await inPlace(run, inst, x.tier, at)
        else await replace(run, x, inst, c, at, progress)
      } catch (err) {
        // A create that failed after the provider made the server: that is the server to name.
        if (at.phase === 'create' && !at.serverId && c.newInstanceId)
          at.serverId = instances.get(c.newInstanceId)?.providerId ?? null
        const undone = await putBack(run, x, c, progress, at).catch(
          (e: unknown) => `not put back: ${messageOf(e)}`,
        )
        throw failed(err, x, c, at, undone)
      }
    }
    results.push({
      instanceId: c.instanceId,
      strategy: c.strategy,
      now: c.newInstanceId ?? c.instanceId,
      tier: x.tier,
    })
  }
  return { pairId: x.pairId, changes: results }
}

const messageOf = (e: unknown) => (e instanceof Error ? e.message : String(e))

/**
 * After a member's change failed: the pair as it was, as far as the provider allows. A replacement
 * that never took over is deleted (audited first) and its row DELETED; the old member keeps its state,
 * or, resized in place, the state and tier its server now has (checked at the provider); roles swap
 * back when the member serves again. Once the old server's delete began there is no going back: the
 * step stays failed for a resume to finish. Returns what was done, for the error.
 */
async function putBack(
  run: StepRun,
  x: PairResize,
  c: MemberChange,
  progress: Progress,
  at: At,
): Promise<string> {
  const ctx = run.ctx
  const store = ctx.store()
  const instances = store.repo(Instances)
  const mine = progress.members![c.instanceId]!
  if (mine.deleting) return 'the old server is being deleted: clawops ops resume finishes the replacement'
  const notes: string[] = []
  if (c.newInstanceId) {
    const fresh = instances.get(c.newInstanceId)
    if (fresh && fresh.state !== 'DELETED') {
      if (fresh.providerId) {
        const adapter = await ctx.provider(fresh.provider)
        run.audit({
          action: 'provider.delete',
          target: fresh.id,
          details: { provider: fresh.provider, serverId: fresh.providerId, reason: 'resize rolled back' },
        })
        const r = await adapter.delete(fresh.providerId, { opId: run.opId })
        if (r.pending) await adapter.waitFor(r.pending, { timeoutMs: 10 * 60_000, opId: run.opId })
      }
      store.tx(() => {
        instances.update(fresh.id, { state: 'DELETED' })
        closeBilling(store, fresh.id, ctx.now(), 'resize rolled back')
        store.repo(JoinSecrets).forget(fresh.id)
      })
      notes.push(`replacement ${fresh.id} deleted`)
    }
  }
  const inst = instances.get(c.instanceId)!
  let state = mine.prior ?? inst.state
  if (c.strategy === 'in-place' && inst.providerId) {
    const adapter = await ctx.provider(inst.provider)
    let server = await adapter.get(inst.providerId, { opId: run.opId })
    // A provider that stops a server to resize it (Hetzner) leaves it off when the resize fails.
    if (server?.status === 'off') {
      run.audit({
        action: 'provider.power-on',
        target: inst.id,
        details: { provider: inst.provider, serverId: inst.providerId, reason: 'resize rolled back' },
      })
      const pending = await adapter.powerOn(inst.providerId, { opId: run.opId })
      await adapter.waitFor(pending, { timeoutMs: 10 * 60_000, opId: run.opId })
      server = await adapter.get(inst.providerId, { opId: run.opId })
    }
    if (!server) state = 'FAILED'
    else if (server.status !== 'running') state = 'DEGRADED'
    else if (state === 'ACTIVE' && inst.nodeId && at.phase !== 'resize') {
      // It was the join or OpenClaw that failed: ACTIVE only if it serves now.
      const live = await firstHealth(await ctx.nodes(), { id: inst.id, nodeId: inst.nodeId }, 0).catch(
        () => false,
      )
      if (!live) state = 'DEGRADED'
    } else if (state === 'ACTIVE' && !inst.nodeId && at.phase !== 'resize') state = 'DEGRADED'
    // The label follows the server: a resize the provider did stays recorded, one it did not is not.
    const tier = server && server.plan === adapter.planFor(x.tier) ? x.tier : inst.tier
    store.tx(() => {
      const next = instances.update(inst.id, { state, tier })
      if (tier !== inst.tier) resizeBilling(store, next, ctx.now())
    })
    notes.push(`${inst.id} ${state} on ${server?.plan ?? 'no server'}`)
  } else if (inst.state !== state) {
    instances.update(inst.id, { state })
  }
  if (mine.switchedWith && state === 'ACTIVE') {
    const partner = instances.get(mine.switchedWith)
    if (partner?.role === 'primary') {
      run.audit({
        action: 'resize.switchover',
        target: x.pairId,
        details: { from: partner.id, to: inst.id, reason: 'resize rolled back' },
      })
      store.tx(() => {
        instances.update(partner.id, { role: 'standby' })
        instances.update(inst.id, { role: 'primary' })
      })
      notes.push(`${inst.id} primary again`)
    }
  }
  delete progress.members![c.instanceId]
  run.checkpoint(progress)
  return notes.join('; ') || 'nothing to undo'
}

/** The failure as the operator reads it: provider, server and step named. */
function failed(err: unknown, x: PairResize, c: MemberChange, at: At, undone: string): UserError {
  const code = err instanceof UserError ? err.code : 'PROVIDER_ERROR'
  const server = at.serverId ? `${at.provider} server ${at.serverId}` : `${at.provider} (no server yet)`
  return new UserError(
    code,
    `resize of ${c.instanceId} (pair ${x.pairId}) failed at ${at.phase} on ${server}: ${messageOf(err)} (${undone})`,
    {
      ...(err instanceof UserError && err.hint ? { hint: err.hint } : {}),
      details: {
        ...(err instanceof UserError ? (err.details as object) : {}),
        pairId: x.pairId,
        instanceId: c.instanceId,
        step: at.phase,
        provider: at.provider,
        serverId: at.serverId,
        rolledBack: undone,
      },
    },
  )
}
