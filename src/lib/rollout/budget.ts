/**
 * The failure budget that gates each batch of a rollout: more than N % (or more than N instances) of
 * the instances processed so far failed, and the rollout halts before the next batch. Instances
 * skipped for manual review (a malformed config that was left alone) and those already up to date
 * count as processed, not failed. After an operator resumes a halted rollout, the failures so far are
 * accepted and the budget applies to what comes after.
 */
import { z } from 'zod'
import type { FailureBudget } from '../domain/rollout.js'
import { UserError } from '../errors.js'

export const DEFAULT_BUDGET: FailureBudget = { kind: 'pct', value: 2 }

/** A budget as an operation's parameters carry it. */
export const FailureBudgetSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('pct'), value: z.number().min(0).max(100) }).strict(),
  z.object({ kind: z.literal('count'), value: z.number().int().min(0) }).strict(),
])

/** The budget as a share of the target, in percent (rule 2 reads it). */
export function budgetPct(b: FailureBudget, instances: number): number {
  return b.kind === 'pct' ? b.value : (100 * b.value) / Math.max(1, instances)
}

export function parseBudget(raw: string): FailureBudget {
  const s = raw.trim()
  const pct = /^(\d+(?:\.\d+)?)%$/.exec(s)
  if (pct) {
    const value = Number(pct[1])
    if (value <= 100) return { kind: 'pct', value }
  } else if (/^\d+$/.test(s)) {
    return { kind: 'count', value: Number(s) }
  }
  throw new UserError('INVALID_INPUT', `cannot read the failure budget "${raw}"`, {
    hint: 'Use a share like 2% or 0.5%, or a number of instances like 3.',
  })
}

export function describeBudget(b: FailureBudget): string {
  return b.kind === 'pct' ? `${b.value}%` : `${b.value} instance${b.value === 1 ? '' : 's'}`
}

export interface BudgetCounts {
  processed: number
  failed: number
}

export interface BudgetVerdict {
  exceeded: boolean
  /** The window the budget was judged on (since the last resume after a halt). */
  window: BudgetCounts
  message: string
}

export function judgeBudget(
  b: FailureBudget,
  total: BudgetCounts,
  accepted: BudgetCounts | null,
): BudgetVerdict {
  const window = {
    processed: Math.max(0, total.processed - (accepted?.processed ?? 0)),
    failed: Math.max(0, total.failed - (accepted?.failed ?? 0)),
  }
  const share = window.processed === 0 ? 0 : (100 * window.failed) / window.processed
  const exceeded = b.kind === 'pct' ? window.failed > 0 && share > b.value : window.failed > b.value
  const rounded = Math.round(share * 10) / 10
  const message =
    b.kind === 'pct'
      ? `${window.failed} of ${window.processed} failed (${rounded}%${exceeded ? ' >' : ' ≤'} ${b.value}%)`
      : `${window.failed} of ${window.processed} failed (${exceeded ? 'more than' : 'at most'} ${b.value})`
  return { exceeded, window, message }
}
