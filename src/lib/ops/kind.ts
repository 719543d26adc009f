/**
 * What an operation kind provides to the mutating-operation pipeline: how to read its parameters,
 * how to plan, and how to run one journaled step. Steps must be idempotent: a resumed operation
 * re-runs a step that was running when clawops died.
 */
import type { Context } from '../context.js'
import type { AuditOutcome } from '../domain/audit.js'
import type { OperationStep } from '../domain/operation.js'
import type { PlanBody } from '../domain/plan.js'
import type { Action } from '../policy/roles.js'

export type PlanDraft = Omit<PlanBody, 'kind' | 'action'>

export interface PlanMeta {
  /** Derive invented ids from this (see Plan.salt). */
  salt: string
}

export interface StepRun {
  ctx: Context
  opId: string
  planId: string
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
  /** Steps run at most this many at a time (default 1: in order). */
  concurrency?: number | ((params: P, ctx: Context) => number)
  /** Bulk kinds keep going when a step fails and end `partial`; others stop at the first failure. */
  continueOnFailure?: boolean
  /**
   * Asked before each step starts. A reason (a paused rollout) holds the step back: it stays pending,
   * no later step starts in this process, and the operation stays running for a later resume.
   */
  holdBack?(ctx: Context, opId: string, step: OperationStep): string | null
}
