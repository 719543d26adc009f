/**
 * The `config.push` operation: a config change rolled out to the users' gateways in batches. Steps:
 *   start    records the config version and the rollout with one row per instance and its batch;
 *   batch k  pushes to the batch's instances (src/lib/config-push/instance.ts), waits the pause,
 *            checks their gateways again, then judges the failure budget: exceeded, the rollout halts
 *            (this step fails, the later batches stay pending for `config push resume`);
 *   finish   marks the rollout complete.
 * A paused rollout holds its next batch back (the operation stays running). Policy reads
 * facts.rollout, the batching as planned (sizes, pause, failure budget): above 100 instances only a
 * rolling push is allowed, and one looser than rule 2's limits waits for a human (see rules.ts); an
 * all-at-once push waits for a confirmation; above 10 users every push does (rule 5).
 */
import { z } from 'zod'
import type { Context } from '../context.js'
import type { Role } from '../domain/instance.js'
import type { OperationStep } from '../domain/operation.js'
import type { RestartPolicy } from '../domain/rollout.js'
import type { OperationKind, StepRun } from '../engine/kind.js'
import { UserError } from '../errors.js'
import { selectInstances } from '../fleet/instance-query.js'
import { type RolloutFact, rolloutBatchLimit } from '../policy/rules.js'
import { type PlannedBatch, planBatches } from '../rollout/batching.js'
import {
  budgetPct,
  DEFAULT_BUDGET,
  describeBudget,
  FailureBudgetSchema,
  judgeBudget,
} from '../rollout/budget.js'
import { ConfigRollouts, type Rollout, rolloutIdOf, type TargetSeed } from '../store/config-rollouts.js'
import { ConfigVersions } from '../store/config-versions.js'
import { Operations } from '../store/operations.js'
import { Plans } from '../store/plans.js'
import { type BatchEnv, runPushBatch } from './batch.js'
import { type ConfigDocument, DOCUMENT_FORMATS, describeDocument, parseDocument } from './document.js'
import { PUSHABLE_STATES, pushInstance, recheckInstance } from './instance.js'
import { configPushSettings } from './settings.js'

export const DEFAULT_SELECTOR = 'state=ACTIVE'

const ParamsSchema = z
  .object({
    document: z.object({ format: z.enum(DOCUMENT_FORMATS), body: z.unknown() }).strict(),
    /** null: every ACTIVE instance. */
    selector: z.string().min(1).nullable().default(null),
    /** null: the configured batch size (configPush.batchSize), within rule 2's limit for the target. */
    batchSize: z.number().int().min(1).max(1000).nullable().default(null),
    canary: z.number().int().min(0).max(1000).default(0),
    pauseMs: z.number().int().min(0).max(3_600_000).default(10_000),
    maxFailures: FailureBudgetSchema.default(DEFAULT_BUDGET),
    allAtOnce: z.boolean().default(false),
    restart: z.enum(['auto', 'always', 'never']).default('auto'),
    /** Instances of one batch in flight at once (default: the batch size, at most 64). */
    concurrency: z.number().int().min(1).max(256).nullable().default(null),
    reason: z.string().max(500).nullable().default(null),
  })
  .strict()

export interface ConfigPushParams {
  document: ConfigDocument
  selector: string | null
  batchSize: number | null
  canary: number
  pauseMs: number
  maxFailures: z.infer<typeof FailureBudgetSchema>
  allAtOnce: boolean
  restart: RestartPolicy
  concurrency: number | null
  reason: string | null
}

/** One instance as a batch step carries it: enough to create its rollout row without the fleet. */
export interface BatchInstance {
  id: string
  pair: string
  user: string
  role: Role
}

export interface BatchInput {
  batch: number
  of: number
  canary: boolean
  instances: BatchInstance[]
}

export function parseConfigPushParams(raw: unknown): ConfigPushParams {
  const r = ParamsSchema.safeParse(raw)
  if (!r.success) {
    const issue = r.error.issues[0]
    throw new UserError(
      'INVALID_INPUT',
      `config push: ${issue?.path.join('.') || 'params'}: ${issue?.message}`,
    )
  }
  const p = r.data
  if (p.allAtOnce && p.canary > 0)
    throw new UserError('INVALID_INPUT', '--canary and --all-at-once exclude each other')
  if (p.batchSize !== null && p.canary > p.batchSize)
    throw new UserError(
      'INVALID_INPUT',
      `the canary batch (${p.canary}) is larger than a batch (${p.batchSize})`,
    )
  return { ...p, document: parseDocument(p.document.format, p.document.body) }
}

export function concurrencyOf(p: Pick<ConfigPushParams, 'concurrency'>, batchSize: number): number {
  return p.concurrency ?? Math.min(batchSize, 64)
}

function batchSteps(batches: readonly PlannedBatch[]) {
  return batches.map((b) => {
    const input: BatchInput = {
      batch: b.index,
      of: batches.length,
      canary: b.canary,
      instances: b.members.map((m) => ({ id: m.id, pair: m.pairId, user: m.userId, role: m.role })),
    }
    return { name: 'batch', target: `batch ${b.index}/${batches.length}`, input }
  })
}

