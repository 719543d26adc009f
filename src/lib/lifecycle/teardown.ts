/**
 * `clawops teardown`: removes instances (usually a user's whole pair) for good, and keeps the user's
 * state or refuses. Per pair, one journaled step, each phase checkpointed so a resume picks up where
 * a crash left it:
 *
 * 1. A primary that goes while its pair stays (its standby ACTIVE) is failed over first: the failover
 *    kind, nested through the engine, sharing this operation's hold on the pair (rule 1 refuses an
 *    ACTIVE primary whose standby is not ACTIVE; a whole pair going is the user leaving).
 * 2. The user's state is archived: through a node of the pair (the primary's first), or, when none
 *    answers, as the provider's snapshot of the primary's disk. No archive, no teardown; only an
 *    explicit --no-archive, confirmed by a human, skips it, and the result says so.
 * 3. Each member goes. Where the provider deletes at once: an audit entry, the delete (rule 3). Where
 *    it bills by contract (Contabo, Hostinger) the server would keep running until the term ends, so
 *    first the user's gateway is stopped and their state wiped through the node (openclaw.wipe), or,
 *    when the node does not answer, the server is reinstalled through the API, unless the provider's
 *    snapshot on that same server is the archive (a reinstall would delete it: Hostinger says so);
 *    then the server is powered off, then cancelled; each step audited before it happens.
 *
 * A step that fails leaves every row telling the truth: a member nothing was done to is back in its
 * state, one whose server is gone is DELETED, one half torn down stays ARCHIVING, and the operation
 * is picked up by a plain `clawops ops resume` (see `unsettled`).
 */
import { z } from 'zod'
import { archiveUserState, snapshotUserState } from '../archive/archive.js'
import type { Context } from '../context.js'
import type { Instance, InstanceState } from '../domain/instance.js'
import type { Provider } from '../domain/provider.js'
import type { OperationKind, StepRun } from '../engine/kind.js'
import { UserError } from '../errors.js'
import { selectInstances } from '../fleet/instance-query.js'
import { removeDevice } from '../gateway/pairing.js'
import { blastRadiusFor } from '../heal/blast-radius.js'
import failoverKind from '../heal/failover.js'
import type { FailoverFact, TeardownFact } from '../policy/rules.js'
import { originsOf, planPrices } from '../pricing/book.js'
import type { ProviderAdapter } from '../providers/types.js'
import { removeTailscaleDevice } from '../provisioning/tailscale.js'
import { type ArchiveRecord, Archives } from '../store/archives.js'
import { closeBilling } from '../store/billing.js'
import { Instances } from '../store/instances.js'
import { JoinSecrets } from '../store/join-secrets.js'
import { Operations } from '../store/operations.js'
import { requireGateway, requireProviders } from './preconditions.js'

export const TeardownParamsSchema = z
  .object({
    ids: z.array(z.string().min(1)).min(1).optional(),
    selector: z.string().optional(),
    archive: z.boolean().default(true),
  })
  .strict()
  .refine((p) => p.ids !== undefined || p.selector !== undefined, 'give instance ids or a selector')
export type TeardownParams = z.infer<typeof TeardownParamsSchema>

/** How a pair's user state is kept, as planned. */
export type ArchivePlan =
  /** Through the first of these members' nodes that answers; else the provider's snapshot of `snapshotOf`. */
  | { how: 'node'; from: string[]; snapshotOf: string | null }
  /** No member has a node: the provider's snapshot of this member's disk. */
  | { how: 'provider-snapshot'; snapshotOf: string }
  /** Only a standby goes: the user's state stays on the primary. */
  | { how: 'kept'; on: string }
  /** No server was ever created for the members that go: there is no state. */
  | { how: 'nothing'; reason: string }
  /** --no-archive, confirmed by a human: the state is lost. */
  | { how: 'skipped'; reason: 'no-archive' }

