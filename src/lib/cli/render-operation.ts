/**
 * The result of a mutating command, the same shape for every kind: the plan (for --dry-run), the
 * policy findings, and per target what happened. Agents read `steps`; humans get a table.
 */

import type { MutationResult } from '../engine/types.js'
import type { ErrorBody } from '../errors.js'
import { describe } from '../output/outcome.js'
import { costDelta } from '../output/plan-question.js'
import { paintState } from '../output/style.js'
import { renderTable } from '../output/table.js'

export interface OperationResult {
  status: MutationResult['status']
  summary: string
  planId: string | null
  opId: string | null
  affectedUsers: number
  costDeltaMonthlyUsdCents: number
  /** Where the plan's prices came from and how old they were when it was made (plans that price). */
  prices?: { provider: string; kind: string; source: string; asOf: string; ageHours: number }[]
  findings: { rule: string; effect: string; message: string }[]
  steps: {
    seq: number
    name: string
    target: string | null
    state: string
    result: unknown
    error: ErrorBody | null
  }[]
}

function pricesOf(r: MutationResult): OperationResult['prices'] {
  const origins = r.plan.facts.prices as
    | { provider: string; kind: string; source: string; asOf: string }[]
    | undefined
  if (!Array.isArray(origins)) return undefined
  const at = Date.parse(r.plan.createdAt)
  return origins.map((o) => ({
    ...o,
    ageHours: Math.max(0, Math.floor((at - Date.parse(o.asOf)) / 3_600_000)),
  }))
}

export function operationResult(r: MutationResult): OperationResult {
  const prices = pricesOf(r)
  const base = {
    status: r.status,
    summary: r.plan.summary,
    planId: r.plan.id,
    affectedUsers: r.plan.affectedUsers,
    costDeltaMonthlyUsdCents: r.plan.costDeltaMonthlyUsdCents,
    ...(prices ? { prices } : {}),
    findings: r.policy.findings,
  }
  if (r.status === 'dry-run') {
    return {
      ...base,
      opId: null,
      steps: r.plan.steps.map((s, i) => ({
        seq: i + 1,
        name: s.name,
        target: s.target,
        state: 'planned',
        result: s.input,
        error: null,
      })),
    }
  }
  return {
    ...base,
    opId: r.operation.id,
    steps: r.operation.steps.map((s) => ({
      seq: s.seq,
      name: s.name,
      target: s.target,
      state: s.state,
      result: s.result,
      error: (s.error as ErrorBody | null) ?? null,
    })),
  }
}

/** What a step did (or, planned, will do), in words; the error when it failed. */
export function stepOutcome(s: { result: unknown; error: ErrorBody | null | unknown }): string {
  const e = s.error as ErrorBody | null | undefined
  if (e && typeof e === 'object') return `${e.code}: ${e.message}`
  return describe(s.result)
}

export function renderOperation(r: OperationResult): string {
  const users = `${r.affectedUsers.toLocaleString('en-US')} user${r.affectedUsers === 1 ? '' : 's'} affected`
  const head =
    r.status === 'dry-run'
      ? `Plan (nothing done): ${r.summary}\n  ${users} · ${costDelta(r.costDeltaMonthlyUsdCents)}; run it without --dry-run\n`
      : `${r.summary}: ${paintState(r.status)} (operation ${r.opId})\n`
  const prices = r.prices?.length
    ? `  prices: ${r.prices.map((p) => `${p.provider} ${p.kind === 'api' ? 'API' : p.kind} of ${p.asOf.slice(0, 16).replace('T', ' ')} (${p.ageHours} h old)`).join('; ')}\n`
    : ''
  const findings = prices + r.findings.map((f) => `  ${f.effect}: ${f.message} [${f.rule}]\n`).join('')
  if (r.steps.length === 0) return head + findings
  return (
    head +
    findings +
    renderTable(
      [
        { header: 'Step', get: (s) => s.seq },
        { header: 'Name', get: (s) => s.name },
        { header: 'Target', get: (s) => s.target },
        { header: 'State', get: (s) => paintState(s.state) },
        { header: 'Outcome', get: (s) => stepOutcome(s) },
      ],
      r.steps,
    )
  )
}
