/**
 * What an operation kind provides to the engine: how to read its parameters, how to plan, how to run
 * one journaled step, and what the safety rules must see again when a step runs. Steps must be
 * idempotent: a resumed operation re-runs a step that was running when clawops died.
 */
import type { Context } from '../context.js'
import type { Action } from '../domain/actor.js'
import type { AuditOutcome } from '../domain/audit.js'
import type { Operation, OperationStep } from '../domain/operation.js'
import type { PlanBody } from '../domain/plan.js'
import type { MutationOptions, MutationResult, OperationView, RunOptions } from './types.js'

export type PlanDraft = Omit<PlanBody, 'kind' | 'action'>

export interface PlanMeta {
  /** Derive invented ids from this (see Plan.salt). */
  salt: string
}

/** The engine as a step sees it: a kind that starts or continues another operation goes through it. */
export interface EngineHandle {
  mutate<P>(
    ctx: Context,
    kind: OperationKind<P>,
    params: unknown,
    opts?: MutationOptions,
  ): Promise<MutationResult>
  run(ctx: Context, opId: string, opts?: RunOptions): Promise<OperationView>
  /** Rows a failed or partial operation left in a transitional state (OperationKind.unsettled). */
  unsettled(ctx: Context, op: Operation): Promise<string[]>
}

export interface StepRun {
  ctx: Context
  engine: EngineHandle
  opId: string
  planId: string
  /** Who runs the step now: the operation's actor, or whoever resumed it. */
  actor: string
  step: OperationStep
  /** Saves partial progress of this step so a resume can pick up from it. */
  checkpoint(data: unknown): void
  /** Writes an audit entry now, before the side effect it announces (rule 3). */
  audit(entry: { action: string; target?: string | null; outcome?: AuditOutcome; details?: unknown }): void
  progress(message: string, data?: Record<string, unknown>): void
}

export interface OperationKind<P = unknown> {
  kind: string
  action: Action
  /** Validates raw parameters; throws INVALID_INPUT. */
  parseParams(raw: unknown): P
  plan(ctx: Context, params: P, meta: PlanMeta): Promise<PlanDraft> | PlanDraft
  runStep(run: StepRun, params: P): Promise<unknown>
  /**
   * The facts the safety rules read, as the fleet stands now, for one step about to run (a resume,
   * a retry, or simply a later step of a long operation). The engine judges them with the actor who
   * runs the step; a deny fails the step before it touches anything. Kinds whose plan carries facts
   * for rules that can change while it runs (rule 1, a failover's standby) must provide this.
   */
  recheck?(ctx: Context, params: P, step: OperationStep): Record<string, unknown> | null
  /** Steps run at most this many at a time (default 1: in order). */
  concurrency?: number | ((params: P, ctx: Context) => number)
  /** Bulk kinds keep going when a step fails and end `partial`; others stop at the first failure. */
  continueOnFailure?: boolean
  /**
   * Rows the operation's steps left in a transitional state (a teardown's ARCHIVING, a resize whose
   * old server's delete began or whose rollback was cut short): something half done that only running the operation again finishes. A failed or
   * partial operation with such rows is resumed by a plain `ops resume` (its failed steps run again),
   * and `ops list` names them.
   */
  unsettled?(ctx: Context, params: P, steps: readonly OperationStep[]): string[]
  /**
   * Asked before each step starts. A reason (a paused rollout) holds the step back: it stays pending,
   * no later step starts in this process, and the operation stays running for a later resume.
   */
  holdBack?(ctx: Context, opId: string, step: OperationStep): string | null
}
