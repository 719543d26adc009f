/**
 * The one way into the engine for a change: plan → policy.check(plan, actor) → confirmation or
 * refusal → journal + audit before each step → execute. `--dry-run` stops after the plan;
 * `--confirm <planId>` runs exactly the stored plan and is refused if the fleet changed since, if it
 * expired, or if it was made for other arguments. A confirmation is stamped on the plan (who, when):
 * the operation it starts carries it, and it lapses (see execute.ts).
 */
import { createHash } from 'node:crypto'
import canonicalize from 'canonicalize'
import type { Context } from '../context.js'
import type { Plan, PlanBody } from '../domain/plan.js'
import { UserError } from '../errors.js'
import { emitOperationEvent } from '../events/operation.js'
import { newId } from '../ids.js'
import { check, type PolicyDecision } from '../policy/check.js'
import { grantOf, ROLES } from '../policy/roles.js'
import { rolePermission } from '../policy/rules.js'
import { AuditTrail } from '../store/audit-trail.js'
import type { LockHolder } from '../store/op-locks.js'
import { Operations } from '../store/operations.js'
import { Plans } from '../store/plans.js'
import type { EngineHandle, OperationKind } from './kind.js'
import { claimLocks } from './locks.js'
import type { MutationOptions, MutationResult } from './types.js'

export function fingerprintOf(body: PlanBody): string {
  return createHash('sha256')
    .update(canonicalize(body) ?? '')
    .digest('hex')
}

function sameParams(a: unknown, b: unknown): boolean {
  return canonicalize(a) === canonicalize(b)
}

function singleTarget(plan: PlanBody): string | null {
  return plan.targets.length === 1 ? (plan.targets[0] ?? null) : null
}

