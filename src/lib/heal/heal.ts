/**
 * `clawops heal <instance>`: the PRD's auto-heal decision tree as a journaled operation, one step per
 * node of the tree, each audited before and after:
 *   verify   probe the instance; score above 70: healed, nothing else runs.
 *   restart  restart the OpenClaw service through gf-clawnode (openclaw.restart).
 *   confirm  wait (90 s by default; ends early once /healthz answers) and probe openclaw.health.
 *            Healthy: HEALED, Commander is told. Still failing: the instance is FAILED. When the node
 *            could not even be reached to restart, there is nothing to wait for.
 *   escalate still failing and a primary: the standby ACTIVE → fail over (a nested failover
 *            operation, with its policy and blast radius); standby not ACTIVE → CRITICAL, Commander
 *            is told, nothing more is done. A failed standby is reported, never failed over.
 * Every read, change and node command goes through a PairScope: the tree never touches an instance
 * outside the target's pair and never deletes or archives anything.
 */

import type { WatchSettings } from '../config/watch-settings.js'
import type { Context } from '../context.js'
import type { OperationKind, StepRun } from '../engine/kind.js'
import type { OperationView } from '../engine/types.js'
import { UserError } from '../errors.js'
import { emitEvent } from '../events/emit.js'
import { announcePairFailed } from '../events/pair-failed.js'
import { announceTransition } from '../events/transition.js'
import { RestartBudget } from '../fleet/restart-budget.js'
import { applyProbe } from '../health/apply.js'
import { probeInstance } from '../health/probe.js'
import { isMonitored } from '../health/state.js'
import { InstanceHealth } from '../store/instance-health.js'
import { Instances } from '../store/instances.js'
import { Operations } from '../store/operations.js'
import { PairScope } from './pair-scope.js'

export interface HealParams {
  instance: string
  /** How long to wait for OpenClaw after the restart (default: watch.heal.waitSeconds, 90 s). */
  waitMs?: number
}

export type HealOutcome =
  | 'recovered'
  | 'healed'
  | 'failed-over'
  | 'awaiting-confirmation'
  | 'critical'
  | 'standby-failed'

interface VerifyResult {
  score: number
  healthy: boolean
  state: string
  reasons: string[]
}
interface RestartResult {
  skipped?: boolean
  restarted: boolean
  at: string
  error?: string
}
interface ConfirmResult {
  skipped?: boolean
  healthy: boolean
  waitedMs: number
  score?: number
  state?: string
}
export interface EscalateResult {
  skipped?: boolean
  outcome: HealOutcome
  failoverOpId?: string
  planId?: string
  detail?: string
}

function prior<T>(run: StepRun, name: string): T | null {
  const step = run.ctx
    .store()
    .repo(Operations)
    .steps(run.opId)
    .find((s) => s.name === name)
  return (step?.state === 'done' ? step.result : null) as T | null
}

async function probeAndApply(run: StepRun, scope: PairScope, settings: WatchSettings, id: string) {
  const inst = scope.instance(id)
  const mem = run.ctx.store().repo(InstanceHealth).get(id)
  const probe = await probeInstance(scope.invokerFor(), inst, {
    timeoutMs: settings.probeTimeoutMs,
    now: run.ctx.clock(),
    lastHeartbeatAt: inst.lastHeartbeatAt,
    connected: mem.connected,
  })
  const applied = applyProbe(run.ctx, settings, probe)
  return { probe, applied }
}

async function verify(
  run: StepRun,
  scope: PairScope,
  settings: WatchSettings,
  id: string,
): Promise<VerifyResult> {
  run.ctx.store().repo(InstanceHealth).update(id, { lastHealAt: run.ctx.now(), lastHealOp: run.opId })
  const { applied } = await probeAndApply(run, scope, settings, id)
  const score = applied?.score ?? 0
  return {
    score,
    healthy: score > settings.thresholds.recoveredAbove,
    state: applied?.state ?? scope.instance(id).state,
    reasons: applied?.reasons ?? [],
  }
}