interface PairTeardown {
  pairId: string
  userId: string
  instanceIds: string[]
  wholePair: boolean
  archive: ArchivePlan
  /** The primary that goes is failed over to this standby first. */
  failover: { primaryId: string; standbyId: string } | null
  /** Why the pair will have no ACTIVE primary afterwards (null: it will, or the whole pair goes). */
  noPrimaryAfter: string | null
}

/** What a step has done so far, checkpointed after every phase. */
interface Progress {
  /** Each member's state before it went ARCHIVING (what a failure before anything was destroyed puts back). */
  prior?: Record<string, InstanceState>
  failoverOp?: string
  askedAt?: string
  archive?: ArchiveRecord | null
  /** Per member: which destructive steps have been done. */
  members?: Record<string, MemberProgress>
}

interface MemberProgress {
  /** The first destructive call was made (from here on the member cannot go back). */
  started?: boolean
  wiped?: 'node' | 'reinstall' | false
  wipeNote?: string
  off?: boolean
  deleted?: { mode: string; effectiveAt: string | null; alreadyGone: boolean }
}

/** Errors that mean "this node cannot do it now", so the next way of keeping the state is tried. */
function unreachable(err: unknown): boolean {
  return err instanceof UserError && ['NODE_ERROR', 'GATEWAY_UNREACHABLE', 'TIMEOUT'].includes(err.code)
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

const primaryFirst = (a: Instance, b: Instance) =>
  (a.role === 'primary' ? 0 : 1) - (b.role === 'primary' ? 0 : 1) ||
  (a.state === 'ACTIVE' ? 0 : 1) - (b.state === 'ACTIVE' ? 0 : 1)

/** Where the pair's user state is kept from, and how, before its members go. */
function archivePlan(all: readonly Instance[], going: readonly Instance[], archive: boolean): ArchivePlan {
  if (!archive) return { how: 'skipped', reason: 'no-archive' }
  const wholePair = all.every((m) => going.some((g) => g.id === m.id))
  const holders = (wholePair ? [...all] : going.filter((g) => g.role === 'primary')).sort(primaryFirst)
  if (holders.length === 0) {
    const primary = all.find((m) => m.role === 'primary')
    return { how: 'kept', on: primary?.id ?? '' }
  }
  const snapshotOf = holders.find((m) => m.providerId)?.id ?? null
  const withNode = holders.filter((m) => m.nodeId).map((m) => m.id)
  if (withNode.length > 0) return { how: 'node', from: withNode, snapshotOf }
  if (snapshotOf) return { how: 'provider-snapshot', snapshotOf }
  return { how: 'nothing', reason: 'no server was ever created for it' }
}

function describeArchive(a: ArchivePlan): string {
  switch (a.how) {
    case 'node':
      return `through gf-clawnode of ${a.from.join(' or ')}${a.snapshotOf ? `, else a provider snapshot of ${a.snapshotOf}` : ''}`
    case 'provider-snapshot':
      return `a provider snapshot of ${a.snapshotOf} (no node)`
    case 'kept':
      return `kept on primary ${a.on} (only the standby goes)`
    case 'nothing':
      return `nothing to keep: ${a.reason}`
    case 'skipped':
      return 'NOT archived (--no-archive)'
  }
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
    const facts: TeardownFact[] = []
    const failovers: FailoverFact[] = []
    const pairs: PairTeardown[] = []
    for (const [pairId, members] of Map.groupBy(targets, (t) => t.pairId)) {
      const all = instances.list({ pairId })
      const pairFacts = teardownFacts(
        all,
        members.map((m) => m.id),
      )
      facts.push(...pairFacts)
      const wholePair = pairFacts.every((f) => f.wholePair)
      const primary = members.find((m) => m.role === 'primary')
      const rest = all.filter((m) => !members.some((g) => g.id === m.id))
      const standby = rest.find((m) => m.role === 'standby')
      let failover: PairTeardown['failover'] = null
      let noPrimaryAfter: string | null = null
      if (!wholePair && primary) {
        if (standby?.state === 'ACTIVE') {
          failover = { primaryId: primary.id, standbyId: standby.id }
          failovers.push({
            pairId,
            primaryId: primary.id,
            primaryState: primary.state,
            standbyId: standby.id,
            standbyState: standby.state,
          })
        } else {
          noPrimaryAfter = standby
            ? `its standby ${standby.id} is ${standby.state}, so it cannot be promoted`
            : 'it has no standby to promote'
        }
      }
      pairs.push({
        pairId,
        userId: members[0]!.userId,
        instanceIds: members
          .sort(primaryFirst)
          .reverse()
          .map((m) => m.id),
        wholePair,
        archive: archivePlan(all, members, p.archive),
        failover,
        noPrimaryAfter,
      })
    }
    // Everything the steps will call must be reachable before anything changes.
    await requireProviders(
      ctx,
      targets.map((t) => t.provider),
    )
    const nodeWork = pairs.some((x) => x.failover !== null || x.archive.how === 'node')
    const withNodes = targets.some((t) => t.nodeId)
    if (nodeWork || withNodes) await requireGateway(ctx, 'reaching the instances’ gf-clawnode')
    for (const x of pairs) {
      if (x.noPrimaryAfter)
        ctx.warn(`pair ${x.pairId} will have no ACTIVE primary after this teardown: ${x.noPrimaryAfter}`)
    }
    if (!p.archive)
      ctx.warn('--no-archive: the users’ OpenClaw state is deleted with their servers, no copy kept')
    const providers = [...new Set(targets.map((t) => t.provider))]
    const book = await planPrices(ctx, providers)
    const saving = targets.reduce((s, t) => s + book.monthlyUsdCents(t.provider, t.tier, t.region), 0)
    const viaNode = pairs.filter((x) => x.archive.how === 'node').length
    const viaSnapshot = pairs.filter((x) => x.archive.how === 'provider-snapshot').length
    const howArchived = [
      viaNode ? `${viaNode} through gf-clawnode` : '',
      viaSnapshot ? `${viaSnapshot} by provider snapshot` : '',
    ]
      .filter(Boolean)
      .join(', ')
    const failing = failovers.length
    return {
      summary: `tear down ${targets.length} instance${targets.length === 1 ? '' : 's'} of ${pairs.length} pair${pairs.length === 1 ? '' : 's'}${
        p.archive
          ? howArchived
            ? `, archiving user state first (${howArchived})`
            : ', no user state to archive (see each pair)'
          : ', WITHOUT archiving'
      }${failing ? `, failing over ${failing} primar${failing === 1 ? 'y' : 'ies'} first` : ''}`,
      targets: targets.map((t) => t.id),
      affectedUsers: new Set(targets.map((t) => t.userId)).size,
      costDeltaMonthlyUsdCents: -saving,
      steps: pairs.map((x) => ({ name: 'pair', target: x.pairId, input: x })),
      locks: pairs.map((x) => `pair:${x.pairId}`),
      facts: {
        teardown: facts,
        prices: originsOf(book, providers),
        teardownArchive: pairs.map((x) => ({
          pairId: x.pairId,
          how: x.archive.how,
          plan: describeArchive(x.archive),
        })),
        ...(failovers.length
          ? {
              failover: failovers,
              blastRadius: blastRadiusFor(
                ctx.store(),
                ctx.watchSettings(),
                failovers.map((f) => instances.get(f.primaryId)!),
                ctx.clock(),
              ),
            }
          : {}),
      },
    }
  },
  recheck(ctx, _p, step) {
    const x = step.input as PairTeardown
    const done = step.checkpoint as Progress | null
    // A member this step marked ARCHIVING still serves until its server is deleted: rule 1 judges it
    // by the state it had before (a retry after a crash or a failed delete must not read its own mark
    // as "not ACTIVE"). One without a record is taken as ACTIVE.
    const prior = done?.prior ?? {}
    const members = ctx
      .store()
      .repo(Instances)
      .list({ pairId: x.pairId })
      .map((m) =>
        m.state === 'ARCHIVING' && x.instanceIds.includes(m.id)
          ? { ...m, state: prior[m.id] ?? 'ACTIVE' }
          : m,
      )
    const out: Record<string, unknown> = {
      teardown: teardownFacts(members, x.instanceIds),
      teardownArchive: [{ pairId: x.pairId, how: x.archive.how, plan: describeArchive(x.archive) }],
    }
    // Once the failover has started it finishes whatever the standby does meanwhile.
    if (x.failover && !done?.failoverOp) {
      const s = members.find((m) => m.id === x.failover!.standbyId)
      const pr = members.find((m) => m.id === x.failover!.primaryId)
      if (pr?.role === 'primary') {
        out.failover = [
          {
            pairId: x.pairId,
            primaryId: x.failover.primaryId,
            primaryState: pr.state,
            standbyId: x.failover.standbyId,
            standbyState: s?.state ?? 'DELETED',
          },
        ]
      }
    }
    return out
  },
  runStep(run) {
    return teardownPair(run, run.step.input as PairTeardown)
  },
  unsettled(ctx, _p, steps) {
    const ids = steps.flatMap((s) => (s.input as PairTeardown).instanceIds)
    return ctx
      .store()
      .repo(Instances)
      .list({ ids })
      .filter((i) => i.state === 'ARCHIVING')
      .map((i) => i.id)
  },
}

