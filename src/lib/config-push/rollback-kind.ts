/**
 * The `config.rollback` operation (`clawops config push rollback <rolloutId>`): puts the previous
 * config back on every instance a push changed. Steps:
 *   start    stops the push for good (it is marked rolling back; a later resume of it does nothing)
 *            and records the rollback as the next config version;
 *   batch k  primaries first (the users' gateways), never both members of a pair in one batch; each
 *            instance is swapped back by gf-clawnode only while its file is still the one the push
 *            wrote (compare-and-swap), so a repeat or a file changed since is never clobbered;
 *   finish   marks the push rolled back.
 * A rollback does not halt on failures: each one is reported, and running the rollback again retries
 * the instances still not reverted. It refuses while a clawops process is running the push.
 */
import { z } from 'zod'
import type { Context } from '../context.js'
import type { OperationKind, StepRun } from '../engine/kind.js'
import { UserError } from '../errors.js'
import { planBatches } from '../rollout/batching.js'
import { ConfigRollouts, type Rollout, type RolloutTarget, rolloutIdOf } from '../store/config-rollouts.js'
import { ConfigVersions } from '../store/config-versions.js'
import { Operations } from '../store/operations.js'
import { type BatchEnv, runInstances } from './batch.js'
import { parseDocument } from './document.js'
import { revertInstance, settleForRollback } from './instance.js'
import { holdPausedRollout } from './push-kind.js'

const ParamsSchema = z
  .object({
    rollout: z.string().regex(/^r-[0-9a-z]+$/),
    reason: z.string().max(500).nullable().default(null),
  })
  .strict()
export type ConfigRollbackParams = z.infer<typeof ParamsSchema>

interface RevertBatchInput {
  batch: number
  of: number
  instances: string[]
}

/** Rows the push changed (or may have) and that are not back yet. */
export function revertable(rows: readonly RolloutTarget[]): RolloutTarget[] {
  return rows.filter(
    (t) =>
      t.state === 'pushing' ||
      t.reason === 'unknown' ||
      (t.postHash !== null && t.revertState !== 'reverted' && t.revertState !== 'superseded'),
  )
}

/** True while a clawops process holds the operation's lease (it is running the rollout right now). */
export function leaseLive(ctx: Context, opId: string): boolean {
  const op = ctx.store().repo(Operations).get(opId)
  return Boolean(op?.leaseOwner && op.leaseUntil && op.leaseUntil > ctx.store().sharedNow())
}

function pushOf(ctx: Context, id: string): Rollout {
  const r = ctx.store().repo(ConfigRollouts).get(id)
  if (!r) throw new UserError('NOT_FOUND', `no rollout ${id}`, { hint: 'See clawops config history.' })
  if (r.kind !== 'push')
    throw new UserError('INVALID_INPUT', `${id} is a rollback; it cannot be rolled back itself`)
  return r
}

