/**
 * `clawops failover`: promotes the standby of each pair (STANDBY_PROMOTING → ACTIVE primary),
 * quarantines the old primary (never deletes it) and queues a replacement standby on the old
 * primary's provider, to be provisioned when that provider has recovered. One journaled step per
 * pair, with its phases checkpointed, so pairs fail over in parallel and a resumed operation picks up
 * each pair where it stopped. Policy: the standby must be ACTIVE (deny), and a failover that would
 * take more than the configured share of a provider's or region's pairs within the window waits for
 * a confirmation (the blast-radius rule).
 */

import type { Context } from '../context.js'
import type { Instance } from '../domain/instance.js'
import type { OperationKind, StepRun } from '../engine/kind.js'
import { UserError } from '../errors.js'
import { emitEvent } from '../events/emit.js'
import { announcePairFailed } from '../events/pair-failed.js'
import { newId } from '../ids.js'
import { type BlastRadiusFact, blastRadiusExceeded, type FailoverFact } from '../policy/rules.js'
import { Failovers } from '../store/failovers.js'
import { Incidents } from '../store/incidents.js'
import { Instances } from '../store/instances.js'
import { Pairs } from '../store/pairs.js'
import { Plans } from '../store/plans.js'
import { ReprovisionQueue } from '../store/reprovision-queue.js'
import { blastRadiusFor } from './blast-radius.js'
import { PairScope } from './pair-scope.js'

export interface FailoverParams {
  pairs: string[]
  reason?: string
}

interface StepInput {
  pairId: string
  primaryId: string
  standbyId: string
}

/**
 * How far a pair's failover got. `promoting` is written in the transaction that marks the standby
 * STANDBY_PROMOTING, so a resume after a crash inside the promotion knows the claim is its own and
 * finishes it, instead of judging a standby that is no longer ACTIVE and leaving it half-promoted.
 */
type Phase = 'promoting' | 'promoted' | 'quarantined'

/** How long the promoted standby's OpenClaw may take to come up when it was not running. */
const START_WAIT_MS = 30_000

function membersOf(ctx: Context, pairId: string): { primary: Instance; standby: Instance } {
  if (!ctx.store().repo(Pairs).get(pairId)) {
    throw new UserError('NOT_FOUND', `no pair ${pairId}`, {
      hint: 'Pair ids look like p-…; see clawops pair status.',
    })
  }
  const members = ctx.store().repo(Instances).list({ pairId })
  const primary = members.find((m) => m.role === 'primary')
  const standby = members.find((m) => m.role === 'standby')
  if (!primary || !standby) {
    throw new UserError(
      'CONFLICT',
      `pair ${pairId} has no ${primary ? 'standby' : 'primary'} to fail over with`,
      {
        details: { pairId, members: members.map((m) => ({ id: m.id, role: m.role, state: m.state })) },
      },
    )
  }
  return { primary, standby }
}