export default kind

class Step {
  readonly progress: Progress
  constructor(
    readonly run: StepRun,
    readonly x: PairTeardown,
  ) {
    this.progress = structuredClone((run.step.checkpoint as Progress | null) ?? {})
  }

  get ctx(): Context {
    return this.run.ctx
  }

  save(): void {
    this.run.checkpoint(this.progress)
  }

  member(id: string): MemberProgress {
    this.progress.members ??= {}
    this.progress.members[id] ??= {}
    return this.progress.members[id]!
  }

  instance(id: string): Instance {
    const i = this.ctx.store().repo(Instances).get(id)
    if (!i) throw new Error(`instance ${id} vanished from the store`)
    return i
  }
}

async function teardownPair(run: StepRun, x: PairTeardown) {
  const step = new Step(run, x)
  let phase = 'starting'
  let current: Instance | null = null
  try {
    phase = 'failover'
    const failover = await failOverFirst(step)
    phase = 'archive'
    const archive = await keepUserState(step)
    const deleted = []
    for (const id of x.instanceIds) {
      current = step.instance(id)
      phase = 'removal'
      deleted.push(await removeMember(step, current, archive, (p) => (phase = p)))
    }
    return {
      pairId: x.pairId,
      userId: x.userId,
      failover,
      archive: archiveResult(step.progress.archive ?? null, x.archive),
      deleted,
      ...(x.noPrimaryAfter ? { noPrimaryAfter: x.noPrimaryAfter } : {}),
    }
  } catch (err) {
    await settleRows(step)
    throw contextual(err, x.pairId, phase, current)
  }
}

