/**
 * `clawops resize --tier T <selector>`: a tier change without user downtime. Per pair, the member
 * that is standby is changed first; a member that is primary is first switched over to its ACTIVE
 * standby (roles swap; nothing is quarantined), so the member being changed never serves the user.
 * Each member uses its provider's strategy: in place where the provider can (Hetzner, DigitalOcean;
 * Vultr only upward), otherwise by replacement: a new server on the new tier (or on `--provider`),
 * the user's state moved through the two nodes, the old server deleted (audited first). One
 * journaled, idempotent step per pair.
 */
import { z } from 'zod'
import { migrateUserState } from '../archive/migrate.js'
import type { Context } from '../context.js'
import { findRegion, regionsOf } from '../domain/catalog.js'
import type { Instance } from '../domain/instance.js'
import { type Provider, ProviderSchema } from '../domain/provider.js'
import { TIERS, type Tier, TierSchema } from '../domain/tier.js'
import type { OperationKind, StepRun } from '../engine/kind.js'
import { UserError } from '../errors.js'
import { selectInstances } from '../fleet/instance-query.js'
import { removeDevice } from '../gateway/pairing.js'
import { originsOf, planPrices } from '../pricing/book.js'
import { derivedId, firstHealth, provisionMember } from '../provisioning/member.js'
import { provisioningSettings } from '../provisioning/settings.js'
import { closeBilling, resizeBilling } from '../store/billing.js'
import { Instances } from '../store/instances.js'
import { JoinSecrets } from '../store/join-secrets.js'

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
    if (targets.length === 0) {
      throw new UserError('CONFLICT', `nothing to change: every matching instance is already ${p.tier}`, {
        hint: 'Check the selector with clawops instance list.',
      })
    }
    const priced = [...new Set(targets.flatMap((t) => [t.provider, p.provider ?? t.provider]))]
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
        changes.push({
          instanceId: m.id,
          fromTier: m.tier,
          strategy,
          provider,
          region: regionOn(provider, m),
          newInstanceId: strategy === 'replace' ? derivedId('i', salt, `${pairId}:${m.id}`) : null,
        })
        delta +=
          book.monthlyUsdCents(provider, p.tier, regionOn(provider, m)) -
          book.monthlyUsdCents(m.provider, m.tier, m.region)
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
}

export default kind

/** Swaps roles so `member` becomes the standby; refused when its partner cannot serve. */
function switchOver(run: StepRun, member: Instance): void {
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
}

async function inPlace(run: StepRun, inst: Instance, tier: Tier): Promise<void> {
  const ctx = run.ctx
  const adapter = await ctx.provider(inst.provider)
  const settings = provisioningSettings(ctx.config())
  run.audit({
    action: 'resize.in-place',
    target: inst.id,
    details: { provider: inst.provider, from: inst.tier, to: tier },
  })
  ctx.store().repo(Instances).update(inst.id, { state: 'RESIZING' })
  await adapter.resize(inst.providerId!, adapter.planFor(tier), {
    opId: run.opId,
    timeoutMs: settings.bootTimeoutSeconds * 1000,
  })
  const nodeId = await (await ctx.joins()).waitForNode(inst.id, settings.joinTimeoutSeconds * 1000)
  const invoker = await ctx.nodes()
  const ok = await firstHealth(invoker, { id: inst.id, nodeId })
  const store = ctx.store()
  store.tx(() => {
    const next = store
      .repo(Instances)
      .update(inst.id, { tier, nodeId, state: ok ? 'ACTIVE' : 'DEGRADED', lastHeartbeatAt: ctx.now() })
    resizeBilling(store, next, ctx.now())
  })
}

async function replace(run: StepRun, x: PairResize, old: Instance, c: MemberChange): Promise<void> {
  const ctx = run.ctx
  const store = ctx.store()
  const instances = store.repo(Instances)
  run.progress(`${x.pairId}: replacing ${old.id} with a ${x.tier} server on ${c.provider}`)
  const created = await provisionMember(run, {
    instanceId: c.newInstanceId!,
    pairId: x.pairId,
    userId: x.userId,
    tier: x.tier,
    role: 'standby',
    provider: c.provider,
    region: c.region,
    labels: old.labels,
  })
  const invoker = await ctx.nodes()
  if (old.nodeId && old.state !== 'DELETED') {
    await migrateUserState(
      invoker,
      { id: old.id, nodeId: old.nodeId },
      { id: created.instanceId, nodeId: created.nodeId },
    )
  }
  if (old.providerId) {
    const adapter = await ctx.provider(old.provider)
    run.audit({
      action: 'provider.delete',
      target: old.id,
      details: { provider: old.provider, serverId: old.providerId, replacedBy: created.instanceId },
    })
    const r = await adapter.delete(old.providerId, { opId: run.opId })
    if (r.pending) await adapter.waitFor(r.pending, { timeoutMs: 10 * 60_000, opId: run.opId })
  }
  if (old.nodeId) {
    const { client } = await ctx.joins()
    await removeDevice(client, old.nodeId).catch(() => undefined)
  }
  store.tx(() => {
    instances.update(old.id, { state: 'DELETED' })
    closeBilling(store, old.id, ctx.now(), `replaced by ${created.instanceId}`)
    store.repo(JoinSecrets).forget(old.id)
  })
}

async function resizePair(run: StepRun, x: PairResize) {
  const instances = run.ctx.store().repo(Instances)
  const results = []
  for (const c of x.changes) {
    let inst = instances.get(c.instanceId)!
    const replacement = c.newInstanceId ? instances.get(c.newInstanceId) : undefined
    const finished =
      c.strategy === 'in-place'
        ? inst.tier === x.tier && inst.state === 'ACTIVE'
        : inst.state === 'DELETED' && replacement?.state === 'ACTIVE'
    if (!finished) {
      if (inst.role === 'primary' && inst.state !== 'DELETED') {
        switchOver(run, inst)
        inst = instances.get(c.instanceId)!
      }
      if (c.strategy === 'in-place') await inPlace(run, inst, x.tier)
      else await replace(run, x, inst, c)
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
