/**
 * `clawops config push`: the use case behind the command. It turns the flags into the operation's
 * parameters (defaults from the config), runs the config.push kind through the mutation pipeline,
 * shows the plan with a diff read from a few real instances (dry run, confirmation), and turns the
 * rollout's end into the result: complete without a failure is success; failures, instances flagged
 * for manual review, a halt or a lost gateway are errors whose details hold the same rollout view.
 */
import type { Context } from '../context.js'
import type { Plan } from '../domain/plan.js'
import type { RestartPolicy } from '../domain/rollout.js'
import type { Engine } from '../engine/engine.js'
import { throwIfFailed } from '../engine/step-errors.js'
import type { MutationOptions, MutationResult, OperationView } from '../engine/types.js'
import { type ErrorBody, UserError } from '../errors.js'
import { type Change, diffConfigs } from '../gateway/config-diff.js'
import type { PolicyDecision } from '../policy/check.js'
import { describeBudget, parseBudget } from '../rollout/budget.js'
import { ConfigRollouts } from '../store/config-rollouts.js'
import { Instances } from '../store/instances.js'
import { Plans } from '../store/plans.js'
import {
  applyDocument,
  type ConfigDocument,
  type DocChange,
  type DocumentFormat,
  describeDocument,
  formatDocChange,
} from './document.js'
import { digestOf, isGatewayDown, TIMEOUTS } from './instance.js'
import type { ConfigGetResult } from './node-payloads.js'
import configPushKind, { type BatchInput, parseConfigPushParams } from './push-kind.js'
import { configPushSettings } from './settings.js'
import { type RolloutState, type RolloutView, stateOf, viewRollout } from './view.js'

export interface PushRequest {
  format: DocumentFormat
  document: unknown
  selector?: string
  batchSize?: number
  canary?: number
  pauseMs?: number
  /** "2%" or "3". */
  maxFailures?: string
  allAtOnce?: boolean
  restart?: RestartPolicy
  concurrency?: number
  reason?: string
}

export interface PlanPreview {
  planId: string | null
  summary: string
  policy: PolicyDecision
  instances: number
  users: number
  /** Selected instances left out because their state takes no config (CREATING, QUARANTINED, …). */
  notPushable: number
  batches: { batch: number; size: number; standbys: number; primaries: number; canary: boolean }[]
  settings: { batchSize: number; canary: number; pauseSeconds: number; maxFailures: string; restart: string }
  /** The document's changes (values redacted). */
  changes: DocChange[]
  /** The diff on a few real instances of the first batch (before → after, redacted); null if unread. */
  sample: {
    instances: string[]
    diffs: { instances: number; changes: Change[] }[]
    problems: { instanceId: string; problem: string }[]
  } | null
}

export type PushOutcome =
  | { status: 'dry-run'; preview: PlanPreview }
  | { status: RolloutState; rollout: RolloutView }

const SAMPLE_SIZE = 3

/** The operation's parameters from a request, defaults from the config's `configPush` section. */
export function pushParams(ctx: Context, req: PushRequest) {
  const s = configPushSettings(ctx.config())
  return {
    document: { format: req.format, body: req.document },
    selector: req.selector ?? null,
    batchSize: req.batchSize ?? null,
    canary: req.canary ?? 0,
    pauseMs: req.pauseMs ?? s.pauseMs,
    maxFailures: req.maxFailures ? parseBudget(req.maxFailures) : s.maxFailures,
    allAtOnce: req.allAtOnce ?? false,
    restart: req.restart ?? 'auto',
    concurrency: req.concurrency ?? s.concurrency,
    reason: req.reason ?? null,
  }
}