async function start(run: StepRun, p: ConfigRollbackParams) {
  const store = run.ctx.store()
  const rollouts = store.repo(ConfigRollouts)
  const existing = rollouts.byOp(run.opId)
  if (existing) return { rolloutId: existing.id, version: existing.version }
  const push = pushOf(run.ctx, p.rollout)
  const batches = store
    .repo(Operations)
    .steps(run.opId)
    .filter((s) => s.name === 'batch')
  const id = rolloutIdOf(run.opId)
  const instances = batches.reduce((n, s) => n + (s.input as RevertBatchInput).instances.length, 0)
  const version = store.tx(() => {
    if (leaseLive(run.ctx, push.opId)) {
      throw new UserError('CONFLICT', `rollout ${push.id} is being run by another clawops process`, {
        hint: `Pause it first (clawops config push pause ${push.id}); its current batch finishes, then roll back.`,
      })
    }
    const pushVersion = store.repo(ConfigVersions).byRollout(push.id)
    const v = store.repo(ConfigVersions).append({
      rolloutId: id,
      kind: 'rollback',
      format: null,
      document: null,
      diff: { restores: `the config each instance had before v${push.version}`, instances },
      reverts: pushVersion?.version ?? push.version,
      summary: `roll back v${push.version} (${push.id}) on ${instances} instance${instances === 1 ? '' : 's'}${p.reason ? ` (${p.reason})` : ''}`,
      actor: run.actor,
    })
    rollouts.create(
      {
        id,
        opId: run.opId,
        planId: run.planId,
        kind: 'rollback',
        version: v.version,
        revertsRollout: push.id,
        status: 'running',
        settings: { ...push.settings, canary: 0, pauseMs: 0 },
        batches: batches.length,
        actor: run.actor,
      },
      [],
    )
    rollouts.setStatus(push.id, 'rolling-back', `rolled back by ${id}`)
    // The push's unfinished batches must never run after this: its operation ends here.
    const pushOp = store.repo(Operations).get(push.opId)
    if (pushOp && pushOp.state !== 'done')
      store.repo(Operations).setState(push.opId, 'failed', { rolledBackBy: id, rollbackOp: run.opId })
    return v.version
  })
  run.progress(
    `rollback ${id} (config v${version}) of ${push.id}: ${instances} instances in ${batches.length} batches`,
    {
      event: 'rollout',
      rolloutId: id,
      version,
      reverts: push.id,
      instances,
      batches: batches.length,
    },
  )
  return { rolloutId: id, version }
}

async function batch(run: StepRun, p: ConfigRollbackParams) {
  const input = run.step.input as RevertBatchInput
  const store = run.ctx.store()
  const rollouts = store.repo(ConfigRollouts)
  const me = rollouts.byOp(run.opId)
  if (!me) throw new Error(`operation ${run.opId} has no rollout`)
  const push = pushOf(run.ctx, p.rollout)
  const pushVersion = store.repo(ConfigVersions).byRollout(push.id)
  rollouts.setCurrentBatch(me.id, input.batch)
  const nodes = await run.ctx.nodes()
  const env: BatchEnv = {
    ctx: run.ctx,
    invoker: nodes,
    rollout: push,
    // A rollback reads and swaps files; it never applies the document.
    doc: pushVersion?.format
      ? parseDocument(pushVersion.format, pushVersion.document)
      : { format: 'full', body: {} },
    actor: run.actor,
    opId: run.opId,
    planId: run.planId,
    action: 'config.rollback.instance',
    sleep: (ms: number) => run.ctx.sleep(ms),
    progress: run.progress,
  }
  const wanted = new Set(input.instances)
  const rows = rollouts.targets(push.id).filter((t) => wanted.has(t.instanceId))
  const totals = rollouts.counts(push.id)
  const revert = async (t: RolloutTarget) => {
    const settled = await settleForRollback(env, t)
    if (!settled.postHash || settled.revertState === 'reverted' || settled.revertState === 'superseded')
      return settled
    const after = await revertInstance(env, settled)
    run.audit({
      action: 'config.rollback.instance',
      target: t.instanceId,
      outcome: after.revertState === 'reverted' ? 'ok' : 'failed',
      details: { rolloutId: me.id, reverts: push.id, revert: after.revertState, detail: after.revertDetail },
    })
    return after
  }
  let reverted = 0
  const line = (t: RolloutTarget) => {
    if (t.revertState === 'reverted') reverted++
    return `rollback batch ${input.batch}/${input.of} · reverted ${reverted}`
  }
  try {
    await runInstances(env, revertable(rows), input.batch, input.of, revert, totals, line)
  } catch (err) {
    rollouts.setStatus(me.id, 'halted', `batch ${input.batch}/${input.of} stopped: ${(err as Error).message}`)
    throw err
  }
  const after = rollouts.targets(push.id).filter((t) => wanted.has(t.instanceId))
  const summary = {
    batch: input.batch,
    of: input.of,
    instances: after.length,
    reverted: after.filter((t) => t.revertState === 'reverted').length,
    superseded: after.filter((t) => t.revertState === 'superseded').length,
    notReverted: after.filter((t) => t.revertState === 'failed' || t.revertState === 'reverting').length,
    notApplied: after.filter((t) => t.reason === 'not-applied').length,
  }
  run.progress(`rollback batch ${input.batch}/${input.of} done: ${summary.reverted} reverted`, {
    event: 'batch',
    rolloutId: me.id,
    ...summary,
  })
  return summary
}