async function restart(run: StepRun, scope: PairScope, id: string): Promise<RestartResult> {
  if (prior<VerifyResult>(run, 'verify')?.healthy)
    return { skipped: true, restarted: false, at: run.ctx.now() }
  run.audit({ action: 'heal.restart-openclaw', target: id, details: { command: 'openclaw.restart' } })
  const at = run.ctx.now()
  try {
    await scope.invoke(id, 'openclaw.restart', { wait: false }, 120_000)
    return { restarted: true, at }
  } catch (err) {
    if (err instanceof UserError && err.code === 'GATEWAY_UNREACHABLE') throw err
    // The node is down or refused: the restart did not happen; the tree goes on to "still failing".
    return { restarted: false, at, error: err instanceof Error ? err.message : String(err) }
  }
}

async function confirm(
  run: StepRun,
  scope: PairScope,
  settings: WatchSettings,
  id: string,
  waitMs: number,
): Promise<ConfirmResult> {
  if (prior<VerifyResult>(run, 'verify')?.healthy) return { skipped: true, healthy: true, waitedMs: 0 }
  const r = prior<RestartResult>(run, 'restart')
  const t0 = Date.now()
  let live = false
  if (r?.restarted) {
    // Measured from the restart, so a resumed operation does not wait the full time again.
    const deadline = Date.parse(r.at) + waitMs
    for (;;) {
      try {
        const h = await scope.invoke<{ live?: boolean; healthy?: boolean }>(
          id,
          'openclaw.health',
          {},
          settings.probeTimeoutMs,
        )
        live = h.live ?? h.healthy ?? false
      } catch (err) {
        if (err instanceof UserError && err.code === 'GATEWAY_UNREACHABLE') throw err
        live = false
      }
      const left = deadline - run.ctx.clock().getTime()
      if (live || left <= 0) break
      run.progress(`waiting for OpenClaw on ${id}`, { leftMs: left })
      await run.ctx.sleep(Math.min(settings.heal.pollMs, left))
    }
  }
  const { applied } = await probeAndApply(run, scope, settings, id)
  const healthy = live && (applied?.openclaw?.live ?? false)
  const store = run.ctx.store()
  const inst = scope.instance(id)
  if (healthy) {
    emitEvent(
      store,
      settings,
      {
        type: 'HEAL_COMPLETE',
        severity: 'info',
        instanceId: id,
        pairId: inst.pairId,
        provider: inst.provider,
        region: inst.region,
        summary: `HEALED ${inst.role} ${id} of pair ${inst.pairId}: OpenClaw restarted and answering; score ${applied?.score ?? '?'}, state ${inst.state}`,
        data: { opId: run.opId, score: applied?.score, state: inst.state },
        dedupeKey: `HEAL_COMPLETE:${id}@${run.opId}`,
      },
      run.ctx.now(),
    )
  } else if (inst.state !== 'FAILED') {
    run.audit({ action: 'heal.mark-failed', target: id, details: { restarted: r?.restarted ?? false } })
    store.tx(() => {
      const failed = scope.update(id, { state: 'FAILED' })
      announceTransition(store, settings, {
        instance: failed,
        from: inst.state,
        to: 'FAILED',
        score: applied?.score ?? 0,
        reasons: [
          r?.restarted
            ? 'OpenClaw still down after a restart and the wait'
            : `restart impossible: ${r?.error ?? 'unknown'}`,
        ],
        badSince: store.repo(InstanceHealth).get(id).badSince,
        now: run.ctx.now(),
      })
    })
  }
  return {
    healthy,
    waitedMs: Date.now() - t0,
    ...(applied ? { score: applied.score } : {}),
    state: scope.instance(id).state,
  }
}

/** The failover of this pair a resumed heal started before it stopped (never start a second one). */
function earlierFailover(ctx: Context, healOpId: string, pairId: string): string | undefined {
  return ctx.store().repo(Operations).failoverOfPairSince(pairId, healOpId)
}

