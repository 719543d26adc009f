/** `policy.check(plan, actor)`: combines the rules into one decision (deny beats confirm beats allow). */

import type { Actor } from '../domain/actor.js'
import type { PlanBody } from '../domain/plan.js'
import { type Finding, RULES } from './rules.js'

export type Decision = 'allow' | 'confirm' | 'deny'

export interface PolicyDecision {
  decision: Decision
  findings: Finding[]
}

export function check(plan: PlanBody, actor: Actor): PolicyDecision {
  const findings = RULES.map((rule) => rule(plan, actor)).filter((f): f is Finding => f !== null)
  const decision: Decision = findings.some((f) => f.effect === 'deny')
    ? 'deny'
    : findings.some((f) => f.effect === 'confirm')
      ? 'confirm'
      : 'allow'
  return { decision, findings }
}
