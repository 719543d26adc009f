/**
 * The `openclaw.rollback` operation (`clawops openclaw upgrade rollback <rolloutId>`): puts back the
 * OpenClaw version and the state from before the upgrade on every instance the rollout upgraded (and
 * asks every instance whose outcome is unknown). Steps:
 *   start    stops the upgrade for good (marked rolling back; its unfinished batches never run);
 *   batch k  primaries first (the users' gateways), never both members of a pair in one batch; each
 *            node reverts only while its gateway still runs the version that upgrade installed, and
 *            packs the state the user had since aside before restoring the snapshot;
 *   finish   marks the upgrade rolled back.
 * A rollback does not halt on failures: each is reported, and running it again retries the rest.
 */
import { z } from 'zod'
import type { Context } from '../context.js'
import type { OperationKind, StepRun } from '../engine/kind.js'
import { UserError } from '../errors.js'
import { planBatches } from '../rollout/batching.js'
import { leaseHeld } from '../rollout/liveness.js'
import { pool } from '../rollout/pool.js'
import { Operations } from '../store/operations.js'
import {
  type UpgradeRollout,
  UpgradeRollouts,
  type UpgradeTarget,
  upgradeIdOf,
} from '../store/upgrade-rollouts.js'
import { isGatewayDown, keyOf, revertInstance, type UpgradeEnv } from './instance.js'
import { upgradeSettings } from './settings.js'
import { holdPausedUpgrade } from './upgrade-kind.js'

const ParamsSchema = z
  .object({
    rollout: z.string().regex(/^u-[0-9a-z]+$/),
    reason: z.string().max(500).nullable().default(null),
  })
  .strict()
export type UpgradeRollbackParams = z.infer<typeof ParamsSchema>

interface RevertBatchInput {
  batch: number
  of: number
  instances: string[]
}

/** Rows the upgrade changed (or may have) and that are not back yet. */
export function revertable(rows: readonly UpgradeTarget[]): UpgradeTarget[] {
  const unknown = (t: UpgradeTarget) =>
    t.state === 'upgrading' ||
    (t.outcome === 'failed' && (t.reason === 'unreachable' || t.reason === 'timeout'))
  return rows.filter(
    (t) =>
      (t.outcome === 'upgraded' || unknown(t)) &&
      t.revertState !== 'reverted' &&
      t.revertState !== 'superseded' &&
      t.revertState !== 'not-applied',
  )
}

function upgradeOf(ctx: Context, id: string): UpgradeRollout {
  const r = ctx.store().repo(UpgradeRollouts).get(id)
  if (!r)
    throw new UserError('NOT_FOUND', `no upgrade rollout ${id}`, { hint: 'See clawops openclaw versions.' })
  if (r.kind !== 'openclaw')
    throw new UserError(
      'INVALID_INPUT',
      `${id} is ${r.kind === 'rollback' ? 'a rollback' : 'a gf-clawnode upgrade'}; only an OpenClaw upgrade rolls back`,
      {
        hint:
          r.kind === 'clawnode'
            ? 'Roll gf-clawnode forward or back with clawops clawnode upgrade --to <version>.'
            : undefined,
      },
    )
  return r
}

async function start(run: StepRun, p: UpgradeRollbackParams) {
  const store = run.ctx.store()
  const rollouts = store.repo(UpgradeRollouts)
  const existing = rollouts.byOp(run.opId)
  if (existing) return { rolloutId: existing.id }
  const up = upgradeOf(run.ctx, p.rollout)
  const batches = store
    .repo(Operations)
    .steps(run.opId)
    .filter((s) => s.name === 'batch')
  const id = upgradeIdOf(run.opId)
  store.tx(() => {
    if (leaseHeld(run.ctx, up.opId))
      throw new UserError('CONFLICT', `rollout ${up.id} is being run by another clawops process`, {
        hint: `Pause it first (clawops openclaw upgrade pause ${up.id}); its current batch finishes, then roll back.`,
      })
    rollouts.create(
      {
        id,
        opId: run.opId,
        planId: run.planId,
        kind: 'rollback',
        targetVersion: up.targetVersion,
        release: null,
        revertsRollout: up.id,
        status: 'running',
        settings: { ...up.settings, canary: 0, pauseMs: 0 },
        batches: batches.length,
        actor: run.actor,
      },
      [],
    )
    rollouts.setStatus(up.id, 'rolling-back', `rolled back by ${id}${p.reason ? ` (${p.reason})` : ''}`)
    // The upgrade's unfinished batches must never run after this: its operation ends here.
    const op = store.repo(Operations).get(up.opId)
    if (op && op.state !== 'done')
      store.repo(Operations).setState(up.opId, 'failed', { rolledBackBy: id, rollbackOp: run.opId })
  })
  run.progress(`rollback ${id} of ${up.id} (OpenClaw ${up.targetVersion}) in ${batches.length} batches`, {
    event: 'rollout',
    rolloutId: id,
    reverts: up.id,
    batches: batches.length,
  })
  return { rolloutId: id }
}