async function promote(
  run: StepRun,
  scope: PairScope,
  input: StepInput,
  reason: string | null,
): Promise<boolean> {
  const { ctx } = run
  const store = ctx.store()
  const settings = ctx.watchSettings()
  const failovers = store.repo(Failovers)
  const s = scope.instance(input.standbyId)
  if (s.role === 'primary' && s.state === 'ACTIVE') return false
  if (s.state === 'ACTIVE') {
    const p = scope.instance(input.primaryId)
    store.tx(() => {
      // Other failovers may have run since the plan: recheck the blast radius in the same write
      // transaction that claims this one, unless the plan already crossed it and was confirmed.
      const planned = store.repo(Plans).get(run.planId)?.plan.facts.blastRadius as BlastRadiusFact | undefined
      const now = blastRadiusFor(store, settings, [p], ctx.clock())
      if (blastRadiusExceeded(now).length > 0 && (!planned || blastRadiusExceeded(planned).length === 0)) {
        throw new UserError('CONFLICT', `failing over ${input.pairId} now would cross the blast radius`, {
          hint: `Plan again: clawops failover ${input.pairId} (it will need a confirmation).`,
          details: { rules: ['failover-blast-radius'], scopes: blastRadiusExceeded(now) },
        })
      }
      if (!failovers.byOp(run.opId, input.pairId)) {
        failovers.insert({
          id: newId('fo'),
          opId: run.opId,
          pairId: input.pairId,
          userId: s.userId,
          fromInstanceId: p.id,
          toInstanceId: s.id,
          provider: p.provider,
          region: p.region,
          state: 'promoting',
          reason,
          actor: run.actor,
          startedAt: ctx.now(),
        })
      }
      run.audit({ action: 'failover.promote', target: s.id, details: { pairId: input.pairId, from: p.id } })
      scope.update(s.id, { state: 'STANDBY_PROMOTING' })
      run.checkpoint({ phase: 'promoting' satisfies Phase })
    })
  } else if (s.state !== 'STANDBY_PROMOTING') {
    throw new UserError('CONFLICT', `standby ${s.id} is ${s.state}, not ACTIVE: no failover`, {
      details: { rules: ['standby-active-before-failover'], pairId: input.pairId },
    })
  }
  run.progress(`promoting ${s.id}`, { pairId: input.pairId })
  let serving = false
  let detail: string | null = null
  try {
    const h = await scope.invoke<{ live?: boolean; healthy?: boolean }>(s.id, 'openclaw.health', {}, 10_000)
    serving = h.live ?? h.healthy ?? false
    if (!serving) {
      run.audit({ action: 'failover.start-openclaw', target: s.id, details: { pairId: input.pairId } })
      const r = await scope.invoke<{ healthy?: boolean }>(
        s.id,
        'openclaw.start',
        { wait: true, waitTimeoutMs: START_WAIT_MS },
        START_WAIT_MS + 15_000,
      )
      serving = r.healthy === true
    }
  } catch (err) {
    detail = err instanceof Error ? err.message : String(err)
  }
  if (!serving) {
    store.tx(() => {
      scope.update(s.id, { state: 'FAILED' })
      failovers.setState(run.opId, input.pairId, 'failed', ctx.now(), detail ?? 'OpenClaw did not come up')
      const p = scope.instance(input.primaryId)
      if (p.state !== 'ACTIVE') {
        announcePairFailed(
          store,
          settings,
          {
            pairId: input.pairId,
            userId: p.userId,
            primaryId: p.id,
            provider: p.provider,
            region: p.region,
            summary: `pair ${input.pairId} (user ${p.userId}) has no working gateway: failover to ${s.id} failed (${detail ?? 'OpenClaw did not come up'}); primary ${p.id} is ${p.state}`,
          },
          ctx.now(),
          { opId: run.opId, standby: s.id },
        )
      }
    })
    throw new UserError(
      'NODE_ERROR',
      `standby ${s.id} is not serving: ${detail ?? 'OpenClaw did not come up'}`,
      {
        details: { pairId: input.pairId, standby: s.id },
      },
    )
  }
  store.tx(() => {
    scope.update(input.primaryId, { role: 'standby' })
    scope.update(s.id, { role: 'primary', state: 'ACTIVE' })
    failovers.setState(run.opId, input.pairId, 'promoted', ctx.now())
  })
  return true
}

async function quarantine(
  run: StepRun,
  scope: PairScope,
  input: StepInput,
): Promise<{ stopped: boolean; note?: string }> {
  const p = scope.instance(input.primaryId)
  if (p.state === 'QUARANTINED') return { stopped: false, note: 'already quarantined' }
  run.audit({ action: 'failover.quarantine', target: p.id, details: { pairId: input.pairId } })
  // Stop the old primary's OpenClaw if it still answers, so two gateways never act for one user.
  let stopped = false
  let note: string | undefined
  try {
    await scope.invoke(p.id, 'openclaw.stop', {}, 15_000)
    stopped = true
  } catch (err) {
    note = `openclaw.stop: ${err instanceof Error ? err.message : String(err)}`
  }
  scope.update(p.id, { state: 'QUARANTINED' })
  return { stopped, ...(note ? { note } : {}) }
}

function queueStandby(run: StepRun, scope: PairScope, input: StepInput, reason: string | null) {
  const { ctx } = run
  const store = ctx.store()
  const settings = ctx.watchSettings()
  const p = scope.instance(input.primaryId)
  return store.tx(() => {
    const incident =
      store.repo(Incidents).openFor(p.provider, p.region) ?? store.repo(Incidents).openFor(p.provider, null)
    const item = store.repo(ReprovisionQueue).enqueue({
      id: newId('rq'),
      pairId: input.pairId,
      replacesInstanceId: p.id,
      provider: p.provider,
      region: p.region,
      tier: p.tier,
      reason: reason ?? `failover of ${input.pairId}`,
      incidentId: incident?.id ?? null,
      opId: run.opId,
      createdAt: ctx.now(),
    })
    run.audit({
      action: 'failover.queue-standby',
      target: input.pairId,
      outcome: 'ok',
      details: { queueId: item.id },
    })
    store.repo(Failovers).setState(run.opId, input.pairId, 'complete', ctx.now())
    const s = scope.instance(input.standbyId)
    emitEvent(
      store,
      settings,
      {
        type: 'FAILOVER_COMPLETE',
        severity: 'high',
        instanceId: s.id,
        pairId: input.pairId,
        provider: p.provider,
        region: p.region,
        summary: `pair ${input.pairId} failed over: ${s.id} (${s.provider}/${s.region}) is the ACTIVE primary; ${p.id} (${p.provider}/${p.region}) quarantined; replacement standby queued (${item.id}) for when ${p.provider} recovers`,
        suggest: [`clawops pair status ${input.pairId} --json`, 'clawops reprovision list --json'],
        data: { newPrimary: s.id, quarantined: p.id, queueId: item.id, opId: run.opId, reason },
        dedupeKey: `FAILOVER_COMPLETE:${input.pairId}@${run.opId}`,
      },
      ctx.now(),
    )
    return item
  })
}

