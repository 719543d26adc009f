/**
 * `clawops instance restart <id>` and `clawops restart -l <selector>`: restart the user's OpenClaw
 * service through gf-clawnode and wait for it to answer healthy. One journaled step per instance, a
 * bounded number at a time; a bulk restart carries on past a failed instance and ends partial.
 * Restarts share the restart budget with heals (fleet/restart-budget.ts): more than 10 users, or past
 * a provider's or region's budget for the window, needs a confirmation.
 */
import { z } from 'zod'
import type { Context } from '../context.js'
import type { OperationKind } from '../engine/kind.js'
import { UserError } from '../errors.js'
import { selectInstances } from '../fleet/instance-query.js'
import { RestartBudget } from '../fleet/restart-budget.js'
import { Instances } from '../store/instances.js'

const RESTARTABLE = ['ACTIVE', 'DEGRADED', 'FAILED'] as const

export const RestartParamsSchema = z
  .object({
    ids: z.array(z.string().min(1)).min(1).optional(),
    selector: z.string().optional(),
    concurrency: z.number().int().min(1).max(64).default(8),
    waitTimeoutMs: z.number().int().min(1_000).max(300_000).default(60_000),
  })
  .strict()
  .refine((p) => p.ids !== undefined || p.selector !== undefined, 'give instance ids or a selector')
export type RestartParams = z.infer<typeof RestartParamsSchema>

function targetsOf(ctx: Context, p: RestartParams) {
  const found = selectInstances(ctx, {
    ...(p.ids ? { ids: p.ids } : {}),
    ...(p.selector ? { selector: p.selector } : {}),
  })
  if (p.ids) {
    const missing = p.ids.filter((id) => !found.some((i) => i.id === id))
    if (missing.length) throw new UserError('NOT_FOUND', `no instance ${missing.join(', ')}`)
  }
  return found.filter((i) => (RESTARTABLE as readonly string[]).includes(i.state))
}

const restartKind: OperationKind<RestartParams> = {
  kind: 'instance.restart',
  action: 'instance.restart',
  continueOnFailure: true,
  concurrency: (p) => p.concurrency,
  parseParams(raw) {
    const r = RestartParamsSchema.safeParse(raw)
    if (!r.success) throw new UserError('INVALID_INPUT', r.error.issues.map((i) => i.message).join('; '))
    return r.data
  },
  plan(ctx, p) {
    const targets = targetsOf(ctx, p)
    if (targets.length === 0) {
      throw new UserError('NOT_FOUND', 'no ACTIVE, DEGRADED or FAILED instance matches', {
        hint: 'Check the selector with clawops instance list.',
      })
    }
    return {
      summary: `restart OpenClaw on ${targets.length} instance${targets.length === 1 ? '' : 's'}`,
      targets: targets.map((t) => t.id),
      affectedUsers: new Set(targets.map((t) => t.userId)).size,
      costDeltaMonthlyUsdCents: 0,
      steps: targets.map((t) => ({ name: 'restart', target: t.id, input: { nodeId: t.nodeId } })),
      locks: [...new Set(targets.map((t) => `pair:${t.pairId}`))],
      facts: {
        states: targets.map((t) => [t.id, t.state]),
        restartBudget: new RestartBudget(ctx.store(), ctx.watchSettings().restartBudget, ctx.clock()).fact(
          targets,
        ),
      },
    }
  },
  // Each restart spends the budget heals share; judged again as the journal stands when it runs.
  recheck(ctx, _p, step) {
    const inst = step.target ? ctx.store().repo(Instances).get(step.target) : undefined
    if (!inst) return null
    const budget = new RestartBudget(ctx.store(), ctx.watchSettings().restartBudget, ctx.clock(), step)
    return { restartBudget: budget.fact([inst]) }
  },
  async runStep(run, p) {
    const id = run.step.target!
    const invoker = await run.ctx.nodes()
    const nodeId = (run.step.input as { nodeId: string | null }).nodeId
    const r = await invoker.invoke<{ healthy?: boolean; ms?: number }>(
      { id, nodeId },
      'openclaw.restart',
      { wait: true, waitTimeoutMs: p.waitTimeoutMs },
      p.waitTimeoutMs + 30_000,
    )
    if (r.healthy === false) {
      throw new UserError('NODE_ERROR', `OpenClaw on ${id} did not come back healthy after the restart`, {
        details: { instanceId: id, result: r },
      })
    }
    return { healthy: r.healthy ?? null, ms: r.ms ?? null }
  },
}

export default restartKind
