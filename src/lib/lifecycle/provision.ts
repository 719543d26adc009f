import { z } from 'zod'
import type { Context } from '../context.js'
import { regionsOf } from '../domain/catalog.js'
import type { Role } from '../domain/instance.js'
import { LabelsSchema } from '../domain/labels.js'
import { type Provider, ProviderSchema, REGION_GROUPS, type RegionGroup } from '../domain/provider.js'
import { type Tier, TierSchema } from '../domain/tier.js'
import type { OperationKind, StepRun } from '../engine/kind.js'
import { UserError } from '../errors.js'
import { chooseShard, shardsTakingNodes } from '../gateway/shards.js'
import { providerHealth } from '../ledger/provider-health.js'
import { originsOf, planPrices } from '../pricing/book.js'
import { deliverWebhook, enqueueCompanionWebhook } from '../provisioning/companion-webhook.js'
import { phaseClock } from '../provisioning/eta.js'
import { derivedId, type MemberResult, provisionMember, shardLoad } from '../provisioning/member.js'
import { provisioningSettings } from '../provisioning/settings.js'
import { Operations } from '../store/operations.js'
import { currentRouting, poolsFor } from '../store/routing.js'

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
  /** The gateway shard its node joins (the pair's two members on different ones when there are two). */
  gateway: string
}

export interface PairInput {
  pairId: string
  userId: string
  tier: Tier
  labels: Record<string, string>
  members: [MemberPlan, MemberPlan]
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

function countBy(xs: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {}
  for (const x of xs) out[x] = (out[x] ?? 0) + 1
  return out
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
  async plan(ctx, p, { salt }) {
    const { primary, standby, routingVersion } = chooseProviders(ctx, p)
    // Missing credentials are a config error now, not a failed step later.
    await Promise.all([ctx.provider(primary), ctx.provider(standby)])
    const book = await planPrices(ctx, [primary, standby])
    const shards = shardsTakingNodes(ctx.shards())
    const load = shardLoad(ctx)
    const place = (partners: string[]) => {
      const g = chooseShard(shards, load, partners)
      load.set(g, (load.get(g) ?? 0) + 1)
      return g
    }
    const pairs: PairInput[] = Array.from({ length: p.count }, (_, i) => {
      const pairId = derivedId('p', salt, `pair:${i}`)
      const primaryGateway = place([])
      const standbyGateway = place([primaryGateway])
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
            gateway: primaryGateway,
          },
          {
            instanceId: derivedId('i', salt, `standby:${i}`),
            role: 'standby',
            provider: standby,
            region: regionFor(standby, p.group, i),
            gateway: standbyGateway,
          },
        ],
      }
    })
    const priced = pairs.map((x) =>
      x.members.reduce((sum, m) => sum + book.monthlyUsdCents(m.provider, x.tier, m.region), 0),
    )
    for (const m of pairs.flatMap((x) => x.members)) {
      if (book.regionAvailable(m.provider, m.region) === false)
        ctx.warn(`${m.provider} lists region ${m.region} as unavailable (its catalogue as last read)`)
    }
    return {
      summary: `provision ${p.count} ${p.tier} pair${p.count === 1 ? '' : 's'} in ${p.group}: ${primary} primary, ${standby} standby`,
      targets: pairs.map((x) => x.pairId),
      affectedUsers: p.count,
      costDeltaMonthlyUsdCents: priced.reduce((a, b) => a + b, 0),
      locks: pairs.map((x) => `pair:${x.pairId}`),
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
          perPairUsdCents: priced[0] ?? 0,
          ...(shards.length > 1
            ? { gateways: countBy(pairs.flatMap((x) => x.members.map((m) => m.gateway))) }
            : {}),
        },
        prices: originsOf(book, [primary, standby]),
      },
    }
  },
  async runStep(run, p) {
    if (run.step.name === 'notify') return notify(run)
    return provisionPair(run, p, run.step.input as PairInput)
  },
}

export default kind

async function provisionPair(run: StepRun, p: ProvisionParams, x: PairInput) {
  const t0 = Date.now()
  // Both members run to their own end: a failed one never leaves the other half-watched.
  const settled = await Promise.allSettled(
    x.members.map((m) =>
      provisionMember(run, { ...m, pairId: x.pairId, userId: x.userId, tier: x.tier, labels: x.labels }),
    ),
  )
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected')
  if (failed) throw failed.reason
  const members = settled.map((r) => (r as PromiseFulfilledResult<MemberResult>).value)
  const totalMs = Date.now() - t0
  const clock = phaseClock(run.ctx, run.opId)
  clock.observePair(totalMs)
  const counts = run.ctx.store().repo(Operations).stepCounts(run.opId)
  // Steps still pending or running, this one aside (the final notify step is not a pair).
  const left = Math.max(0, counts.pending + counts.running - 2)
  const concurrency = Math.min(provisioningSettings(run.ctx.config()).concurrency, p.count)
  const etaMs = left === 0 ? 0 : clock.pairsRemaining(left, concurrency)
  // A member whose node is up but whose OpenClaw is still starting reads BOOTSTRAPPING (warming up).
  const up = members.every((m) => m.active)
  const state = up ? 'ACTIVE' : 'BOOTSTRAPPING'
  run.progress(
    `${x.pairId}: ${up ? 'ACTIVE' : 'up, OpenClaw warming up'} in ${Math.round(totalMs / 1000)} s${left ? `; ${left} pair(s) to go, about ${Math.ceil(etaMs / 1000)} s` : ''}`,
    { pairId: x.pairId, state, totalMs, pairsLeft: left, etaMs },
  )
  return {
    pairId: x.pairId,
    userId: x.userId,
    members,
    timings: { totalMs, byMember: Object.fromEntries(members.map((m) => [m.role, m.timings])) },
  }
}

/**
 * The final step: one signed webhook to COMPANION with every pair's outcome: `provision.completed`
 * when every pair came up, `provision.failed` when any did not (the failed pairs named, with why).
 */
async function notify(run: StepRun) {
  const ctx = run.ctx
  const steps = ctx
    .store()
    .repo(Operations)
    .steps(run.opId)
    .filter((s) => s.name === 'pair')
  const failed = steps.filter((s) => s.state === 'failed')
  const data = {
    opId: run.opId,
    planId: run.planId,
    failed: failed.map((s) => s.target),
    pairs: steps.map((s) => ({
      pairId: s.target,
      state: s.state,
      ...(s.result ? { result: s.result } : {}),
      ...(s.error ? { error: s.error } : {}),
    })),
  }
  const type = failed.length > 0 ? 'provision.failed' : 'provision.completed'
  // The op id keys the webhook: a resumed run re-sends the same notification, never a second one.
  const id = enqueueCompanionWebhook(ctx, type, data, `whk-${run.opId}`)
  if (!id) return { webhook: 'not-configured', type }
  const outcome = await deliverWebhook(ctx, id)
  return { webhook: outcome.state, type, id, ...(outcome.status ? { status: outcome.status } : {}) }
}
