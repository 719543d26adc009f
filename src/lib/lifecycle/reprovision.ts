/**
 * `clawops reprovision run`: provisions the replacement standbys that failovers queued, once their
 * provider has recovered (the queue's `ready` items): a new standby for each pair on the queued
 * provider and region, through the same member provisioning as `clawops provision`. The old,
 * quarantined primary is left for an explicit teardown (Guardian never deletes; a human or Commander
 * decides). The queue item is claimed by the operation and marked done with the new instance.
 */
import { z } from 'zod'
import type { Provider } from '../domain/provider.js'
import type { Tier } from '../domain/tier.js'
import type { OperationKind } from '../engine/kind.js'
import { UserError } from '../errors.js'
import { originsOf, planPrices } from '../pricing/book.js'
import { derivedId, provisionMember } from '../provisioning/member.js'
import { Instances } from '../store/instances.js'
import { ReprovisionQueue } from '../store/reprovision-queue.js'

export const ReprovisionParamsSchema = z.object({ ids: z.array(z.string().min(1)).optional() }).strict()
export type ReprovisionParams = z.infer<typeof ReprovisionParamsSchema>

interface ItemInput {
  itemId: string
  pairId: string
  userId: string
  provider: Provider
  region: string
  tier: Tier
  instanceId: string
  replaces: string
  labels: Record<string, string>
}

const kind: OperationKind<ReprovisionParams> = {
  kind: 'reprovision',
  action: 'provision',
  continueOnFailure: true,
  concurrency: 4,
  parseParams(raw) {
    const r = ReprovisionParamsSchema.safeParse(raw ?? {})
    if (!r.success) throw new UserError('INVALID_INPUT', r.error.issues.map((i) => i.message).join('; '))
    return r.data
  },
  async plan(ctx, p, { salt }) {
    const queue = ctx.store().repo(ReprovisionQueue)
    const instances = ctx.store().repo(Instances)
    const ready = queue.list({ states: ['ready'] }).filter((i) => !p.ids || p.ids.includes(i.id))
    if (ready.length === 0) {
      throw new UserError('NOT_FOUND', 'no replacement standby is ready to provision', {
        hint: 'See clawops reprovision list: items wait until their provider has recovered.',
      })
    }
    const items: ItemInput[] = ready.map((i) => {
      const old = instances.get(i.replacesInstanceId)
      return {
        itemId: i.id,
        pairId: i.pairId,
        userId: old?.userId ?? i.pairId,
        provider: i.provider as Provider,
        region: i.region,
        tier: i.tier as Tier,
        instanceId: derivedId('i', salt, i.id),
        replaces: i.replacesInstanceId,
        labels: old?.labels ?? {},
      }
    })
    const providers = [...new Set(items.map((x) => x.provider))]
    const book = await planPrices(ctx, providers)
    return {
      summary: `provision ${items.length} replacement standby${items.length === 1 ? '' : 's'}`,
      targets: items.map((x) => x.pairId),
      affectedUsers: new Set(items.map((x) => x.userId)).size,
      costDeltaMonthlyUsdCents: items.reduce(
        (s, x) => s + book.monthlyUsdCents(x.provider, x.tier, x.region),
        0,
      ),
      locks: [...new Set(items.map((x) => `pair:${x.pairId}`))],
      steps: items.map((x) => ({ name: 'standby', target: x.pairId, input: x })),
      facts: {
        reprovision: items.map((x) => [x.itemId, x.provider, x.region]),
        prices: originsOf(book, providers),
      },
    }
  },
  async runStep(run) {
    const x = run.step.input as ItemInput
    const queue = run.ctx.store().repo(ReprovisionQueue)
    const item = queue.get(x.itemId)
    if (item?.state === 'ready') queue.claim(x.itemId, run.opId, run.ctx.now())
    else if (item?.state !== 'claimed' || item.opId !== run.opId) {
      throw new UserError('CONFLICT', `replacement ${x.itemId} is ${item?.state ?? 'gone'}, not ready`)
    }
    const member = await provisionMember(run, { ...x, role: 'standby' })
    queue.finish(x.itemId, 'done', run.ctx.now())
    return {
      pairId: x.pairId,
      standby: member,
      replaced: x.replaces,
      note: `${x.replaces} stays QUARANTINED until torn down`,
    }
  },
}

export default kind
