/**
 * The engine: the one way a change enters clawops, from a command, from watch or from a step of
 * another operation. plan → policy → confirmation → journal and audit before each step → execute;
 * resume and retry go through the same gate. It is built once per process with the registry of the
 * kinds it can run (src/lib/kinds.ts) and handed to whatever starts or continues operations.
 */
import type { Context } from '../context.js'
import type { Action } from '../domain/actor.js'
import type { Operation } from '../domain/operation.js'
import { UserError } from '../errors.js'
import { Operations } from '../store/operations.js'
import { Plans } from '../store/plans.js'
import { authorizeRun, runOperation } from './execute.js'
import type { EngineHandle, OperationKind } from './kind.js'
import { mutate } from './mutate.js'
import { permit } from './permit.js'
import type { KindRegistry } from './registry.js'
import { type ResumeOptions, type ResumeResult, resumeOperations } from './resume.js'
import type { MutationOptions, MutationResult, OperationView, RunOptions } from './types.js'

export class Engine implements EngineHandle {
  constructor(readonly kinds: KindRegistry) {}

  /** Plans, judges and (unless dry-run or refused) runs a change of `kind`. */
  mutate<P>(
    ctx: Context,
    kind: OperationKind<P>,
    params: unknown,
    opts: MutationOptions = {},
  ): Promise<MutationResult> {
    return mutate(ctx, this, kind, params, opts)
  }

  /** Runs (or continues) one journaled operation as `ctx.actor`. */
  run(ctx: Context, opId: string, opts: RunOptions = {}): Promise<OperationView> {
    return runOperation(ctx, this, this.kinds, opId, opts)
  }

  /**
   * The gate without the run: may `ctx.actor` run (or, with `control`, pause or otherwise steer)
   * this operation now? Refusals are audited and thrown, as `run` would.
   */
  async authorize(ctx: Context, opId: string, opts: RunOptions & { control?: string } = {}): Promise<void> {
    const op = ctx.store().repo(Operations).get(opId)
    if (!op) throw new UserError('NOT_FOUND', `no operation ${opId}`, { hint: 'See clawops ops list.' })
    const kind = await this.kinds.load(op.kind)
    authorizeRun(ctx, op, kind, ctx.store().repo(Plans).get(op.planId), opts)
  }

  /** A change too small to plan (see permit.ts): refused, and audited, unless the role holds it. */
  permit(ctx: Context, action: Action, o: { target?: string | null; details?: object } = {}): void {
    permit(ctx, action, o)
  }

  /**
   * Rows a failed or partial operation left in a transitional state (see OperationKind.unsettled);
   * empty for running and finished operations and for kinds that leave none.
   */
  async unsettled(ctx: Context, op: Operation): Promise<string[]> {
    if (op.state !== 'failed' && op.state !== 'partial') return []
    const kind = await this.kinds.load(op.kind)
    if (!kind.unsettled) return []
    return kind.unsettled(ctx, kind.parseParams(op.params), ctx.store().repo(Operations).steps(op.id))
  }

  /** `clawops ops resume`. */
  resume(ctx: Context, opts: ResumeOptions): Promise<ResumeResult> {
    return resumeOperations(ctx, this, opts)
  }
}