/** Reads a few instances' configs and applies the document to them, for the plan's before → after. */
async function sampleDiff(
  ctx: Context,
  doc: ConfigDocument,
  ids: readonly string[],
): Promise<PlanPreview['sample']> {
  const nodes = await ctx.nodes()
  const instances = ctx.store().repo(Instances)
  const groups = new Map<string, { instances: number; changes: Change[] }>()
  const problems: { instanceId: string; problem: string }[] = []
  try {
    await Promise.all(
      ids.map(async (id) => {
        const inst = instances.get(id)
        try {
          const got = await nodes.invoke<ConfigGetResult>(
            { id, nodeId: inst?.nodeId ?? null },
            'config.get',
            {},
            TIMEOUTS.readMs,
          )
          if (!got.config) {
            problems.push({
              instanceId: id,
              problem: got.malformed ? `malformed: ${got.malformed}` : 'no config file',
            })
            return
          }
          const changes = diffConfigs(got.config, applyDocument(doc, got.config))
          const key = digestOf(changes)
          const g = groups.get(key) ?? { instances: 0, changes }
          g.instances++
          groups.set(key, g)
        } catch (err) {
          if (isGatewayDown(err)) throw err
          problems.push({ instanceId: id, problem: err instanceof Error ? err.message : String(err) })
        }
      }),
    )
  } catch (err) {
    ctx.warn(`could not read sample configs for the diff: ${(err as Error).message}`)
    return null
  }
  return { instances: [...ids], diffs: [...groups.values()], problems }
}

async function previewOf(
  ctx: Context,
  plan: Plan | (Omit<Plan, 'id'> & { id: null }),
  policy: PolicyDecision,
) {
  const params = parseConfigPushParams(plan.params)
  const batches = plan.steps.filter((s) => s.name === 'batch').map((s) => s.input as BatchInput)
  const fact = plan.facts.configPush as { notPushable?: number; batchSize?: number } | undefined
  const preview: PlanPreview = {
    planId: plan.id,
    summary: plan.summary,
    policy,
    instances: plan.targets.length,
    users: plan.affectedUsers,
    notPushable: fact?.notPushable ?? 0,
    batches: batches.map((b) => ({
      batch: b.batch,
      size: b.instances.length,
      standbys: b.instances.filter((i) => i.role === 'standby').length,
      primaries: b.instances.filter((i) => i.role === 'primary').length,
      canary: b.canary,
    })),
    settings: {
      batchSize: fact?.batchSize ?? params.batchSize ?? configPushSettings(ctx.config()).batchSize,
      canary: params.canary,
      pauseSeconds: Math.round(params.pauseMs / 1000),
      maxFailures: describeBudget(params.maxFailures),
      restart: params.restart,
    },
    changes: describeDocument(params.document),
    sample: await sampleDiff(
      ctx,
      params.document,
      (batches[0]?.instances ?? []).slice(0, SAMPLE_SIZE).map((i) => i.id),
    ),
  }
  return preview
}

/** What a push changes, line by line, for the question a human operator is asked about its plan. */
export function changeLines(plan: Plan): string[] {
  return describeDocument(parseConfigPushParams(plan.params).document).map((c) => formatDocChange(c))
}

/** Turns a finished (or held-back) rollout operation into the result, or the error that says why not. */
export function settleRollout(ctx: Context, op: OperationView): PushOutcome {
  const rollout = ctx.store().repo(ConfigRollouts).byOp(op.id)
  if (!rollout) {
    throwIfFailed({ status: op.state, operation: op } as Parameters<typeof throwIfFailed>[0])
    throw new Error(`operation ${op.id} ended without a rollout`)
  }
  const view = viewRollout(ctx, rollout)
  const c = view.counts
  const tally =
    view.kind === 'push'
      ? `${c.applied} applied, ${c.failed} failed, ${c.skipped} skipped, ${c.unchanged} unchanged`
      : `${c.reverted} reverted, ${c.failed} failed, ${c.skipped} left alone`
  if (op.state === 'running') return { status: view.status, rollout: view }
  if (op.state === 'done') {
    if (c.failed + c.skipped === 0) return { status: view.status, rollout: view }
    throw new UserError('PARTIAL_FAILURE', `rollout ${view.rolloutId} ${view.status}: ${tally}`, {
      hint:
        view.flagged.length > 0
          ? `${view.flagged.length} instance(s) flagged for manual review (config left as it is); see clawops config push status ${view.rolloutId}.`
          : `See clawops config push status ${view.rolloutId}.`,
      details: { rollout: view },
    })
  }
  const failed = op.steps.find((s) => s.state === 'failed')?.error as ErrorBody | undefined
  const code = failed?.code && failed.code !== 'INTERNAL' ? failed.code : 'PARTIAL_FAILURE'
  throw new UserError(
    code,
    `rollout ${view.rolloutId} ${view.status}: ${view.reason ?? failed?.message ?? op.state} (${tally})`,
    {
      hint: view.next.length
        ? `Next: ${view.next.join(' | ')}`
        : (failed?.hint ?? `See clawops config push status ${view.rolloutId}.`),
      details: { rollout: view },
    },
  )
}