/** A failure's message names the pair, the step and the provider's server it was at. */
function contextual(err: unknown, pairId: string, phase: string, at: Instance | null): unknown {
  if (!(err instanceof UserError)) return err
  const where = at
    ? `${phase} of ${at.id} (${at.provider} server ${at.providerId ?? 'never created'})`
    : phase
  return new UserError(err.code, `teardown of pair ${pairId}: ${where}: ${err.message}`, {
    ...(err.hint ? { hint: err.hint } : {}),
    details: {
      ...(err.details as object),
      pairId,
      step: phase,
      ...(at ? { instanceId: at.id, provider: at.provider, serverId: at.providerId } : {}),
    },
  })
}

async function failOverFirst(step: Step) {
  const { run, x } = step
  if (!x.failover) return null
  const primary = step.instance(x.failover.primaryId)
  const ctx = run.ctx
  let opId = step.progress.failoverOp
  const view = opId ? ctx.store().repo(Operations).get(opId) : undefined
  // Done already (by this step before a crash, or meanwhile by watch): the primary is a standby now.
  if (primary.role !== 'primary' && (!view || view.state === 'done'))
    return { opId: opId ?? null, promoted: x.failover.standbyId }
  if (opId) {
    // A failover this step started and a crash interrupted: finish that one, never a second.
    const view = await run.engine.run(ctx, opId)
    if (view.state !== 'done') throw failoverFailed(x, opId, view.steps[0]?.error)
  } else {
    run.progress(`${x.pairId}: failing over ${primary.id} to ${x.failover.standbyId} before it goes`)
    const r = await run.engine.mutate(ctx, failoverKind, {
      pairs: [x.pairId],
      reason: `teardown of primary ${primary.id} (operation ${run.opId})`,
    })
    if (r.status === 'dry-run') throw new Error('a nested failover cannot be a dry run')
    opId = r.operation.id
    step.progress.failoverOp = opId
    step.save()
    if (r.status !== 'done') throw failoverFailed(x, opId, r.operation.steps[0]?.error)
  }
  step.progress.failoverOp = opId
  step.save()
  return { opId, promoted: x.failover.standbyId }
}