async function escalate(
  run: StepRun,
  scope: PairScope,
  settings: WatchSettings,
  id: string,
): Promise<EscalateResult> {
  if (prior<VerifyResult>(run, 'verify')?.healthy) return { skipped: true, outcome: 'recovered' }
  if (prior<ConfirmResult>(run, 'confirm')?.healthy) return { skipped: true, outcome: 'healed' }
  const { ctx } = run
  const store = ctx.store()
  const inst = scope.instance(id)
  const partner = scope.members().find((m) => m.id !== id) ?? null
  const now = ctx.now()
  const tell = (
    severity: 'warning' | 'high' | 'critical',
    summary: string,
    suggest: string[],
    data: object,
  ) =>
    emitEvent(
      store,
      settings,
      {
        type: 'HEAL_ESCALATED',
        severity,
        instanceId: id,
        pairId: inst.pairId,
        provider: inst.provider,
        region: inst.region,
        summary,
        suggest,
        data: { opId: run.opId, ...data },
        dedupeKey: `HEAL_ESCALATED:${id}@${run.opId}`,
      },
      now,
    )
  if (inst.role === 'standby') {
    tell(
      'warning',
      `standby ${id} of pair ${inst.pairId} is still failing after a restart; the primary ${partner?.id ?? '-'} is ${partner?.state ?? 'missing'}. A standby is not failed over: it needs a replacement.`,
      [`clawops pair status ${inst.pairId} --json`],
      { role: 'standby' },
    )
    return { outcome: 'standby-failed', detail: 'a failed standby is reported, not failed over' }
  }
  if (partner?.state !== 'ACTIVE') {
    const why = partner ? `standby ${partner.id} is ${partner.state}` : 'the pair has no standby'
    store.tx(() => {
      tell(
        'critical',
        `CRITICAL: primary ${id} of pair ${inst.pairId} (user ${inst.userId}) is still failing after a restart and ${why}. No automatic action taken.`,
        [`clawops pair status ${inst.pairId} --json`, `clawops instance show ${id} --json`],
        { standby: partner?.id ?? null, standbyState: partner?.state ?? null },
      )
      announcePairFailed(
        store,
        settings,
        {
          pairId: inst.pairId,
          userId: inst.userId,
          primaryId: id,
          provider: inst.provider,
          region: inst.region,
          summary: `pair ${inst.pairId} (user ${inst.userId}) has no working gateway: primary ${id} ${inst.state}, ${why}`,
        },
        now,
        { healOpId: run.opId },
      )
    })
    return { outcome: 'critical', detail: why }
  }
  // Standby ACTIVE: fail over, through the failover operation and its policy (blast radius included).
  const earlier = earlierFailover(ctx, run.opId, inst.pairId)
  // The same arguments an agent would give on the command line, so the plan can be confirmed there.
  const params = { pairs: [inst.pairId], reason: `heal ${run.opId}: ${id} still failing after a restart` }
  try {
    const { default: failoverKind } = await import('./failover.js')
    let view: OperationView
    if (earlier) view = await run.engine.run(ctx, earlier)
    else {
      const r = await run.engine.mutate(ctx, failoverKind, params)
      if (r.status === 'dry-run') throw new Error('a heal never plans a dry-run failover')
      view = r.operation
    }
    if (view.state !== 'done') {
      const err = view.steps.find((s) => s.state === 'failed')?.error as { message?: string } | undefined
      tell(
        'critical',
        `CRITICAL: failover of pair ${inst.pairId} did not complete (${err?.message ?? view.state}).`,
        [`clawops ops show ${view.id} --json`, `clawops pair status ${inst.pairId} --json`],
        { failoverOpId: view.id },
      )
      return { outcome: 'critical', failoverOpId: view.id, detail: err?.message ?? view.state }
    }
    return { outcome: 'failed-over', failoverOpId: view.id }
  } catch (err) {
    if (err instanceof UserError && err.code === 'CONFIRMATION_REQUIRED') {
      const d = err.details as { planId: string; findings: { rule: string; message: string }[] }
      tell(
        'high',
        `primary ${id} of pair ${inst.pairId} needs a failover, but it waits for a confirmation: ${d.findings.map((f) => f.message).join('; ')}`,
        [`clawops failover ${inst.pairId} --reason "${params.reason}" --confirm ${d.planId} --json`],
        { planId: d.planId, findings: d.findings },
      )
      return { outcome: 'awaiting-confirmation', planId: d.planId, detail: err.message }
    }
    if (err instanceof UserError && err.code !== 'INTERNAL') {
      tell(
        'critical',
        `CRITICAL: failover of pair ${inst.pairId} refused: ${err.message}`,
        [`clawops pair status ${inst.pairId} --json`],
        { code: err.code },
      )
      return { outcome: 'critical', detail: err.message }
    }
    throw err
  }
}