export async function mutate<P>(
  ctx: Context,
  engine: EngineHandle,
  kind: OperationKind<P>,
  rawParams: unknown,
  opts: MutationOptions = {},
): Promise<MutationResult> {
  const params = kind.parseParams(rawParams)
  const store = ctx.store()
  const plans = store.repo(Plans)
  const audit = store.repo(AuditTrail)
  // A role without the action is refused before anything is read or asked: planning may call out
  // (gateway setup and agents install read the gateway's config), and a refusal must not. There is
  // no plan yet, so the entry keeps what was asked for.
  if (grantOf(ctx.actor, kind.action) === 'deny') {
    const finding = rolePermission({ action: kind.action } as PlanBody, ctx.actor)!
    audit.append({
      ...ctx.who,
      action: kind.action,
      target: null,
      outcome: 'denied',
      details: {
        kind: kind.kind,
        params,
        findings: [finding],
        ...(opts.confirm ? { confirm: opts.confirm } : {}),
      },
    })
    throw new UserError('POLICY_DENIED', finding.message, {
      hint: 'The rule is in details; nothing was changed.',
      details: { rules: [finding.rule], findings: [finding] },
    })
  }

  const stored = opts.confirm ? plans.get(opts.confirm) : undefined
  if (opts.confirm) {
    if (!stored)
      throw new UserError('NOT_FOUND', `no plan ${opts.confirm}`, { hint: 'Plan again without --confirm.' })
    if (stored.plan.kind !== kind.kind) {
      throw new UserError(
        'INVALID_INPUT',
        `plan ${opts.confirm} is a ${stored.plan.kind} plan, not ${kind.kind}`,
      )
    }
    if (stored.status === 'executed') {
      throw new UserError('CONFLICT', `plan ${opts.confirm} already ran as operation ${stored.opId}`, {
        hint: `See it with: clawops ops show ${stored.opId}`,
        details: { opId: stored.opId },
      })
    }
    if (stored.status === 'expired' || stored.plan.expiresAt < ctx.now()) {
      if (stored.status !== 'expired') plans.markExpired(stored.plan.id)
      throw new UserError('PLAN_STALE', `plan ${opts.confirm} expired at ${stored.plan.expiresAt}`, {
        hint: 'Run the command again without --confirm to get a fresh plan.',
      })
    }
    if (!sameParams(stored.plan.params, params)) {
      throw new UserError('INVALID_INPUT', `plan ${opts.confirm} was made for different arguments`, {
        hint: 'Repeat the exact command that produced the plan, adding --confirm.',
        details: { planned: stored.plan.params },
      })
    }
  }

  const salt = stored?.plan.salt ?? newId('salt', 16)
  const draft = await kind.plan(ctx, params, { salt })
  const body: PlanBody = { kind: kind.kind, action: kind.action, ...draft }
  const fingerprint = fingerprintOf(body)
  const decision = check(body, ctx.actor)
  const created = ctx.clock()
  const ttlMinutes = ctx.config().policy.planTtlMinutes
  const plan: Plan = stored
    ? stored.plan
    : {
        ...body,
        id: newId('plan'),
        salt,
        actor: ctx.actor,
        identity: ctx.identity,
        params,
        fingerprint,
        createdAt: created.toISOString(),
        expiresAt: new Date(created.getTime() + ttlMinutes * 60_000).toISOString(),
      }

  if (stored && stored.plan.fingerprint !== fingerprint) {
    plans.markExpired(stored.plan.id)
    throw new UserError('PLAN_STALE', `the fleet changed since plan ${stored.plan.id} was made`, {
      hint: 'Run the command again without --confirm, review the new plan, then confirm that one.',
      details: { planId: stored.plan.id },
    })
  }

  if (opts.dryRun) {
    return { status: 'dry-run', plan: { ...plan, id: null }, policy: decision }
  }

  const denied = (findings: PolicyDecision['findings'], message: string): never => {
    audit.append({
      ...ctx.who,
      action: kind.action,
      target: singleTarget(plan),
      planId: stored ? plan.id : null,
      outcome: 'denied',
      details: { kind: kind.kind, summary: plan.summary, findings },
    })
    throw new UserError('POLICY_DENIED', message, {
      hint: 'The rule is in details; nothing was changed.',
      details: { rules: findings.map((f) => f.rule), findings },
    })
  }

  if (decision.decision === 'deny') {
    const deny = decision.findings.filter((f) => f.effect === 'deny')
    denied(deny, deny.map((f) => f.message).join('; '))
  }

  let confirmedBy: string | null = null
  if (decision.decision === 'confirm') {
    if (stored) {
      if (!ROLES[ctx.actor].canConfirm) {
        denied(
          [{ rule: 'confirm-authority', effect: 'deny', message: `${ctx.actor} may not confirm plans` }],
          `${ctx.actor} may not confirm plan ${plan.id}; the operator or Commander must`,
        )
      }
      confirmedBy = ctx.actor
    } else if (opts.yes && ctx.actor === 'operator') {
      confirmedBy = ctx.actor
    } else if (opts.prompt && ctx.actor === 'operator' && (await opts.prompt(plan, decision))) {
      confirmedBy = ctx.actor
    }
    if (confirmedBy === null) {
      store.tx(() => {
        plans.save(plan)
        audit.append({
          ...ctx.who,
          action: kind.action,
          target: singleTarget(plan),
          planId: plan.id,
          outcome: 'confirmation-required',
          details: { kind: kind.kind, summary: plan.summary, findings: decision.findings },
        })
      })
      throw new UserError(
        'CONFIRMATION_REQUIRED',
        `${plan.summary}: confirmation required (plan ${plan.id})`,
        {
          hint: `Review the plan, then re-run the same command with --confirm ${plan.id} (valid until ${plan.expiresAt}).`,
          details: {
            planId: plan.id,
            expiresAt: plan.expiresAt,
            plan: planSummary(plan),
            findings: decision.findings,
          },
        },
      )
    }
  }

  const opId = newId('op')
  const create = () => {
    if (!stored) plans.save(plan)
    plans.markExecuted(plan.id, opId)
    if (confirmedBy) plans.confirm(plan.id, ctx.who, ctx.now())
    store
      .repo(Operations)
      .create(
        { id: opId, kind: kind.kind, planId: plan.id, ...ctx.who, params, summary: plan.summary },
        plan.steps,
      )
    emitOperationEvent(
      store,
      ctx.watchSettings(),
      { id: opId, kind: kind.kind, planId: plan.id, summary: plan.summary, ...ctx.who },
      { phase: 'started' },
      ctx.now(),
    )
    audit.append({
      ...ctx.who,
      action: kind.action,
      target: singleTarget(plan),
      opId,
      planId: plan.id,
      outcome: 'intent',
      details: {
        kind: kind.kind,
        summary: plan.summary,
        steps: plan.steps.length,
        confirmedBy,
      },
    })
  }
  // The operation is journaled in the same transaction that claims what it holds: two operations
  // on one pair never both start.
  // After waiting for another operation on the same pairs, this plan is made again: if that
  // operation changed what it plans for (a pair torn down, a member replaced), it is refused,
  // naming the operation, instead of acting on a fleet that is no longer the one it was made for.
  const revalidate = async (waitedFor: LockHolder) => {
    const refuse = (why: string, cause?: unknown) => {
      if (stored) plans.markExpired(stored.plan.id)
      return new UserError(
        'CONFLICT',
        `${waitedFor.name.replace(':', ' ')} was changed by ${waitedFor.kind} operation ${waitedFor.opId} while this ${kind.kind} waited for it: ${why}`,
        {
          hint: `Nothing was done. See clawops ops show ${waitedFor.opId}; plan again (the same command without --confirm) if it is still wanted.`,
          details: { lock: waitedFor.name, opId: waitedFor.opId, kind: waitedFor.kind },
          ...(cause ? { cause } : {}),
        },
      )
    }
    let again: PlanBody
    try {
      again = { kind: kind.kind, action: kind.action, ...(await kind.plan(ctx, params, { salt })) }
    } catch (err) {
      throw refuse(err instanceof Error ? err.message : String(err), err)
    }
    if (fingerprintOf(again) !== fingerprint) throw refuse('the plan made now differs from this one')
  }
  await claimLocks(ctx, opId, plan.locks ?? [], {
    also: create,
    revalidate,
    ...(opts.parentOpId ? { parentOpId: opts.parentOpId } : {}),
    ...(opts.onProgress ? { onWait: opts.onProgress } : {}),
  })
  const operation = await engine.run(ctx, opId, {
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
    ...(opts.parentOpId ? { parentOpId: opts.parentOpId } : {}),
  })
  return { status: operation.state, plan, policy: decision, operation }
}

/** The part of a plan worth showing in an error envelope. */
export function planSummary(plan: Plan | Omit<Plan, 'id'>) {
  return {
    kind: plan.kind,
    action: plan.action,
    summary: plan.summary,
    targets: plan.targets.length,
    affectedUsers: plan.affectedUsers,
    costDeltaMonthlyUsdCents: plan.costDeltaMonthlyUsdCents,
    steps: plan.steps.length,
  }
}
