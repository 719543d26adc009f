/** The operator's yes/no for a plan that needs a confirmation, worded from the plan and its findings. */
import type { Plan } from '../domain/plan.js'
import { planQuestion } from '../output/plan-question.js'
import type { PolicyDecision } from '../policy/check.js'

export function planPrompt(ask: ((q: string) => Promise<boolean>) | undefined) {
  if (!ask) return undefined
  return (plan: Plan, decision: PolicyDecision) => ask(planQuestion(plan, decision.findings))
}