function finish(run: StepRun, p: ConfigRollbackParams) {
  const rollouts = run.ctx.store().repo(ConfigRollouts)
  const me = rollouts.byOp(run.opId)
  if (!me) throw new Error(`operation ${run.opId} has no rollout`)
  const left = revertable(rollouts.targets(p.rollout)).length
  run.ctx.store().tx(() => {
    rollouts.setStatus(
      p.rollout,
      'rolled-back',
      left ? `rolled back by ${me.id}; ${left} instance(s) could not be reverted` : `rolled back by ${me.id}`,
      true,
    )
    rollouts.setStatus(me.id, 'complete', left ? `${left} instance(s) not reverted` : null, true)
  })
  return { rolloutId: me.id, reverts: p.rollout, notReverted: left }
}

const configRollbackKind: OperationKind<ConfigRollbackParams> = {
  kind: 'config.rollback',
  action: 'config.rollback',

  parseParams(raw) {
    const r = ParamsSchema.safeParse(raw)
    if (!r.success) throw new UserError('INVALID_INPUT', 'config rollback needs a rollout id (r-…)')
    return r.data
  },

  plan(ctx, p) {
    const push = pushOf(ctx, p.rollout)
    if (leaseLive(ctx, push.opId)) {
      throw new UserError(
        'CONFLICT',
        `rollout ${push.id} is running (batch ${push.currentBatch}/${push.batches})`,
        {
          hint: `Pause it first (clawops config push pause ${push.id}); its current batch finishes, then roll back.`,
        },
      )
    }
    const rows = revertable(ctx.store().repo(ConfigRollouts).targets(push.id))
    if (rows.length === 0) {
      throw new UserError('CONFLICT', `rollout ${push.id} changed no instance that is not back already`, {
        hint: `See clawops config push status ${push.id}.`,
        details: { rolloutId: push.id, status: push.status },
      })
    }
    const batches = planBatches(
      rows.map((t) => ({ id: t.instanceId, pairId: t.pairId, userId: t.userId, role: t.role })),
      { batchSize: push.settings.batchSize, canary: 0, allAtOnce: false, order: 'primaries-first' },
    )
    const users = new Set(rows.map((t) => t.userId)).size
    return {
      summary: `roll back config v${push.version} (${push.id}) on ${rows.length} instance${rows.length === 1 ? '' : 's'} of ${users} user${users === 1 ? '' : 's'} in ${batches.length} batch${batches.length === 1 ? '' : 'es'}, primaries first`,
      targets: batches.flatMap((b) => b.members.map((m) => m.id)),
      affectedUsers: users,
      costDeltaMonthlyUsdCents: 0,
      steps: [
        { name: 'start', target: push.id, input: { reverts: push.id, version: push.version } },
        ...batches.map((b) => ({
          name: 'batch',
          target: `batch ${b.index}/${batches.length}`,
          input: {
            batch: b.index,
            of: batches.length,
            instances: b.members.map((m) => m.id),
          } satisfies RevertBatchInput,
        })),
        { name: 'finish', target: push.id, input: {} },
      ],
      facts: {
        configPush: { instances: rows.length, rolling: true, allAtOnce: false, batches: batches.length },
        configRollback: { rolloutId: push.id, version: push.version, status: push.status },
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
        return finish(run, p)
      default:
        throw new Error(`config.rollback has no step ${run.step.name}`)
    }
  },

  holdBack: holdPausedRollout,
}

export default configRollbackKind