const failoverKind: OperationKind<FailoverParams> = {
  kind: 'failover',
  action: 'failover',
  concurrency: 4,
  continueOnFailure: true,

  parseParams(raw) {
    const p = raw as Partial<FailoverParams> | null
    if (
      !p ||
      !Array.isArray(p.pairs) ||
      p.pairs.length === 0 ||
      !p.pairs.every((x) => typeof x === 'string')
    ) {
      throw new UserError('INVALID_INPUT', 'failover needs at least one pair id')
    }
    return {
      pairs: [...new Set(p.pairs)].sort(),
      ...(typeof p.reason === 'string' ? { reason: p.reason } : {}),
    }
  },

  plan(ctx, p) {
    const settings = ctx.watchSettings()
    const members = p.pairs.map((id) => ({ pairId: id, ...membersOf(ctx, id) }))
    const failover: FailoverFact[] = members.map((m) => ({
      pairId: m.pairId,
      primaryId: m.primary.id,
      primaryState: m.primary.state,
      standbyId: m.standby.id,
      standbyState: m.standby.state,
    }))
    return {
      summary:
        members.length === 1
          ? `fail over pair ${members[0]!.pairId}: promote ${members[0]!.standby.id}, quarantine ${members[0]!.primary.id}`
          : `fail over ${members.length} pairs`,
      targets: members.map((m) => m.pairId),
      affectedUsers: new Set(members.map((m) => m.primary.userId)).size,
      costDeltaMonthlyUsdCents: 0,
      locks: members.map((m) => `pair:${m.pairId}`),
      steps: members.map((m) => ({
        name: 'failover',
        target: m.pairId,
        input: { pairId: m.pairId, primaryId: m.primary.id, standbyId: m.standby.id } satisfies StepInput,
      })),
      facts: {
        failover,
        blastRadius: blastRadiusFor(
          ctx.store(),
          settings,
          members.map((m) => m.primary),
          ctx.clock(),
        ),
      },
    }
  },

  recheck(ctx, _p, step) {
    // Once the promotion is claimed (a checkpoint), the step finishes what it started; before that,
    // the standby must still be ACTIVE as the fleet stands now.
    if (step.checkpoint) return null
    const input = step.input as StepInput
    const { primary, standby } = membersOf(ctx, input.pairId)
    return {
      failover: [
        {
          pairId: input.pairId,
          primaryId: primary.id,
          primaryState: primary.state,
          standbyId: standby.id,
          standbyState: standby.state,
        },
      ],
    }
  },

  async runStep(run, p) {
    const input = run.step.input as StepInput
    const scope = new PairScope(run.ctx, input.pairId, await run.ctx.nodes())
    const reached = (run.step.checkpoint as { phase?: Phase } | null)?.phase
    const t0 = Date.now()
    let promoted = false
    if (!reached || reached === 'promoting') {
      promoted = await promote(run, scope, input, p.reason ?? null)
      run.checkpoint({ phase: 'promoted' satisfies Phase })
    }
    let quarantined: { stopped: boolean; note?: string } = { stopped: false, note: 'done before a resume' }
    if (reached !== 'quarantined') {
      quarantined = await quarantine(run, scope, input)
      run.checkpoint({ phase: 'quarantined' satisfies Phase })
    }
    const item = queueStandby(run, scope, input, p.reason ?? null)
    return {
      pairId: input.pairId,
      primary: input.standbyId,
      quarantined: input.primaryId,
      promotedNow: promoted,
      oldPrimaryStopped: quarantined.stopped,
      ...(quarantined.note ? { note: quarantined.note } : {}),
      reprovision: { id: item.id, provider: item.provider, region: item.region, state: item.state },
      ms: Date.now() - t0,
    }
  },
}

export default failoverKind
