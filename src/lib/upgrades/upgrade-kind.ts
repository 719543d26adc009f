/**
 * The `openclaw.upgrade` and `clawnode.upgrade` operations: a new OpenClaw for the users' gateways,
 * or a new gf-clawnode, rolled out in batches on the machinery of config pushes. Steps:
 *   start    records the rollout, the release it installs and one row per instance and its batch;
 *   batch k  upgrades the batch's instances through their nodes (instance.ts), waits the pause,
 *            checks them again, then judges the failure budget: exceeded, the rollout halts (this
 *            step fails, later batches stay pending for `upgrade resume`);
 *   finish   marks the rollout complete.
 * Batches: standbys first, never both members of a pair in one batch, an optional canary first.
 * Policy reads facts.rollout (rule 2: above 100 instances within its limits, else a human decides)
 * and the plan's affected users (rule 5). The plan names the release (file and SHA-256 from the
 * release location), so a confirmation is for exactly those bytes. A paused rollout holds its next
 * batch back. An OpenClaw upgrade holds `config:<instance>` (no config push runs meanwhile); a
 * gf-clawnode upgrade holds `clawnode:<instance>`.
 */
import { z } from 'zod'
import type { Context } from '../context.js'
import type { Role } from '../domain/instance.js'
import type { OperationStep } from '../domain/operation.js'
import type { OperationKind, StepRun } from '../engine/kind.js'
import { UserError } from '../errors.js'
import { selectInstances } from '../fleet/instance-query.js'
import { type RolloutFact, rolloutBatchLimit } from '../policy/rules.js'
import { planBatches } from '../rollout/batching.js'
import {
  budgetPct,
  DEFAULT_BUDGET,
  describeBudget,
  FailureBudgetSchema,
  judgeBudget,
} from '../rollout/budget.js'
import { pool } from '../rollout/pool.js'
import { Operations } from '../store/operations.js'
import {
  type ReleaseRef,
  type UpgradeRollout,
  UpgradeRollouts,
  type UpgradeSeed,
  upgradeIdOf,
} from '../store/upgrade-rollouts.js'
import { recheckInstance, UPGRADABLE_STATES, type UpgradeEnv, upgradeInstance } from './instance.js'
import { resolveRelease, type UpgradeWhat } from './releases.js'
import { upgradeSettings } from './settings.js'

export const DEFAULT_SELECTOR = 'state=ACTIVE'

const ParamsSchema = z
  .object({
    version: z.string().min(1).max(64),
    /** null: every ACTIVE instance. */
    selector: z.string().min(1).nullable().default(null),
    /** null: the configured batch size (upgrades.batchSize), within rule 2's limit for the target. */
    batchSize: z.number().int().min(1).max(1000).nullable().default(null),
    canary: z.number().int().min(0).max(1000).default(0),
    pauseMs: z.number().int().min(0).max(3_600_000).default(10_000),
    maxFailures: FailureBudgetSchema.default(DEFAULT_BUDGET),
    /** Instances of one batch in flight at once (default: the batch size, at most 32). */
    concurrency: z.number().int().min(1).max(256).nullable().default(null),
    reason: z.string().max(500).nullable().default(null),
  })
  .strict()
export type UpgradeParams = z.infer<typeof ParamsSchema>

export interface UpgradeBatchInput {
  batch: number
  of: number
  canary: boolean
  instances: { id: string; pair: string; user: string; role: Role }[]
}

export const NAMES = {
  openclaw: { kind: 'openclaw.upgrade', action: 'openclaw.upgrade', noun: 'OpenClaw', lock: 'config' },
  clawnode: { kind: 'clawnode.upgrade', action: 'clawnode.upgrade', noun: 'gf-clawnode', lock: 'clawnode' },
} as const

export function parseUpgradeParams(raw: unknown): UpgradeParams {
  const r = ParamsSchema.safeParse(raw)
  if (!r.success) {
    const issue = r.error.issues[0]
    throw new UserError('INVALID_INPUT', `upgrade: ${issue?.path.join('.') || 'params'}: ${issue?.message}`)
  }
  if (r.data.batchSize !== null && r.data.canary > r.data.batchSize)
    throw new UserError(
      'INVALID_INPUT',
      `the canary batch (${r.data.canary}) is larger than a batch (${r.data.batchSize})`,
    )
  return r.data
}

export function concurrencyOf(p: Pick<UpgradeParams, 'concurrency'>, batchSize: number): number {
  return p.concurrency ?? Math.min(batchSize, 32)
}

