/**
 * `clawops provider routing set`: a routing change through the mutation pipeline (plan, policy,
 * confirmation, journal, audit). Ledger may propose it; it waits for Commander or the operator.
 */
import type { Context } from '../context.js'
import type { Engine } from '../engine/engine.js'
import type { MutationOptions, MutationResult } from '../engine/types.js'
import type { PolicyDecision } from '../policy/check.js'
import { type RoutingConfig, RoutingVersions } from '../store/routing.js'
import routingSet, { type RoutingStepInput } from './routing-set-kind.js'

export interface RoutingSetResult {
  status: MutationResult['status']
  planId: string | null
  summary: string
  changes: string[]
  fromVersion: number
  /** The version written, or the one that would be written (dry run). */
  version: number
  config: RoutingConfig
  policy: PolicyDecision
  operationId: string | null
}

export async function setRouting(
  ctx: Context,
  engine: Engine,
  rawChange: unknown,
  opts: Pick<MutationOptions, 'dryRun' | 'confirm' | 'yes' | 'prompt'>,
): Promise<RoutingSetResult> {
  const r = await engine.mutate(ctx, routingSet, rawChange, {
    dryRun: opts.dryRun,
    confirm: opts.confirm,
    yes: opts.yes,
    prompt: opts.prompt,
  })
  const input = r.plan.steps[0]!.input as RoutingStepInput
  const written = r.status === 'dry-run' ? undefined : ctx.store().repo(RoutingVersions).byOp(r.operation.id)
  return {
    status: r.status,
    planId: r.plan.id,
    summary: r.plan.summary,
    changes: input.changes,
    fromVersion: input.baseVersion,
    version: written?.version ?? input.baseVersion + 1,
    config: written?.config ?? input.config,
    policy: r.policy,
    operationId: r.status === 'dry-run' ? null : r.operation.id,
  }
}
