/**
 * A plan is what a mutating command would do, computed before anything is touched: its targets, the
 * steps the journal will run, the money it moves and the users it affects. Policy judges the plan;
 * `--confirm <planId>` runs exactly the plan that was shown.
 */
import type { Action } from './actor.js'

export interface PlanStep {
  name: string
  target: string | null
  input: unknown
  /** Runs after every other step has finished, whatever their outcome (a summary, a notification). */
  final?: boolean
}

export interface PlanBody {
  kind: string
  action: Action
  summary: string
  /** Instance or pair ids the plan touches. */
  targets: string[]
  affectedUsers: number
  /** Monthly cost change in USD cents (negative saves money). */
  costDeltaMonthlyUsdCents: number
  steps: PlanStep[]
  /** Kind-specific facts the safety rules read (see policy/rules.ts). */
  facts: Record<string, unknown>
  /**
   * What the operation holds while it is unfinished (`pair:<id>`, `config:<instanceId>`): a second
   * operation that needs one of them waits for it, or is refused naming it.
   */
  locks?: string[]
}

export interface Plan extends PlanBody {
  id: string
  /** Seeds the ids a plan invents (pairs, instances), so re-planning for --confirm invents the same. */
  salt: string
  actor: string
  /** Who made the plan under that role; null on plans made before identities. */
  identity: string | null
  params: unknown
  fingerprint: string
  createdAt: string
  expiresAt: string
}