function rolloutOf(ctx: Context, opId: string): UpgradeRollout {
  const r = ctx.store().repo(UpgradeRollouts).byOp(opId)
  if (!r) throw new Error(`operation ${opId} has no upgrade rollout; its start step did not run`)
  return r
}

/** A paused upgrade (or rollback) holds its next step back until `upgrade resume`. */
export function holdPausedUpgrade(ctx: Context, opId: string, _step: OperationStep): string | null {
  const rollouts = ctx.store().repo(UpgradeRollouts)
  const r = rollouts.byOp(opId)
  if (!r || (r.status !== 'pausing' && r.status !== 'paused')) return null
  if (r.status === 'pausing') rollouts.setStatus(r.id, 'paused', r.reason)
  return `rollout ${r.id} is paused${r.reason ? ` (${r.reason})` : ''}`
}

/** The versions the store last heard from the targets, grouped (for the plan). */
function versionGroups(ctx: Context, what: UpgradeWhat, ids: readonly string[]) {
  const stored = ctx.store().repo(UpgradeRollouts).versions(ids)
  const groups = new Map<string, number>()
  let unknown = 0
  for (const id of ids) {
    const v = stored.get(id)?.[what] ?? null
    if (v === null) unknown++
    else groups.set(v, (groups.get(v) ?? 0) + 1)
  }
  return {
    groups: [...groups.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([version, instances]) => ({ version, instances })),
    unknown,
  }
}

async function start(run: StepRun, what: UpgradeWhat, p: UpgradeParams) {
  const store = run.ctx.store()
  const rollouts = store.repo(UpgradeRollouts)
  const existing = rollouts.byOp(run.opId)
  if (existing) return { rolloutId: existing.id }
  const input = run.step.input as { release: ReleaseRef; batchSize: number }
  const batches = store
    .repo(Operations)
    .steps(run.opId)
    .filter((s) => s.name === 'batch')
    .map((s) => s.input as UpgradeBatchInput)
  const seeds: UpgradeSeed[] = batches.flatMap((b) =>
    b.instances.map((m, i) => ({
      instanceId: m.id,
      batch: b.batch,
      pos: i,
      pairId: m.pair,
      userId: m.user,
      role: m.role,
    })),
  )
  const id = upgradeIdOf(run.opId)
  store.tx(() =>
    rollouts.create(
      {
        id,
        opId: run.opId,
        planId: run.planId,
        kind: what,
        targetVersion: p.version,
        release: input.release,
        revertsRollout: null,
        status: 'running',
        settings: {
          batchSize: input.batchSize,
          canary: p.canary,
          pauseMs: p.pauseMs,
          maxFailures: p.maxFailures,
          concurrency: concurrencyOf(p, input.batchSize),
        },
        batches: batches.length,
        actor: run.actor,
      },
      seeds,
    ),
  )
  run.progress(
    `rollout ${id}: ${NAMES[what].noun} ${p.version} on ${seeds.length} instances in ${batches.length} batches`,
    {
      event: 'rollout',
      rolloutId: id,
      target: p.version,
      instances: seeds.length,
      batches: batches.length,
    },
  )
  return { rolloutId: id }
}

