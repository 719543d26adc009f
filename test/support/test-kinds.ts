/**
 * Test-only operation kinds for the pipeline tests. They run through the production pipeline,
 * policy and journal exactly like real kinds.
 */
import type { Context } from '../../src/lib/context.js'
import type { Action } from '../../src/lib/domain/actor.js'
import type { OperationKind } from '../../src/lib/engine/kind.js'
import { UserError } from '../../src/lib/errors.js'
import { selectInstances } from '../../src/lib/fleet/instance-query.js'
import { Instances } from '../../src/lib/store/instances.js'

export interface LabelParams {
  selector: string
  value: string
  failOnce?: string[]
}

export const calls: string[] = []
const failed = new Set<string>()

export function labelKind(
  kind = 'test.label',
  action: Action = 'instance.restart',
): OperationKind<LabelParams> {
  return {
    kind,
    action,
    concurrency: 2,
    continueOnFailure: true,
    parseParams(raw) {
      const p = raw as LabelParams
      if (typeof p?.selector !== 'string' || typeof p.value !== 'string') {
        throw new UserError('INVALID_INPUT', 'selector and value are required')
      }
      return p
    },
    plan(ctx: Context, p) {
      const targets = selectInstances(ctx, { selector: p.selector })
      return {
        summary: `label ${targets.length} instances touched=${p.value}`,
        targets: targets.map((t) => t.id),
        affectedUsers: new Set(targets.map((t) => t.userId)).size,
        costDeltaMonthlyUsdCents: 0,
        steps: targets.map((t) => ({ name: 'label', target: t.id, input: { value: p.value } })),
        facts: { states: targets.map((t) => [t.id, t.state]) },
      }
    },
    async runStep(run, p) {
      const id = run.step.target!
      calls.push(id)
      if (p.failOnce?.includes(id) && !failed.has(id)) {
        failed.add(id)
        throw new UserError('NODE_ERROR', `${id} refused`)
      }
      const instances = run.ctx.store().repo(Instances)
      const i = instances.get(id)!
      instances.update(id, { labels: { ...i.labels, touched: p.value } })
      return { labelled: id }
    },
  }
}
