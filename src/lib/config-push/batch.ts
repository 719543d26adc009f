/**
 * One batch of a rollout: its instances in parallel (bounded), then, after the pause between batches,
 * a second health check of the instances it changed. Instances already settled (a resumed batch) are
 * not touched again. If the gateway itself goes away, no new instance starts, the ones in flight
 * finish, and the batch stops with GATEWAY_UNREACHABLE; a resume picks up the rest.
 */

import { pool } from '../rollout/pool.js'
import { ConfigRollouts, type OutcomeCounts, type RolloutTarget } from '../store/config-rollouts.js'
import type { InstanceEnv } from './instance.js'

export interface BatchEnv extends InstanceEnv {
  sleep(ms: number): Promise<void>
  progress(message: string, data?: Record<string, unknown>): void
}

export interface BatchSummary {
  batch: number
  of: number
  instances: number
  applied: number
  unchanged: number
  skipped: number
  failed: number
  /** Applied instances found unhealthy at the check after the pause (and put back). */
  failedAfterPause: number
  ms: number
}

export function tally(rows: readonly RolloutTarget[]) {
  const c = { applied: 0, unchanged: 0, skipped: 0, failed: 0 }
  for (const r of rows) if (r.state === 'done' && r.outcome) c[r.outcome]++
  return c
}

export function progressLine(
  batch: number,
  of: number,
  c: Pick<OutcomeCounts, 'applied' | 'failed' | 'skipped' | 'unchanged'>,
) {
  return `batch ${batch}/${of} · applied ${c.applied} · failed ${c.failed} · skipped ${c.skipped} · unchanged ${c.unchanged}`
}

/**
 * Runs the instances of one batch through `each` (push or revert) and reports progress with the
 * rollout's running totals. Throws the gateway's error (or the first unexpected one) after the
 * instances in flight settle.
 */
export async function runInstances(
  env: BatchEnv,
  rows: readonly RolloutTarget[],
  batch: number,
  of: number,
  each: (t: RolloutTarget) => Promise<RolloutTarget>,
  totals: OutcomeCounts,
  line: (done: RolloutTarget) => string = () => progressLine(batch, of, totals),
): Promise<void> {
  let halt: unknown = null
  await pool(
    rows,
    env.rollout.settings.concurrency,
    async (t) => {
      try {
        const done = await each(t)
        if (t.state !== 'done' && done.state === 'done' && done.outcome) {
          totals[done.outcome]++
          totals.pending = Math.max(0, totals.pending - 1)
        }
        env.progress(line(done), {
          event: 'instance',
          rolloutId: env.rollout.id,
          batch,
          of,
          instanceId: done.instanceId,
          outcome: done.outcome,
          reason: done.reason,
          ...(done.revertState ? { revert: done.revertState } : {}),
        })
      } catch (err) {
        halt ??= err
      }
    },
    () => halt !== null,
  )
  if (halt !== null) throw halt
}

export async function runPushBatch(
  env: BatchEnv,
  batch: number,
  of: number,
  push: (t: RolloutTarget) => Promise<RolloutTarget>,
  recheck: (t: RolloutTarget) => Promise<RolloutTarget>,
): Promise<BatchSummary> {
  const t0 = Date.now()
  const rollouts = env.ctx.store().repo(ConfigRollouts)
  const rows = rollouts.targets(env.rollout.id, batch)
  const totals = rollouts.counts(env.rollout.id)
  await runInstances(
    env,
    rows.filter((r) => r.state !== 'done'),
    batch,
    of,
    push,
    totals,
  )
  let failedAfterPause = 0
  const pauseMs = env.rollout.settings.pauseMs
  if (pauseMs > 0) {
    env.progress(
      `batch ${batch}/${of}: waiting ${Math.round(pauseMs / 1000)} s, then checking its gateways again`,
      {
        event: 'pause',
        rolloutId: env.rollout.id,
        batch,
        of,
        ms: pauseMs,
      },
    )
    await env.sleep(pauseMs)
    const applied = rollouts.targets(env.rollout.id, batch).filter((r) => r.outcome === 'applied')
    let halt: unknown = null
    await pool(
      applied,
      env.rollout.settings.concurrency,
      async (t) => {
        try {
          const after = await recheck(t)
          if (after.outcome === 'failed') failedAfterPause++
        } catch (err) {
          halt ??= err
        }
      },
      () => halt !== null,
    )
    if (halt !== null) throw halt
  }
  const after = rollouts.targets(env.rollout.id, batch)
  return { batch, of, instances: after.length, ...tally(after), failedAfterPause, ms: Date.now() - t0 }
}
