/** The shapes the engine hands back and takes: operation views, run and mutation options, results. */
import type { OperationState, OperationStep } from '../domain/operation.js'
import type { Plan } from '../domain/plan.js'
import type { PolicyDecision } from '../policy/check.js'

export interface StepView {
  seq: number
  name: string
  target: string | null
  state: OperationStep['state']
  attempts: number
  result: unknown
  error: unknown
}

export interface OperationView {
  id: string
  kind: string
  planId: string
  /** The role that started it, and who acted under that role (null before identities). */
  actor: string
  identity: string | null
  /** Who made the plan, and who confirmed it (null when it needed no confirmation). */
  plannedBy: { actor: string; identity: string | null } | null
  confirmedBy: { actor: string; identity: string | null; at: string } | null
  state: OperationState
  summary: string
  counts: Record<OperationStep['state'], number>
  steps: StepView[]
  createdAt: string
  finishedAt: string | null
}

export type ProgressFn = (message: string, data?: Record<string, unknown>) => void

export interface RunOptions {
  /** Retry steps that failed in an earlier run (resume). */
  retryFailed?: boolean
  /** A plan id the resuming operator or Commander confirms again (a lapsed or missing confirmation). */
  confirm?: string
  /** The human operator's "yes" to a confirmation the resume needs (flag or prompt). */
  yes?: boolean
  onProgress?: ProgressFn
  /** Set by the engine for an operation a step of another one starts: it shares the parent's locks. */
  parentOpId?: string
}

export interface MutationOptions {
  dryRun?: boolean
  /** A plan id from an earlier CONFIRMATION_REQUIRED. */
  confirm?: string
  /** The human operator's "yes" (flag or prompt); ignored for agents. */
  yes?: boolean
  /** Asks a human on a TTY; absent when nobody can answer. */
  prompt?: (plan: Plan, decision: PolicyDecision) => Promise<boolean>
  onProgress?: ProgressFn
  /** Set by the engine for an operation a step of another one starts: it shares the parent's locks. */
  parentOpId?: string
}

export type MutationResult =
  | { status: 'dry-run'; plan: Omit<Plan, 'id'> & { id: null }; policy: PolicyDecision }
  | { status: OperationView['state']; plan: Plan; policy: PolicyDecision; operation: OperationView }
