/**
 * `clawops resize --tier T <selector>`: a tier change without user downtime. Per pair, the member
 * that is standby is changed first. Each member uses its provider's strategy: in place where the
 * provider can (Hetzner, DigitalOcean; Vultr only upward), otherwise by replacement: a new server on
 * the new tier (or on `--provider`), the user's state moved through the two nodes, the old server
 * deleted (audited first). One journaled, idempotent step per pair; the operation's lease on the pair
 * (engine/locks.ts) keeps other operations and watch off it meanwhile, so no row needs a
 * "being resized" state.
 *
 * Everything a step needs is checked by the plan (each provider's credentials, the gateway token,
 * a price for the new tier, a region on the target provider), and a plan never puts both members of
 * a pair on one provider. No row changes before the provider confirms:
 * - By replacement, the replacement's id is journaled before the provider create, and its row is
 *   written only once the create has answered with the server (a resume adopts that server by its
 *   name and op label). The old member keeps serving, its role included, until the replacement
 *   serves with the user's state; then, for a primary, the roles move to the replacement in one
 *   transaction (the user is never without a serving primary), and only then is the old server
 *   deleted.
 * - In place, the provider first confirms the server; a primary's own server goes down while the
 *   provider resizes it, so it hands the user to its ACTIVE partner just before the resize call (the
 *   swap journaled with it), the one row change made ahead of the provider's answer, because the
 *   alternative is downtime.
 * The tier label is the last thing changed. A member that fails is put back as it was: a replacement
 * is deleted (audited first), found by its row or, when none was written yet, at the provider; a
 * switch-over is undone once the member serves again; its row tells the truth checked at the
 * provider. The error names the provider, the server and the step. */
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
  /**
   * What a failed step left half done: a member whose old server's delete began and whose row is not
   * DELETED yet, a member whose rollback did not finish (its journal entry is still there: a
   * replacement may exist at the provider), and any replacement row left CREATING or BOOTSTRAPPING.
   */
  unsettled(ctx, _p, steps) {
    const instances = ctx.store().repo(Instances)
    const out = new Set<string>()
    for (const s of steps.filter((x) => x.state !== 'done')) {
      const members = (s.checkpoint as Progress | null)?.members ?? {}
      for (const c of (s.input as PairResize).changes) {
        const m = members[c.instanceId]
        if (m && (m.deleting || m.replacement || m.switchedWith)) {
          if (instances.get(c.instanceId)?.state !== 'DELETED' || !m.deleting) out.add(c.instanceId)
        }
        for (const id of [c.newInstanceId, m?.replacement]) {
          const r = id ? instances.get(id) : undefined
          if (r && ['RESIZING', 'CREATING', 'BOOTSTRAPPING'].includes(r.state)) out.add(r.id)
        }
      }
    }
    return [...out]
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

/**
 * An in-place resize takes the member's own server down, so a primary hands the user to its ACTIVE
 * partner first (roles swap; nothing is quarantined). Refused when the partner cannot serve. The swap
 * and its journal record are one transaction: a resume, or a rollback, knows it happened.
 */
function switchOver(run: StepRun, member: Instance, progress: Progress): void {
  const store = run.ctx.store()
  const instances = store.repo(Instances)
  const partner = instances
    .list({ pairId: member.pairId })
    .find((i) => i.id !== member.id && i.state === 'ACTIVE')
  if (!partner) {
    throw new UserError(
      'POLICY_DENIED',
      `${member.id} is the primary and its pair has no other ACTIVE member: resizing it in place would take the user offline`,
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
  store.tx(() => {
    instances.update(partner.id, { role: 'primary' })
    instances.update(member.id, { role: 'standby' })
    progress.members![member.id]!.switchedWith = partner.id
    run.checkpoint(progress)
  })
}

/** Where a member's change is, for its failure message and for what a rollback must undo. */
interface At {
  phase: string
  /** The provider and server the phase works on. */
  provider: Provider
  serverId: string | null
}

/**
 * What a step has done so far (checkpointed in the journal), so a resume neither repeats nor undoes
 * anything wrongly. Per member: the replacement's instance id, recorded before its provider create
 * (a resume adopts that server by its name and op label; a rollback finds it there even before any
 * row names it); the partner a primary handed over to (in place); whether the old server's delete began.
 */
interface Progress {
  members?: Record<string, { replacement?: string; switchedWith?: string | null; deleting?: boolean }>
}

async function inPlace(run: StepRun, inst: Instance, tier: Tier, at: At, progress: Progress): Promise<void> {
  const ctx = run.ctx
  const adapter = await ctx.provider(inst.provider)
  const settings = provisioningSettings(ctx.config())
  const plan = adapter.planFor(tier)
  at.phase = 'resize'
  // The provider confirms the server first: nothing changes for a server it does not know.
  const server = await adapter.get(inst.providerId!, { opId: run.opId })
  if (!server) throw new UserError('PROVIDER_ERROR', 'the server does not exist at the provider')
  // A resumed step finds the server already on the new plan: the provider did it, do not ask twice.
  if (server.plan !== plan) {
    if (inst.role === 'primary') {
      at.phase = 'switch-over'
      switchOver(run, inst, progress)
      at.phase = 'resize'
    }
    run.audit({
      action: 'resize.in-place',
      target: inst.id,
      details: { provider: inst.provider, serverId: inst.providerId, from: inst.tier, to: tier },
    })
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

/**
 * The replacement's instance id for this run: the plan's, unless an earlier run of the step rolled a
 * replacement of that id back (its row DELETED); then one derived from the run, so a retried resize
 * never takes up the deleted server again.
 */
function replacementIdFor(run: StepRun, c: MemberChange): string {
  const prior = run.ctx.store().repo(Instances).get(c.newInstanceId!)
  if (prior?.state !== 'DELETED') return c.newInstanceId!
  return derivedId('i', c.newInstanceId!, `retry:${run.step.attempts}`)
}

async function replace(
  run: StepRun,
  x: PairResize,
  old: Instance,
  c: MemberChange,
  at: At,
  progress: Progress,
): Promise<string> {
  const ctx = run.ctx
  const store = ctx.store()
  const instances = store.repo(Instances)
  const mine = progress.members![old.id]!
  // The intent is in the journal before the provider is asked for anything.
  if (!mine.replacement) {
    mine.replacement = replacementIdFor(run, c)
    run.checkpoint(progress)
  }
  const newId = mine.replacement
  if (!mine.deleting) {
    run.progress(`${x.pairId}: replacing ${old.id} with a ${x.tier} server on ${c.provider}`)
    at.phase = 'create'
    at.provider = c.provider
    at.serverId = null
    // No row is written until the provider has answered the create with its server.
    const created = await provisionMember(
      run,
      {
        instanceId: newId,
        pairId: x.pairId,
        userId: x.userId,
        tier: x.tier,
        role: 'standby',
        provider: c.provider,
        region: c.region,
        labels: old.labels,
        nameKey: `${x.pairId}-${newId.slice(-4)}`,
        replaces: old.id,
      },
      { rowAfterCreate: true },
    )
    at.serverId = created.serverId
    const invoker = await ctx.nodes()
    let serves = created.active
    if (old.nodeId && old.state !== 'DELETED') {
      at.phase = 'state copy'
      const moved = await migrateUserState(
        invoker,
        { id: old.id, nodeId: old.nodeId },
        { id: newId, nodeId: created.nodeId },
      )
      serves = moved.healthy
    }
    at.phase = 'first health'
    if (!serves) serves = await firstHealth(invoker, { id: newId, nodeId: created.nodeId })
    if (!serves) throw new UserError('NODE_ERROR', `OpenClaw on the replacement ${newId} does not serve`)
    // The replacement serves: a primary hands the user over to it now (zero downtime: the old server
    // served until this transaction), and from here the old server goes, never copied from again.
    at.phase = 'switch-over'
    const current = instances.get(old.id)!
    if (current.role === 'primary')
      run.audit({ action: 'resize.switchover', target: x.pairId, details: { from: old.id, to: newId } })
    store.tx(() => {
      if (current.role === 'primary') {
        instances.update(old.id, { role: 'standby' })
        instances.update(newId, { role: 'primary' })
      }
      instances.update(newId, { state: 'ACTIVE', healthScore: 100, lastHeartbeatAt: ctx.now() })
      mine.deleting = true
      run.checkpoint(progress)
    })
  }
  at.phase = 'delete'
  at.provider = old.provider
  at.serverId = old.providerId
  if (old.providerId) {
    const adapter = await ctx.provider(old.provider)
    run.audit({
      action: 'provider.delete',
      target: old.id,
      details: { provider: old.provider, serverId: old.providerId, replacedBy: newId },
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
    closeBilling(store, old.id, ctx.now(), `replaced by ${newId}`)
    store.repo(JoinSecrets).forget(old.id)
  })
  return newId
}

async function resizePair(run: StepRun, x: PairResize) {
  const instances = run.ctx.store().repo(Instances)
  const progress: Progress = structuredClone((run.step.checkpoint as Progress | null) ?? {})
  progress.members ??= {}
  const results = []
  for (const c of x.changes) {
    const inst = instances.get(c.instanceId)!
    const replacementId = progress.members[c.instanceId]?.replacement ?? c.newInstanceId
    const replacement = replacementId ? instances.get(replacementId) : undefined
    const finished =
      c.strategy === 'in-place'
        ? inst.tier === x.tier && inst.state === 'ACTIVE'
        : inst.state === 'DELETED' && replacement?.state === 'ACTIVE'
    let now = c.strategy === 'in-place' ? c.instanceId : (replacementId ?? c.instanceId)
    if (!finished) {
      progress.members[c.instanceId] ??= {}
      const at: At = { phase: 'plan', provider: inst.provider, serverId: inst.providerId }
      try {
        if (c.strategy === 'in-place') await inPlace(run, inst, x.tier, at, progress)
        else now = await replace(run, x, inst, c, at, progress)
      } catch (err) {
        // A phase of the replacement's provisioning (boot, join, health) names itself.
        const phase =
          err instanceof UserError ? (err.details as { phase?: string } | undefined)?.phase : undefined
        if (at.phase === 'create' && phase && phase !== 'create') at.phase = phase
        const made = progress.members[c.instanceId]?.replacement
        if (at.provider === c.provider && !at.serverId && made)
          at.serverId = instances.get(made)?.providerId ?? null
        const undone = await putBack(run, x, c, progress, at).catch(
          (e: unknown) => `not put back: ${messageOf(e)}`,
        )
        throw failed(err, x, c, at, undone)
      }
    }
    results.push({ instanceId: c.instanceId, strategy: c.strategy, now, tier: x.tier })
  }
  return { pairId: x.pairId, changes: results }
}

const messageOf = (e: unknown) => (e instanceof Error ? e.message : String(e))

/**
 * The replacement's server, found at the provider when no row names it yet (the create answered,
 * then the process stopped or failed before writing it): this operation's server with the
 * replacement's instance label, or, on a provider without labels, with the replacement's name key.
 */
async function unrecordedServer(run: StepRun, c: MemberChange, x: PairResize, id: string) {
  const adapter = await run.ctx.provider(c.provider)
  const key = `${x.pairId}-${id.slice(-4)}`.toLowerCase().replace(/[^a-z0-9-]+/g, '-')
  return (await adapter.findByOpLabel(run.opId, { opId: run.opId })).filter(
    (s) =>
      (s.labels['clawops/instance'] ?? (s.name.includes(key) ? id : undefined)) === id &&
      run.ctx.store().repo(Instances).holderOfServer(s.provider, s.id) === undefined,
  )
}

/**
 * After a member's change failed: the pair as it was, as far as the provider allows. A replacement
 * that never took over is deleted (audited first), found by its row or, when the create answered but
 * no row was written yet, at the provider; its row (if any) is DELETED. The old member keeps its
 * row; resized in place, it gets the state and tier its server now has (checked at the provider);
 * roles swap back when it serves again. Once the old server's delete began there is no going back:
 * the step stays failed for a resume to finish. Returns what was done, for the error.
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
  if (mine.replacement) {
    const id = mine.replacement
    const fresh = instances.get(id)
    const servers =
      fresh && fresh.state !== 'DELETED'
        ? fresh.providerId
          ? [{ provider: fresh.provider, id: fresh.providerId }]
          : []
        : fresh
          ? []
          : await unrecordedServer(run, c, x, id)
    for (const srv of servers) {
      if (at.phase === 'create' && !at.serverId) at.serverId = srv.id
      const adapter = await ctx.provider(srv.provider)
      run.audit({
        action: 'provider.delete',
        target: id,
        details: { provider: srv.provider, serverId: srv.id, reason: 'resize rolled back' },
      })
      const r = await adapter.delete(srv.id, { opId: run.opId })
      if (r.pending) await adapter.waitFor(r.pending, { timeoutMs: 10 * 60_000, opId: run.opId })
      notes.push(`replacement ${id} (${srv.provider} server ${srv.id}) deleted`)
    }
    if (fresh && fresh.state !== 'DELETED') {
      store.tx(() => {
        instances.update(fresh.id, { state: 'DELETED' })
        closeBilling(store, fresh.id, ctx.now(), 'resize rolled back')
        store.repo(JoinSecrets).forget(fresh.id)
      })
      if (servers.length === 0) notes.push(`replacement ${id} deleted`)
    } else if (!fresh) store.repo(JoinSecrets).forget(id)
  }
  const inst = instances.get(c.instanceId)!
  let state = inst.state
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
      try {
        const pending = await adapter.powerOn(inst.providerId, { opId: run.opId })
        await adapter.waitFor(pending, { timeoutMs: 10 * 60_000, opId: run.opId })
      } catch (err) {
        // Left off: the row says so (DEGRADED), and watch heals it once the operation has ended.
        notes.push(`${inst.provider} server ${inst.providerId} not powered on again: ${messageOf(err)}`)
      }
      server = await adapter.get(inst.providerId, { opId: run.opId })
    }
    if (!server) state = 'FAILED'
    else if (server.status !== 'running') state = 'DEGRADED'
    else if (state === 'ACTIVE' && inst.nodeId && ['join', 'first health'].includes(at.phase)) {
      // It was the join or OpenClaw that failed: ACTIVE only if it serves now.
      const live = await firstHealth(await ctx.nodes(), { id: inst.id, nodeId: inst.nodeId }, 0).catch(
        () => false,
      )
      if (!live) state = 'DEGRADED'
    }
    // The label follows the server: a resize the provider did stays recorded, one it did not is not.
    const tier = server && server.plan === adapter.planFor(x.tier) ? x.tier : inst.tier
    if (state !== inst.state || tier !== inst.tier) {
      store.tx(() => {
        const next = instances.update(inst.id, { state, tier })
        if (tier !== inst.tier) resizeBilling(store, next, ctx.now())
      })
    }
    notes.push(`${inst.id} ${state} on ${server?.plan ?? 'no server'}`)
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