/** An interrupt (Ctrl-C) leaves the rollout resumable: say how, with the rollout's view. */
export function interrupted(ctx: Context, err: unknown, opId: string | null): never {
  if (err instanceof UserError && err.code === 'INTERRUPTED' && opId) {
    const rollout = ctx.store().repo(ConfigRollouts).byOp(opId)
    if (rollout) {
      throw new UserError('INTERRUPTED', `rollout ${rollout.id} was interrupted after the current batch`, {
        hint: `Continue it with: clawops config push resume ${rollout.id}`,
        details: { rollout: viewRollout(ctx, rollout) },
      })
    }
  }
  throw err
}

export async function pushConfig(
  ctx: Context,
  engine: Engine,
  req: PushRequest,
  opts: Omit<MutationOptions, 'prompt'> & {
    /** Asks the operator about a plan; `details` are the config changes, one a line. */
    prompt?: (plan: Plan, decision: PolicyDecision, details: readonly string[]) => Promise<boolean>
  },
): Promise<PushOutcome> {
  const ask = opts.prompt
  // Two rollouts may overlap (each instance's hash check keeps them from clobbering each other), but
  // an operator should know another one is unfinished.
  for (const other of ctx.store().repo(ConfigRollouts).list(20)) {
    const state = stateOf(ctx, other)
    if (other.kind === 'push' && ['running', 'pausing', 'paused', 'halted', 'interrupted'].includes(state))
      ctx.warn(
        `rollout ${other.id} (config v${other.version}) is ${state}: resume or roll it back (clawops config push status ${other.id})`,
      )
  }
  let r: MutationResult
  try {
    r = await engine.mutate(ctx, configPushKind, pushParams(ctx, req), {
      ...(opts.dryRun !== undefined ? { dryRun: opts.dryRun } : {}),
      ...(opts.confirm !== undefined ? { confirm: opts.confirm } : {}),
      ...(opts.yes !== undefined ? { yes: opts.yes } : {}),
      ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
      ...(ask ? { prompt: (plan: Plan, d: PolicyDecision) => ask(plan, d, changeLines(plan)) } : {}),
    })
  } catch (err) {
    if (err instanceof UserError && err.code === 'CONFIRMATION_REQUIRED') {
      // The plan is stored; add what an agent needs to relay it: the diff and the batching.
      const d = err.details as { planId: string; findings: PolicyDecision['findings'] }
      const stored = ctx.store().repo(Plans).get(d.planId)
      if (stored) {
        const preview = await previewOf(ctx, stored.plan, { decision: 'confirm', findings: d.findings })
        throw new UserError(err.code, err.message, {
          ...(err.hint ? { hint: err.hint } : {}),
          details: { ...d, preview },
        })
      }
    }
    if (err instanceof UserError && err.code === 'INTERRUPTED') {
      const opId = (err.details as { opId?: string } | undefined)?.opId ?? null
      interrupted(ctx, err, opId)
    }
    throw err
  }
  if (r.status === 'dry-run') return { status: 'dry-run', preview: await previewOf(ctx, r.plan, r.policy) }
  return settleRollout(ctx, r.operation)
}
