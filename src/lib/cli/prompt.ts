/** Yes/no questions for a human at a terminal; never asked when stdin or stdout is not a TTY. */
import { createInterface } from 'node:readline/promises'
import type { Plan } from '../domain/plan.js'
import type { PolicyDecision } from '../policy/check.js'

export function canPrompt(): boolean {
  return process.stdin.isTTY === true && process.stdout.isTTY === true
}

export async function askYesNo(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr })
  try {
    const answer = await rl.question(`${question} [y/N] `)
    return /^y(es)?$/i.test(answer.trim())
  } finally {
    rl.close()
  }
}

/** The operator's yes/no for a plan that needs a confirmation, worded from the plan and its findings. */
export function planPrompt(ask: ((q: string) => Promise<boolean>) | undefined) {
  if (!ask) return undefined
  return (plan: Plan, decision: PolicyDecision) =>
    ask(`${plan.summary}\n${decision.findings.map((f) => `  - ${f.message}`).join('\n')}\nProceed?`)
}