const healKind: OperationKind<HealParams> = {
  kind: 'heal',
  action: 'heal',

  parseParams(raw) {
    const p = raw as Partial<HealParams> | null
    if (!p || typeof p.instance !== 'string' || p.instance.length === 0) {
      throw new UserError('INVALID_INPUT', 'heal needs an instance id')
    }
    if (p.waitMs !== undefined && (!Number.isInteger(p.waitMs) || p.waitMs < 0 || p.waitMs > 900_000)) {
      throw new UserError('INVALID_INPUT', 'the wait must be between 0 and 15 minutes')
    }
    return { instance: p.instance, ...(p.waitMs !== undefined ? { waitMs: p.waitMs } : {}) }
  },

  plan(ctx, p) {
    const inst = ctx.store().repo(Instances).get(p.instance)
    if (!inst) {
      throw new UserError('NOT_FOUND', `no instance ${p.instance}`, {
        hint: 'List instances with clawops instance list.',
      })
    }
    if (!isMonitored(inst.state)) {
      throw new UserError(
        'CONFLICT',
        `${inst.id} is ${inst.state}; heal acts on ACTIVE, DEGRADED or FAILED instances`,
        {
          details: { instanceId: inst.id, state: inst.state },
        },
      )
    }
    const partner =
      ctx
        .store()
        .repo(Instances)
        .list({ pairId: inst.pairId })
        .find((m) => m.id !== inst.id) ?? null
    const waitMs = p.waitMs ?? ctx.watchSettings().heal.waitMs
    return {
      summary: `heal ${inst.role} ${inst.id} (${inst.provider}/${inst.region}, ${inst.state})`,
      targets: [inst.id],
      affectedUsers: 1,
      costDeltaMonthlyUsdCents: 0,
      steps: [
        { name: 'verify', target: inst.id, input: {} },
        { name: 'restart', target: inst.id, input: { command: 'openclaw.restart' } },
        { name: 'confirm', target: inst.id, input: { waitMs } },
        { name: 'escalate', target: inst.pairId, input: { role: inst.role } },
      ],
      locks: [`pair:${inst.pairId}`],
      facts: {
        heal: {
          instanceId: inst.id,
          pairId: inst.pairId,
          role: inst.role,
          state: inst.state,
          partnerId: partner?.id ?? null,
          partnerState: partner?.state ?? null,
        },
        // Heals share the restart budget with restarts: a storm of them waits for a human (rule 5).
        restartBudget: new RestartBudget(ctx.store(), ctx.watchSettings().restartBudget, ctx.clock()).fact([
          inst,
        ]),
      },
    }
  },

  // The restart is where the budget is spent: judged again as the journal stands when it runs.
  recheck(ctx, p, step) {
    if (step.name !== 'restart') return null
    const inst = ctx.store().repo(Instances).get(p.instance)
    if (!inst) return null
    const budget = new RestartBudget(ctx.store(), ctx.watchSettings().restartBudget, ctx.clock(), step)
    return { restartBudget: budget.fact([inst]) }
  },

  async runStep(run, p) {
    const settings = run.ctx.watchSettings()
    const inst = run.ctx.store().repo(Instances).get(p.instance)
    if (!inst) throw new UserError('NOT_FOUND', `instance ${p.instance} vanished`)
    const scope = new PairScope(run.ctx, inst.pairId, await run.ctx.nodes())
    switch (run.step.name) {
      case 'verify':
        return verify(run, scope, settings, p.instance)
      case 'restart':
        return restart(run, scope, p.instance)
      case 'confirm':
        return confirm(run, scope, settings, p.instance, (run.step.input as { waitMs: number }).waitMs)
      case 'escalate':
        return escalate(run, scope, settings, p.instance)
      default:
        throw new Error(`heal has no step ${run.step.name}`)
    }
  },
}

/** The tree's outcome from a finished heal operation's step results. */
export function healOutcome(steps: readonly { name: string; result: unknown }[]): HealOutcome | null {
  const r = (name: string) =>
    steps.find((s) => s.name === name)?.result as Record<string, unknown> | null | undefined
  if ((r('verify') as VerifyResult | null | undefined)?.healthy) return 'recovered'
  if ((r('confirm') as ConfirmResult | null | undefined)?.healthy) return 'healed'
  return ((r('escalate') as EscalateResult | null | undefined)?.outcome as HealOutcome | undefined) ?? null
}

export default healKind