async function batch(run: StepRun, p: UpgradeRollbackParams) {
  const input = run.step.input as RevertBatchInput
  const rollouts = run.ctx.store().repo(UpgradeRollouts)
  const me = rollouts.byOp(run.opId)
  if (!me) throw new Error(`operation ${run.opId} has no rollout`)
  const up = upgradeOf(run.ctx, p.rollout)
  rollouts.setCurrentBatch(me.id, input.batch)
  const env: UpgradeEnv = {
    ctx: run.ctx,
    invoker: await run.ctx.nodes(),
    rollout: up,
    actor: run.actor,
    opId: run.opId,
    planId: run.planId,
    action: 'openclaw.rollback.instance',
    rejoinTimeoutMs: upgradeSettings(run.ctx.config()).rejoinTimeoutMs,
    sleep: (ms) => run.ctx.sleep(ms),
  }
  const wanted = new Set(input.instances)
  const rows = revertable(rollouts.targets(up.id)).filter((t) => wanted.has(t.instanceId))
  let halt: unknown = null
  await pool(
    rows,
    up.settings.concurrency,
    async (t) => {
      try {
        const after = await revertInstance(env, t, keyOf(me.id, t.instanceId, 'revert'))
        run.audit({
          action: 'openclaw.rollback.instance',
          target: t.instanceId,
          outcome: after.revertState === 'reverted' || after.revertState === 'not-applied' ? 'ok' : 'failed',
          details: {
            rolloutId: me.id,
            reverts: up.id,
            revert: after.revertState,
            detail: after.revertDetail,
          },
        })
        run.progress(`rollback batch ${input.batch}/${input.of} · ${t.instanceId} ${after.revertState}`, {
          event: 'instance',
          rolloutId: me.id,
          instanceId: t.instanceId,
          revert: after.revertState,
        })
      } catch (err) {
        if (isGatewayDown(err)) halt ??= err
        else throw err
      }
    },
    () => halt !== null,
  )
  if (halt !== null) {
    rollouts.setStatus(
      me.id,
      'halted',
      `batch ${input.batch}/${input.of} stopped: ${(halt as Error).message}`,
    )
    throw halt
  }
  const after = rollouts.targets(up.id).filter((t) => wanted.has(t.instanceId))
  return {
    batch: input.batch,
    of: input.of,
    reverted: after.filter((t) => t.revertState === 'reverted').length,
    superseded: after.filter((t) => t.revertState === 'superseded').length,
    notApplied: after.filter((t) => t.revertState === 'not-applied').length,
    notReverted: after.filter((t) => t.revertState === 'failed' || t.revertState === 'reverting').length,
  }
}

function finish(run: StepRun, p: UpgradeRollbackParams) {
  const rollouts = run.ctx.store().repo(UpgradeRollouts)
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

const openclawRollbackKind: OperationKind<UpgradeRollbackParams> = {
  kind: 'openclaw.rollback',
  action: 'openclaw.upgrade',

  parseParams(raw) {
    const r = ParamsSchema.safeParse(raw)
    if (!r.success) throw new UserError('INVALID_INPUT', 'an upgrade rollback needs a rollout id (u-…)')
    return r.data
  },

  plan(ctx, p) {
    const up = upgradeOf(ctx, p.rollout)
    if (leaseHeld(ctx, up.opId)) {
      throw new UserError(
        'CONFLICT',
        `rollout ${up.id} is running (batch ${up.currentBatch}/${up.batches})`,
        {
          hint: `Pause it first (clawops openclaw upgrade pause ${up.id}); its current batch finishes, then roll back.`,
        },
      )
    }
    const rows = revertable(ctx.store().repo(UpgradeRollouts).targets(up.id))
    if (rows.length === 0) {
      throw new UserError('CONFLICT', `rollout ${up.id} upgraded no instance that is not back already`, {
        hint: `See clawops openclaw upgrade status ${up.id}.`,
        details: { rolloutId: up.id, status: up.status },
      })
    }
    const batches = planBatches(
      rows.map((t) => ({ id: t.instanceId, pairId: t.pairId, userId: t.userId, role: t.role })),
      { batchSize: up.settings.batchSize, canary: 0, allAtOnce: false, order: 'primaries-first' },
    )
    const users = new Set(rows.map((t) => t.userId)).size
    return {
      summary: `roll back OpenClaw ${up.targetVersion} (${up.id}) on ${rows.length} instance${rows.length === 1 ? '' : 's'} of ${users} user${users === 1 ? '' : 's'}: the previous version and the state from before it, in ${batches.length} batch${batches.length === 1 ? '' : 'es'}, primaries first`,
      targets: batches.flatMap((b) => b.members.map((m) => m.id)),
      affectedUsers: users,
      costDeltaMonthlyUsdCents: 0,
      steps: [
        { name: 'start', target: up.id, input: { reverts: up.id } },
        ...batches.map((b) => ({
          name: 'batch',
          target: `batch ${b.index}/${batches.length}`,
          input: {
            batch: b.index,
            of: batches.length,
            instances: b.members.map((m) => m.id),
          } satisfies RevertBatchInput,
        })),
        { name: 'finish', target: up.id, input: {} },
      ],
      facts: {
        upgradeRollback: {
          rolloutId: up.id,
          target: up.targetVersion,
          instances: rows.length,
          status: up.status,
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
        return finish(run, p)
      default:
        throw new Error(`openclaw.rollback has no step ${run.step.name}`)
    }
  },

  holdBack: holdPausedUpgrade,
}

export default openclawRollbackKind
