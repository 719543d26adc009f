/**
 * The operator's confirmation question for a plan, the same everywhere a plan waits for a yes: what
 * it does, how many targets and steps, the users it affects, what it does to the monthly bill, the
 * rules that ask for the confirmation, and any lines the feature adds (a config change).
 */
import type { PlanBody } from '../domain/plan.js'
import { formatUsd } from './money.js'

const plural = (n: number, one: string, many = `${one}s`) =>
  `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`

export function costDelta(cents: number): string {
  if (cents === 0) return 'no change to the monthly cost'
  return `${cents > 0 ? '+' : ''}${formatUsd(cents)}/month`
}

export function planQuestion(
  plan: Pick<PlanBody, 'summary' | 'targets' | 'steps' | 'affectedUsers' | 'costDeltaMonthlyUsdCents'>,
  findings: readonly { message: string }[],
  extra: readonly string[] = [],
): string {
  const counts = [
    plural(plan.targets.length, 'target'),
    plural(plan.steps.length, 'step'),
    `${plural(plan.affectedUsers, 'user')} affected`,
    costDelta(plan.costDeltaMonthlyUsdCents),
  ].join(' · ')
  return [
    `Plan: ${plan.summary}`,
    `  ${counts}`,
    ...extra.map((l) => `  ${l.trim()}`),
    ...findings.map((f) => `  ! ${f.message}`),
    'Proceed?',
  ].join('\n')
}
