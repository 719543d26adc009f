/**
 * `clawops teardown`: removes instances (usually a user's whole pair) for good. Safety, in order:
 * the policy refuses an ACTIVE primary whose standby is not ACTIVE unless the whole pair goes (rule
 * 1); the user's OpenClaw state is archived through gf-clawnode first (no archive, no delete, unless
 * --no-archive); an audit entry is written before every provider delete (rule 3). One journaled step
 * per pair, idempotent: a resumed step skips what is already archived or gone.
 */
import { z } from 'zod'
import { type ArchiveRecord, archiveUserState } from '../archive/archive.js'
import type { Context } from '../context.js'
import type { Instance, InstanceState } from '../domain/instance.js'
import type { OperationKind, StepRun } from '../engine/kind.js'
import { UserError } from '../errors.js'
import { selectInstances } from '../fleet/instance-query.js'
import { removeDevice } from '../gateway/pairing.js'
import type { TeardownFact } from '../policy/rules.js'
import { originsOf, planPrices } from '../pricing/book.js'
import { removeTailscaleDevice } from '../provisioning/tailscale.js'
import { closeBilling } from '../store/billing.js'
import { Instances } from '../store/instances.js'
import { JoinSecrets } from '../store/join-secrets.js'

export const TeardownParamsSchema = z
  .object({
    ids: z.array(z.string().min(1)).min(1).optional(),
    selector: z.string().optional(),
    archive: z.boolean().default(true),
  })
  .strict()
  .refine((p) => p.ids !== undefined || p.selector !== undefined, 'give instance ids or a selector')
export type TeardownParams = z.infer<typeof TeardownParamsSchema>

/** What a pair's step has done so far: the archive, and each member's state before it was marked ARCHIVING. */
interface TeardownCheckpoint {
  archive?: ArchiveRecord | null
  was?: Record<string, InstanceState>
}

interface PairTeardown {
  pairId: string
  userId: string
  instanceIds: string[]
  /** The member whose node serves the archive (an ACTIVE one, primary first); null: nothing to archive from. */
  archiveFrom: string | null
}

/**
 * Rule 1's facts for the members of one pair that go: each with its role, state and the state of the
 * member that would be left to serve (the other live member of the pair). Used when planning and,
 * again, just before each pair's step runs (a resume may find the fleet changed).
 */
function teardownFacts(members: readonly Instance[], going: readonly string[]): TeardownFact[] {
  const live = members.filter((m) => m.state !== 'DELETED')
  const wholePair = live.every((m) => going.includes(m.id))
  return live
    .filter((t) => going.includes(t.id))
    .map((t) => {
      const partner = live.find((m) => m.id !== t.id && m.role !== t.role) ?? live.find((m) => m.id !== t.id)
      return {
        instanceId: t.id,
        role: t.role,
        state: t.state,
        partnerState: partner?.state ?? null,
        wholePair,
      }
    })
}

function targetsOf(ctx: Context, p: TeardownParams): Instance[] {
  const found = selectInstances(ctx, {
    ...(p.ids ? { ids: p.ids } : {}),
    ...(p.selector ? { selector: p.selector } : {}),
  })
  if (p.ids) {
    const missing = p.ids.filter((id) => !found.some((i) => i.id === id))
    if (missing.length) throw new UserError('NOT_FOUND', `no instance ${missing.join(', ')}`)
  }
  return found.filter((i) => i.state !== 'DELETED')
}