function failoverFailed(x: PairTeardown, opId: string, error: unknown): UserError {
  const why = (error as { message?: string } | null)?.message ?? 'see the operation'
  return new UserError('CONFLICT', `the failover to ${x.failover!.standbyId} did not complete (${why})`, {
    hint: `Nothing was deleted. See clawops ops show ${opId}; heal the standby, then clawops ops resume.`,
    details: { failoverOp: opId },
  })
}

/** The archive this pair's teardown rests on, taken once (a resume finds it in the checkpoint or the store). */
async function keepUserState(step: Step): Promise<ArchiveRecord | null> {
  const { run, x, ctx } = step
  const a = x.archive
  if (a.how === 'kept' || a.how === 'nothing' || a.how === 'skipped') return null
  if (step.progress.archive) return step.progress.archive
  const archives = ctx.store().repo(Archives)
  const tried: string[] = []
  if (a.how === 'node') {
    for (const id of a.from) {
      const have = archives.byOp(run.opId, id)
      if (have) return saveArchive(step, have)
      const inst = step.instance(id)
      run.progress(`${x.pairId}: archiving user state through the node of ${id}`)
      try {
        return saveArchive(step, await archiveUserState(ctx, await ctx.nodes(), inst, { opId: run.opId }))
      } catch (err) {
        if (!unreachable(err)) throw err
        tried.push(`${id}: ${(err as Error).message}`)
        run.progress(`${x.pairId}: the node of ${id} could not archive (${(err as Error).message})`)
      }
    }
  }
  const of = a.snapshotOf
  if (!of) {
    throw new UserError(
      'NODE_ERROR',
      `no node of pair ${x.pairId} could archive the user's state, and no server is left to snapshot`,
      {
        hint: 'Nothing was deleted. Bring a node back (clawops instance health), then clawops ops resume.',
        details: { tried },
      },
    )
  }
  const inst = step.instance(of)
  step.progress.askedAt ??= ctx.now()
  step.save()
  run.audit({
    action: 'provider.snapshot',
    target: inst.id,
    details: { provider: inst.provider, serverId: inst.providerId, reason: tried.length ? tried : 'no node' },
  })
  run.progress(`${x.pairId}: archiving user state as a ${inst.provider} snapshot of ${inst.id}`)
  const record = await snapshotUserState(ctx, await ctx.provider(inst.provider), inst, {
    opId: run.opId,
    askedAt: step.progress.askedAt,
  })
  return saveArchive(step, record)
}

function saveArchive(step: Step, record: ArchiveRecord): ArchiveRecord {
  step.progress.archive = record
  step.save()
  return record
}

