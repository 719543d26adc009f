/** Yes/no questions for a human at a terminal; never asked when stdin or stdout is not a TTY. */
import { createInterface } from 'node:readline/promises'
import type { Plan } from '../domain/plan.js'
import { UserError } from '../errors.js'
import { planQuestion } from '../output/plan-question.js'
import type { PolicyDecision } from '../policy/check.js'

export function canPrompt(): boolean {
  return process.stdin.isTTY === true && process.stdout.isTTY === true
}

/**
 * Asks on stderr and reads one line. End of input (Ctrl-D) is a no; Ctrl-C is an interrupt, before
 * anything ran.
 */
export async function askYesNo(
  question: string,
  io: { input?: NodeJS.ReadableStream; output?: NodeJS.WritableStream } = {},
): Promise<boolean> {
  const rl = createInterface({ input: io.input ?? process.stdin, output: io.output ?? process.stderr })
  try {
    const answer = await new Promise<string>((resolve, reject) => {
      rl.on('SIGINT', () =>
        reject(
          new UserError('INTERRUPTED', 'interrupted at the confirmation; nothing was done', {
            hint: 'Run the command again to get the question again, or with --dry-run to only see the plan.',
          }),
        ),
      )
      rl.on('close', () => resolve(''))
      rl.question(`${question} [y/N] `).then(resolve, reject)
    })
    return /^y(es)?$/i.test(answer.trim())
  } finally {
    rl.close()
  }
}

/**
 * The operator's yes/no for a plan that needs a confirmation, worded from the plan, its findings and
 * any lines the feature adds (a config push's changes).
 */
export function planPrompt(ask: ((q: string) => Promise<boolean>) | undefined) {
  if (!ask) return undefined
  return (plan: Plan, decision: PolicyDecision, details: readonly string[] = []) =>
    ask(planQuestion(plan, decision.findings, details))
}