const kind: OperationKind<TeardownParams> = {
  kind: 'teardown',
  action: 'teardown',
  continueOnFailure: true,
  concurrency: 4,
  parseParams(raw) {
    const r = TeardownParamsSchema.safeParse(raw)
    if (!r.success) throw new UserError('INVALID_INPUT', r.error.issues.map((i) => i.message).join('; '))
    return r.data
  },
  async plan(ctx, p) {
    const targets = targetsOf(ctx, p)
    if (targets.length === 0)
      throw new UserError('NOT_FOUND', 'no live instance matches', {
        hint: 'Check with clawops instance list.',
      })
    const instances = ctx.store().repo(Instances)
    const byPair = Map.groupBy(targets, (t) => t.pairId)
    const facts: TeardownFact[] = []
    const pairs: PairTeardown[] = []
    for (const [pairId, members] of byPair) {
      const all = instances.list({ pairId })
      const pairFacts = teardownFacts(
        all,
        members.map((m) => m.id),
      )
      facts.push(...pairFacts)
      const wholePair = pairFacts.every((f) => f.wholePair)
      const live = [...members].sort(
        (a, b) => (a.role === 'primary' ? -1 : 1) - (b.role === 'primary' ? -1 : 1),
      )
      const source = live.find((m) => m.state === 'ACTIVE' && m.nodeId) ?? live.find((m) => m.nodeId) ?? null
      pairs.push({
        pairId,
        userId: members[0]!.userId,
        instanceIds: members.map((m) => m.id),
        archiveFrom: p.archive && wholePair ? (source?.id ?? null) : null,
      })
    }
    const providers = [...new Set(targets.map((t) => t.provider))]
    const book = await planPrices(ctx, providers)
    const saving = targets.reduce((s, t) => s + book.monthlyUsdCents(t.provider, t.tier, t.region), 0)
    return {
      summary: `tear down ${targets.length} instance${targets.length === 1 ? '' : 's'} of ${pairs.length} pair${pairs.length === 1 ? '' : 's'}${p.archive ? ', archiving user state first' : ', WITHOUT archiving'}`,
      targets: targets.map((t) => t.id),
      affectedUsers: new Set(targets.map((t) => t.userId)).size,
      costDeltaMonthlyUsdCents: -saving,
      steps: pairs.map((x) => ({ name: 'pair', target: x.pairId, input: x })),
      locks: pairs.map((x) => `pair:${x.pairId}`),
      facts: { teardown: facts, prices: originsOf(book, providers) },
    }
  },
  recheck(ctx, _p, step) {
    const x = step.input as PairTeardown
    // A member this step marked ARCHIVING still serves until its server is deleted: rule 1 judges it
    // by the state it had before (a retry after a failed delete must not read its own mark as
    // "not ACTIVE"). One without a record is taken as ACTIVE.
    const was = (step.checkpoint as TeardownCheckpoint | null)?.was ?? {}
    const members = ctx
      .store()
      .repo(Instances)
      .list({ pairId: x.pairId })
      .map((m) =>
        m.state === 'ARCHIVING' && x.instanceIds.includes(m.id) ? { ...m, state: was[m.id] ?? 'ACTIVE' } : m,
      )
    return { teardown: teardownFacts(members, x.instanceIds) }
  },
  runStep(run) {
    return teardownPair(run, run.step.input as PairTeardown)
  },
}

export default kind

async function teardownPair(run: StepRun, x: PairTeardown) {
  const ctx = run.ctx
  const store = ctx.store()
  const instances = store.repo(Instances)
  const done = (run.step.checkpoint as TeardownCheckpoint | null) ?? {}
  let archive = done.archive ?? null
  const was = { ...done.was }
  if (x.archiveFrom && !archive) {
    const source = instances.get(x.archiveFrom)!
    run.progress(`${x.pairId}: archiving user state from ${source.id}`)
    const invoker = await ctx.nodes()
    archive = await archiveUserState(ctx, invoker, source)
    run.checkpoint({ archive, was })
  }
  const deleted = []
  for (const id of x.instanceIds) {
    const inst = instances.get(id)!
    if (inst.state === 'DELETED') continue
    if (inst.state !== 'ARCHIVING') {
      // Recorded before the mark, so a retry judges rule 1 by this state (see recheck).
      was[id] = inst.state
      run.checkpoint({ archive, was })
      instances.update(id, { state: 'ARCHIVING' })
    }
    let outcome: { mode: string; effectiveAt: string | null; alreadyGone: boolean } = {
      mode: 'none',
      effectiveAt: null,
      alreadyGone: true,
    }
    if (inst.providerId) {
      const adapter = await ctx.provider(inst.provider)
      // Rule 3: the audit record exists before the provider is asked to delete anything.
      run.audit({
        action: 'provider.delete',
        target: id,
        details: { provider: inst.provider, serverId: inst.providerId },
      })
      const r = await adapter.delete(inst.providerId, { opId: run.opId })
      if (r.pending) await adapter.waitFor(r.pending, { timeoutMs: 10 * 60_000, opId: run.opId })
      outcome = { mode: r.mode, effectiveAt: r.effectiveAt, alreadyGone: r.alreadyGone }
    }
    if (inst.nodeId) {
      const { client } = await ctx.joins()
      await removeDevice(client, inst.nodeId).catch(() => undefined)
    }
    await removeTailscaleDevice(run, inst)
    store.tx(() => {
      instances.update(id, { state: 'DELETED' })
      closeBilling(store, id, ctx.now(), 'delete')
      store.repo(JoinSecrets).forget(id)
    })
    deleted.push({ instanceId: id, provider: inst.provider, serverId: inst.providerId, ...outcome })
  }
  return {
    pairId: x.pairId,
    userId: x.userId,
    archive: archive
      ? { location: archive.location, bytes: archive.bytes, expiresAt: archive.expiresAt }
      : null,
    deleted,
  }
}