function rolloutOf(ctx: Context, opId: string): Rollout {
  const r = ctx.store().repo(ConfigRollouts).byOp(opId)
  if (!r) throw new Error(`operation ${opId} has no rollout; its start step did not run`)
  return r
}

/** A paused rollout (push or rollback) holds its next step back until `config push resume`. */
export function holdPausedRollout(ctx: Context, opId: string, _step: OperationStep): string | null {
  const rollouts = ctx.store().repo(ConfigRollouts)
  const r = rollouts.byOp(opId)
  if (!r || (r.status !== 'pausing' && r.status !== 'paused')) return null
  if (r.status === 'pausing') rollouts.setStatus(r.id, 'paused', r.reason)
  return `rollout ${r.id} is paused${r.reason ? ` (${r.reason})` : ''}`
}

async function start(run: StepRun, p: ConfigPushParams) {
  const store = run.ctx.store()
  const rollouts = store.repo(ConfigRollouts)
  const existing = rollouts.byOp(run.opId)
  if (existing) return { rolloutId: existing.id, version: existing.version }
  const inputs = store
    .repo(Operations)
    .steps(run.opId)
    .filter((s) => s.name === 'batch')
    .map((s) => s.input as BatchInput)
  const seeds: TargetSeed[] = inputs.flatMap((b) =>
    b.instances.map((m, i) => ({
      instanceId: m.id,
      batch: b.batch,
      pos: i,
      pairId: m.pair,
      userId: m.user,
      role: m.role,
    })),
  )
  const id = rolloutIdOf(run.opId)
  const batchSize = (run.step.input as { batchSize?: number }).batchSize ?? p.batchSize ?? 50
  const summary = store.repo(Plans).get(run.planId)?.plan.summary ?? `config push ${id}`
  const version = store.tx(() => {
    const v = store.repo(ConfigVersions).append({
      rolloutId: id,
      kind: 'push',
      format: p.document.format,
      document: p.document.body,
      diff: describeDocument(p.document),
      reverts: null,
      summary: p.reason ? `${summary} (${p.reason})` : summary,
      actor: run.actor,
    })
    rollouts.create(
      {
        id,
        opId: run.opId,
        planId: run.planId,
        kind: 'push',
        version: v.version,
        revertsRollout: null,
        status: 'running',
        settings: {
          batchSize,
          canary: p.canary,
          pauseMs: p.pauseMs,
          maxFailures: p.maxFailures,
          allAtOnce: p.allAtOnce,
          restart: p.restart,
          concurrency: concurrencyOf(p, batchSize),
        },
        batches: inputs.length,
        actor: run.actor,
      },
      seeds,
    )
    return v.version
  })
  run.progress(`rollout ${id} (config v${version}): ${seeds.length} instances in ${inputs.length} batches`, {
    event: 'rollout',
    rolloutId: id,
    version,
    instances: seeds.length,
    batches: inputs.length,
  })
  return { rolloutId: id, version }
}

async function batch(run: StepRun, p: ConfigPushParams) {
  const input = run.step.input as BatchInput
  const store = run.ctx.store()
  const rollouts = store.repo(ConfigRollouts)
  const rollout = rolloutOf(run.ctx, run.opId)
  if (rollout.status === 'rolling-back' || rollout.status === 'rolled-back')
    return { batch: input.batch, skipped: `rollout ${rollout.id} was rolled back` }
  rollouts.setCurrentBatch(rollout.id, input.batch)
  const nodes = await run.ctx.nodes()
  const env: BatchEnv = {
    ctx: run.ctx,
    invoker: nodes,
    rollout,
    doc: p.document,
    actor: run.actor,
    opId: run.opId,
    planId: run.planId,
    action: 'config.push.instance',
    sleep: (ms: number) => run.ctx.sleep(ms),
    progress: run.progress,
  }
  let summary: Awaited<ReturnType<typeof runPushBatch>>
  try {
    summary = await runPushBatch(
      env,
      input.batch,
      input.of,
      (t) => pushInstance(env, t),
      (t) => recheckInstance(env, t),
    )
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err)
    rollouts.setStatus(rollout.id, 'halted', `batch ${input.batch}/${input.of} stopped: ${message}`)
    throw err
  }
  const totals = rollouts.counts(rollout.id)
  run.progress(
    `batch ${input.batch}/${input.of} done: ${summary.applied} applied, ${summary.failed} failed, ${summary.skipped} skipped, ${summary.unchanged} unchanged`,
    { event: 'batch', rolloutId: rollout.id, ...summary, totals },
  )
  // The budget guards the batches still to come; after the last one there is nothing left to protect.
  if (!p.allAtOnce && input.batch < input.of) {
    const c = rollouts.counts(rollout.id, input.batch)
    const verdict = judgeBudget(
      p.maxFailures,
      { processed: c.applied + c.unchanged + c.skipped + c.failed, failed: c.failed },
      rollout.accepted,
    )
    if (verdict.exceeded) {
      const reason = `failure budget ${describeBudget(p.maxFailures)} exceeded after batch ${input.batch}/${input.of}: ${verdict.message}`
      store.tx(() => {
        rollouts.setStatus(rollout.id, 'halted', reason)
        run.audit({
          action: 'config.push.halt',
          target: null,
          outcome: 'failed',
          details: { rolloutId: rollout.id, batch: input.batch, of: input.of, ...verdict },
        })
      })
      throw new UserError('PARTIAL_FAILURE', `rollout ${rollout.id} halted: ${reason}`, {
        hint: `Review the failures with clawops config push status ${rollout.id}; continue with clawops config push resume ${rollout.id}, or undo with clawops config push rollback ${rollout.id}.`,
        details: { rolloutId: rollout.id, batch: input.batch, of: input.of, ...verdict },
      })
    }
  }
  return summary
}