function archiveResult(record: ArchiveRecord | null, plan: ArchivePlan) {
  if (record) {
    return {
      id: record.id,
      via: record.via,
      instanceId: record.instanceId,
      location: record.location,
      bytes: record.bytes,
      expiresAt: record.expiresAt,
    }
  }
  if (plan.how === 'skipped') return { skipped: 'no-archive' as const }
  if (plan.how === 'kept') return { kept: `on primary ${plan.on}` }
  return { nothing: plan.how === 'nothing' ? plan.reason : 'no state' }
}

/** Does this member's server hold the only copy of the user's state (its own provider snapshot)? */
function holdsArchive(inst: Instance, archive: ArchiveRecord | null, adapter: ProviderAdapter): boolean {
  return (
    archive?.via === 'provider-snapshot' &&
    archive.provider === inst.provider &&
    archive.serverId === inst.providerId &&
    adapter.capabilities.snapshots === 'server'
  )
}

async function removeMember(
  step: Step,
  inst: Instance,
  archive: ArchiveRecord | null,
  at: (phase: string) => void,
) {
  const { run, ctx } = step
  const store = ctx.store()
  const instances = store.repo(Instances)
  const m = step.member(inst.id)
  if (inst.state === 'DELETED') return { instanceId: inst.id, provider: inst.provider, alreadyDeleted: true }
  if (inst.state !== 'ARCHIVING') {
    step.progress.prior = { ...step.progress.prior, [inst.id]: inst.state }
    step.save()
    instances.update(inst.id, { state: 'ARCHIVING' })
  }
  const adapter = inst.providerId ? await ctx.provider(inst.provider) : null
  if (adapter && inst.providerId && !m.deleted) {
    if (adapter.capabilities.delete === 'end-of-term') {
      at('wipe')
      await wipe(step, inst, adapter, archive)
      at('power-off')
      if (!m.off) {
        run.audit({
          action: 'provider.power-off',
          target: inst.id,
          details: { provider: inst.provider, serverId: inst.providerId },
        })
        m.started = true
        step.save()
        const off = await adapter.powerOff(inst.providerId, { opId: run.opId, graceful: false })
        await adapter.waitFor(off, { timeoutMs: 10 * 60_000, opId: run.opId })
        m.off = true
        step.save()
      }
    }
    at('delete')
    // Rule 3: the audit record exists before the provider is asked to delete anything.
    run.audit({
      action: 'provider.delete',
      target: inst.id,
      details: { provider: inst.provider, serverId: inst.providerId },
    })
    m.started = true
    step.save()
    const r = await adapter.delete(inst.providerId, { opId: run.opId })
    if (r.pending) await adapter.waitFor(r.pending, { timeoutMs: 10 * 60_000, opId: run.opId })
    m.deleted = { mode: r.mode, effectiveAt: r.effectiveAt, alreadyGone: r.alreadyGone }
    step.save()
    // A snapshot that lives on this server goes when the contract ends: the archive says so.
    if (archive && holdsArchive(inst, archive, adapter) && r.effectiveAt) {
      const ends = new Date(r.effectiveAt).toISOString()
      if (ends < archive.expiresAt) store.repo(Archives).shortenExpiry(archive.id, ends)
    }
  }
  at('unpair')
  const unpaired = inst.nodeId ? await unpair(ctx, inst.nodeId, ctx.shardOf(inst)) : null
  await removeTailscaleDevice(run, inst)
  store.tx(() => {
    instances.update(inst.id, { state: 'DELETED' })
    closeBilling(store, inst.id, ctx.now(), 'delete')
    store.repo(JoinSecrets).forget(inst.id)
  })
  return {
    instanceId: inst.id,
    provider: inst.provider,
    serverId: inst.providerId,
    ...(m.deleted ?? { mode: 'none', effectiveAt: null, alreadyGone: true }),
    ...(adapter?.capabilities.delete === 'end-of-term'
      ? {
          wiped: m.wiped ?? false,
          ...(m.wipeNote ? { wipeNote: m.wipeNote } : {}),
          poweredOff: m.off === true,
        }
      : {}),
    ...(unpaired === null ? {} : { unpaired }),
  }
}