async function batch(run: StepRun, what: UpgradeWhat, p: UpgradeParams) {
  const input = run.step.input as UpgradeBatchInput
  const store = run.ctx.store()
  const rollouts = store.repo(UpgradeRollouts)
  const rollout = rolloutOf(run.ctx, run.opId)
  if (rollout.status === 'rolling-back' || rollout.status === 'rolled-back')
    return { batch: input.batch, skipped: `rollout ${rollout.id} was rolled back` }
  rollouts.setCurrentBatch(rollout.id, input.batch)
  const t0 = Date.now()
  const env: UpgradeEnv = {
    ctx: run.ctx,
    invoker: await run.ctx.nodes(),
    rollout,
    actor: run.actor,
    opId: run.opId,
    planId: run.planId,
    action: `${NAMES[what].kind}.instance`,
    rejoinTimeoutMs: upgradeSettings(run.ctx.config()).rejoinTimeoutMs,
    sleep: (ms) => run.ctx.sleep(ms),
  }
  const line = () => {
    const c = rollouts.counts(rollout.id)
    return `batch ${input.batch}/${input.of} · upgraded ${c.upgraded} · failed ${c.failed} · blocked ${c.blocked} · skipped ${c.skipped} · unchanged ${c.unchanged}`
  }
  let halt: unknown = null
  const runAll = async (rows: ReturnType<typeof rollouts.targets>, fn: typeof upgradeInstance) =>
    pool(
      rows,
      rollout.settings.concurrency,
      async (t) => {
        try {
          const done = await fn(env, t)
          run.progress(line(), {
            event: 'instance',
            rolloutId: rollout.id,
            batch: input.batch,
            of: input.of,
            instanceId: done.instanceId,
            outcome: done.outcome,
            reason: done.reason,
            version: done.version,
          })
        } catch (err) {
          halt ??= err
        }
      },
      () => halt !== null,
    )
  try {
    await runAll(
      rollouts.targets(rollout.id, input.batch).filter((r) => r.state !== 'done'),
      upgradeInstance,
    )
    if (halt !== null) throw halt
    if (rollout.settings.pauseMs > 0) {
      run.progress(
        `batch ${input.batch}/${input.of}: waiting ${Math.round(rollout.settings.pauseMs / 1000)} s, then checking it again`,
        {
          event: 'pause',
          rolloutId: rollout.id,
          batch: input.batch,
          ms: rollout.settings.pauseMs,
        },
      )
      await run.ctx.sleep(rollout.settings.pauseMs)
      await runAll(
        rollouts.targets(rollout.id, input.batch).filter((r) => r.outcome === 'upgraded'),
        recheckInstance,
      )
      if (halt !== null) throw halt
    }
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err)
    rollouts.setStatus(rollout.id, 'halted', `batch ${input.batch}/${input.of} stopped: ${message}`)
    throw err
  }
  const c = rollouts.counts(rollout.id, input.batch)
  const mine = rollouts.targets(rollout.id, input.batch)
  const summary = {
    batch: input.batch,
    of: input.of,
    canary: input.canary,
    instances: mine.length,
    upgraded: mine.filter((t) => t.outcome === 'upgraded').length,
    failed: mine.filter((t) => t.outcome === 'failed').length,
    blocked: mine.filter((t) => t.outcome === 'blocked').length,
    ms: Date.now() - t0,
  }
  run.progress(`${line()} (batch done)`, { event: 'batch', rolloutId: rollout.id, ...summary })
  // The budget guards the batches still to come; after the last one there is nothing left to protect.
  if (input.batch < input.of) {
    const verdict = judgeBudget(
      p.maxFailures,
      { processed: c.upgraded + c.unchanged + c.skipped + c.blocked + c.failed, failed: c.failed },
      rollout.accepted,
    )
    if (verdict.exceeded) {
      const reason = `failure budget ${describeBudget(p.maxFailures)} exceeded after ${input.canary ? 'the canary' : `batch ${input.batch}/${input.of}`}: ${verdict.message}`
      store.tx(() => {
        rollouts.setStatus(rollout.id, 'halted', reason)
        run.audit({
          action: `${NAMES[what].kind}.halt`,
          target: null,
          outcome: 'failed',
          details: { rolloutId: rollout.id, batch: input.batch, of: input.of, ...verdict },
        })
      })
      throw new UserError('PARTIAL_FAILURE', `rollout ${rollout.id} halted: ${reason}`, {
        hint: `Review the failures with clawops ${what} upgrade status ${rollout.id}; continue with clawops ${what} upgrade resume ${rollout.id}${what === 'openclaw' ? `, or undo with clawops openclaw upgrade rollback ${rollout.id}` : ''}.`,
        details: { rolloutId: rollout.id, batch: input.batch, of: input.of, ...verdict },
      })
    }
  }
  return summary
}

function finish(run: StepRun) {
  const rollouts = run.ctx.store().repo(UpgradeRollouts)
  const rollout = rolloutOf(run.ctx, run.opId)
  if (rollout.status !== 'rolling-back' && rollout.status !== 'rolled-back')
    rollouts.setStatus(rollout.id, 'complete', null, true)
  return { rolloutId: rollout.id, counts: rollouts.counts(rollout.id) }
}

