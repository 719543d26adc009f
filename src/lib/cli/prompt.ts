/** Yes/no questions for a human at a terminal; never asked when stdin or stdout is not a TTY. */
import { createInterface } from 'node:readline/promises'

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