/**
 * A server that keeps running until its contract ends must not keep the user's gateway and state:
 * wiped through its node, else reinstalled through the API, unless its own snapshot is the archive.
 */
async function wipe(step: Step, inst: Instance, adapter: ProviderAdapter, archive: ArchiveRecord | null) {
  const { run, ctx } = step
  const m = step.member(inst.id)
  if (m.wiped !== undefined) return
  const warn = (note: string) => {
    m.wiped = false
    m.wipeNote = note
    step.save()
    ctx.warn(`${inst.id} (${inst.provider} server ${inst.providerId}): ${note}`)
  }
  if (inst.nodeId) {
    run.audit({
      action: 'node.wipe',
      target: inst.id,
      details: { provider: inst.provider, serverId: inst.providerId, nodeId: inst.nodeId },
    })
    m.started = true
    step.save()
    try {
      await (await ctx.nodes()).invoke(inst, 'openclaw.wipe', { instanceId: inst.id }, 120_000)
      m.wiped = 'node'
      step.save()
      return
    } catch (err) {
      if (!unreachable(err)) throw err
      run.progress(`${step.x.pairId}: the node of ${inst.id} could not wipe (${(err as Error).message})`)
    }
  }
  if (holdsArchive(inst, archive, adapter)) {
    warn(
      `not wiped: the ${inst.provider} snapshot on this server is the only copy of the user's state and a reinstall would delete it; the server is powered off and cancelled, and ${inst.provider} removes both when the term ends`,
    )
    return
  }
  if (!adapter.reinstall) {
    warn(`not wiped: ${inst.provider} has no reinstall`)
    return
  }
  run.audit({
    action: 'provider.reinstall',
    target: inst.id,
    details: { provider: inst.provider, serverId: inst.providerId, reason: 'the node did not answer' },
  })
  m.started = true
  step.save()
  const pending = await adapter.reinstall(inst.providerId!, { opId: run.opId })
  await adapter.waitFor(pending, { timeoutMs: 30 * 60_000, opId: run.opId })
  m.wiped = 'reinstall'
  step.save()
}

/** The node's device removed from the gateway; a gateway that cannot be reached leaves it (reported). */
async function unpair(ctx: Context, nodeId: string, shard: string): Promise<boolean> {
  try {
    const client = await (await ctx.gateway('admin', shard)).get()
    await removeDevice(client, nodeId)
    return true
  } catch {
    return false
  }
}

/**
 * After a failure: every member tells the truth. Nothing destructive done yet: back to its state
 * before this teardown. Its server gone at the provider: DELETED. Otherwise it stays ARCHIVING (half
 * torn down) and `ops resume` finishes it.
 */
async function settleRows(step: Step): Promise<void> {
  const { ctx, x } = step
  const store = ctx.store()
  const instances = store.repo(Instances)
  for (const id of x.instanceIds) {
    const inst = instances.get(id)
    if (inst?.state !== 'ARCHIVING') continue
    const m = step.progress.members?.[id]
    if (!m?.started) {
      instances.update(id, { state: step.progress.prior?.[id] ?? 'ACTIVE' })
      continue
    }
    const gone = await serverGone(ctx, inst).catch(() => false)
    if (gone) {
      store.tx(() => {
        instances.update(id, { state: 'DELETED' })
        closeBilling(store, id, ctx.now(), 'delete')
        store.repo(JoinSecrets).forget(id)
      })
    }
  }
}

async function serverGone(ctx: Context, inst: Instance): Promise<boolean> {
  if (!inst.providerId) return true
  return (await (await ctx.provider(inst.provider as Provider)).get(inst.providerId)) === null
}
