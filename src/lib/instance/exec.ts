/**
 * `clawops instance exec <id> -- <argv...>`: one allowlisted command on the instance, run by
 * gf-clawnode as argv (never a shell). The node's allowlist is the authority; the policy rule
 * `exec-argv-only` refuses shell tricks before anything is sent, so the refusal is audited here too.
 */
import { z } from 'zod'
import type { OperationKind } from '../engine/kind.js'
import { UserError } from '../errors.js'
import { getInstance } from '../fleet/instance-query.js'

export const ExecParamsSchema = z
  .object({
    instance: z.string().min(1),
    argv: z.array(z.string().min(1).max(4096)).min(1).max(64),
    timeoutMs: z.number().int().min(100).max(600_000).default(30_000),
  })
  .strict()
export type ExecParams = z.infer<typeof ExecParamsSchema>

const execKind: OperationKind<ExecParams> = {
  kind: 'instance.exec',
  action: 'instance.exec',
  parseParams(raw) {
    const r = ExecParamsSchema.safeParse(raw)
    if (!r.success)
      throw new UserError(
        'INVALID_INPUT',
        r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
      )
    return r.data
  },
  plan(ctx, p) {
    const i = getInstance(ctx, p.instance)
    return {
      summary: `run ${p.argv[0]} on ${i.id}`,
      targets: [i.id],
      affectedUsers: 1,
      costDeltaMonthlyUsdCents: 0,
      steps: [{ name: 'exec', target: i.id, input: { argv: p.argv, nodeId: i.nodeId } }],
      facts: { exec: { argv: p.argv } },
    }
  },
  async runStep(run, p) {
    const invoker = await run.ctx.nodes()
    const nodeId = (run.step.input as { nodeId: string | null }).nodeId
    return invoker.invoke(
      { id: p.instance, nodeId },
      'exec.run',
      { argv: p.argv, timeoutMs: p.timeoutMs },
      p.timeoutMs + 10_000,
    )
  },
}

export default execKind
