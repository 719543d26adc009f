/** The operator's yes/no for a plan that needs a confirmation, worded from the plan and its findings. */
import type { Plan } from '../domain/plan.js'
import type { PolicyDecision } from '../policy/check.js'

export function planPrompt(ask: ((q: string) => Promise<boolean>) | undefined) {
  if (!ask) return undefined
  return (plan: Plan, decision: PolicyDecision) =>
    ask(`${plan.summary}\n${decision.findings.map((f) => `  - ${f.message}`).join('\n')}\nProceed?`)
}