function finish(run: StepRun) {
  const rollouts = run.ctx.store().repo(ConfigRollouts)
  const rollout = rolloutOf(run.ctx, run.opId)
  if (rollout.status !== 'rolling-back' && rollout.status !== 'rolled-back')
    rollouts.setStatus(rollout.id, 'complete', null, true)
  return { rolloutId: rollout.id, version: rollout.version, counts: rollouts.counts(rollout.id) }
}

const configPushKind: OperationKind<ConfigPushParams> = {
  kind: 'config.push',
  action: 'config.push',
  parseParams: parseConfigPushParams,

  plan(ctx, p) {
    const selected = selectInstances(ctx, { selector: p.selector ?? DEFAULT_SELECTOR })
    const targets = selected.filter((i) => PUSHABLE_STATES.has(i.state))
    if (targets.length === 0) {
      throw new UserError('INVALID_INPUT', 'no instance to push to', {
        hint: selected.length
          ? `The selector matched ${selected.length} instance(s), none ACTIVE, DEGRADED or FAILED.`
          : 'The selector matched no instance; see clawops instance list -l <selector>.',
      })
    }
    // Unless a batch size is given, batches keep rule 2's limit for this target.
    const ceiling = configPushSettings(ctx.config()).batchSize
    const batchSize = p.batchSize ?? rolloutBatchLimit(targets.length, ceiling)
    if (p.canary > batchSize)
      throw new UserError(
        'INVALID_INPUT',
        `the canary batch (${p.canary}) is larger than a batch (${batchSize} for ${targets.length} instances)`,
        { hint: 'Give a smaller --canary, or a --batch-size.' },
      )
    const batches = planBatches(
      targets.map((i) => ({ id: i.id, pairId: i.pairId, userId: i.userId, role: i.role })),
      { batchSize, canary: p.canary, allAtOnce: p.allAtOnce },
    )
    const rollout: RolloutFact = {
      what: 'config push',
      instances: targets.length,
      batches: batches.map((b) => b.members.length),
      ceiling,
      pauseMs: p.pauseMs,
      maxFailurePct: budgetPct(p.maxFailures, targets.length),
      allAtOnce: p.allAtOnce,
    }
    const users = new Set(targets.map((t) => t.userId)).size
    const changes = describeDocument(p.document)
    const shape = p.allAtOnce
      ? 'all at once'
      : `in ${batches.length} batch${batches.length === 1 ? '' : 'es'} of ≤${batchSize}${p.canary ? ` after a canary of ${p.canary}` : ''}, standbys first`
    return {
      summary: `push config (${p.document.format}, ${changes.length} change${changes.length === 1 ? '' : 's'}) to ${targets.length} instance${targets.length === 1 ? '' : 's'} of ${users} user${users === 1 ? '' : 's'} ${shape}`,
      targets: batches.flatMap((b) => b.members.map((m) => m.id)),
      affectedUsers: users,
      costDeltaMonthlyUsdCents: 0,
      steps: [
        {
          name: 'start',
          target: null,
          input: { instances: targets.length, batches: batches.length, batchSize },
        },
        ...batchSteps(batches),
        { name: 'finish', target: null, input: {} },
      ],
      // Two rollouts never change one instance's config at once.
      locks: targets.map((t) => `config:${t.id}`),
      facts: {
        rollout,
        configPush: {
          instances: targets.length,
          batches: batches.length,
          batchSize,
          canary: p.canary,
          pauseMs: p.pauseMs,
          maxFailures: describeBudget(p.maxFailures),
          restart: p.restart,
          notPushable: selected.length - targets.length,
          format: p.document.format,
          changes,
        },
      },
    }
  },

  async runStep(run, p) {
    switch (run.step.name) {
      case 'start':
        return start(run, p)
      case 'batch':
        return batch(run, p)
      case 'finish':
        return finish(run)
      default:
        throw new Error(`config.push has no step ${run.step.name}`)
    }
  },

  holdBack: holdPausedRollout,
}

export default configPushKind