function upgradeKind(what: UpgradeWhat): OperationKind<UpgradeParams> {
  const names = NAMES[what]
  return {
    kind: names.kind,
    action: names.action,
    parseParams: parseUpgradeParams,

    async plan(ctx, p) {
      const selected = selectInstances(ctx, { selector: p.selector ?? DEFAULT_SELECTOR })
      const eligible = selected.filter((i) => UPGRADABLE_STATES.has(i.state))
      const release = await resolveRelease(ctx, what, p.version)
      const stored = ctx
        .store()
        .repo(UpgradeRollouts)
        .versions(eligible.map((i) => i.id))
      const targets = eligible.filter((i) => stored.get(i.id)?.[what] !== release.version)
      if (targets.length === 0) {
        throw new UserError(
          eligible.length ? 'CONFLICT' : 'INVALID_INPUT',
          eligible.length
            ? `every selected instance reported ${names.noun} ${release.version} already`
            : 'no instance to upgrade',
          {
            hint: eligible.length
              ? `See clawops openclaw versions${p.selector ? ` -l '${p.selector}'` : ''}.`
              : selected.length
                ? `The selector matched ${selected.length} instance(s), none ACTIVE or DEGRADED.`
                : 'The selector matched no instance; see clawops instance list -l <selector>.',
          },
        )
      }
      const ceiling = upgradeSettings(ctx.config()).batchSize
      const batchSize = p.batchSize ?? rolloutBatchLimit(targets.length, ceiling)
      if (p.canary > batchSize)
        throw new UserError(
          'INVALID_INPUT',
          `the canary batch (${p.canary}) is larger than a batch (${batchSize} for ${targets.length} instances)`,
          { hint: 'Give a smaller --canary, or a --batch-size.' },
        )
      const batches = planBatches(
        targets.map((i) => ({ id: i.id, pairId: i.pairId, userId: i.userId, role: i.role })),
        { batchSize, canary: p.canary, allAtOnce: false },
      )
      const rollout: RolloutFact = {
        what: `${names.noun} upgrade`,
        instances: targets.length,
        batches: batches.map((b) => b.members.length),
        ceiling,
        pauseMs: p.pauseMs,
        maxFailurePct: budgetPct(p.maxFailures, targets.length),
        allAtOnce: false,
      }
      const users = new Set(targets.map((t) => t.userId)).size
      const from = versionGroups(
        ctx,
        what,
        targets.map((t) => t.id),
      )
      const fromText = from.groups
        .map((g) => `${g.version} ×${g.instances}`)
        .concat(from.unknown ? [`unknown ×${from.unknown}`] : [])
      return {
        summary: `upgrade ${names.noun} to ${release.version} on ${targets.length} instance${targets.length === 1 ? '' : 's'} of ${users} user${users === 1 ? '' : 's'} (from ${fromText.join(', ')}) in ${batches.length} batch${batches.length === 1 ? '' : 'es'} of ≤${batchSize}${p.canary ? ` after a canary of ${p.canary}` : ''}, standbys first`,
        targets: batches.flatMap((b) => b.members.map((m) => m.id)),
        affectedUsers: users,
        costDeltaMonthlyUsdCents: 0,
        steps: [
          {
            name: 'start',
            target: null,
            input: { release, batchSize, instances: targets.length, batches: batches.length },
          },
          ...batches.map((b) => ({
            name: 'batch',
            target: `batch ${b.index}/${batches.length}`,
            input: {
              batch: b.index,
              of: batches.length,
              canary: b.canary,
              instances: b.members.map((m) => ({ id: m.id, pair: m.pairId, user: m.userId, role: m.role })),
            } satisfies UpgradeBatchInput,
          })),
          { name: 'finish', target: null, input: {} },
        ],
        locks: targets.map((t) => `${names.lock}:${t.id}`),
        facts: {
          rollout,
          upgrade: {
            what,
            target: release.version,
            release: { path: release.path, sha256: release.sha256, size: release.size },
            instances: targets.length,
            batches: batches.length,
            batchSize,
            canary: p.canary,
            pauseMs: p.pauseMs,
            maxFailures: describeBudget(p.maxFailures),
            from: from.groups,
            unknownVersions: from.unknown,
            alreadyAtTarget: eligible.length - targets.length,
            notUpgradable: selected.length - eligible.length,
          },
        },
      }
    },

    async runStep(run, p) {
      switch (run.step.name) {
        case 'start':
          return start(run, what, p)
        case 'batch':
          return batch(run, what, p)
        case 'finish':
          return finish(run)
        default:
          throw new Error(`${names.kind} has no step ${run.step.name}`)
      }
    },

    holdBack: holdPausedUpgrade,
  }
}

export const openclawUpgradeKind = upgradeKind('openclaw')
export const clawnodeUpgradeKind = upgradeKind('clawnode')
