/**
 * An unknown command, answered like a typo rather than a dead end: words after a real command that
 * takes no (more) arguments are named as unexpected arguments (`fleet status extra-arg`), anything
 * else gets the nearest command ("did you mean clawops fleet status?").
 */
import type { ErrorBody } from '../errors.js'
import { type CommandSpec, commandLine, unexpectedArguments } from './parse-errors.js'
import { nearest } from './suggest.js'

export interface CommandIndex {
  commands: readonly (CommandSpec & { hidden?: boolean })[]
  findCommand(id: string): CommandSpec | undefined
  findTopic(id: string): unknown
}

/** The body for oclif's `command <id> not found`, or undefined for any other error. */
export function explainUnknownCommand(err: unknown, index: CommandIndex): ErrorBody | undefined {
  const m = /^command (\S+) not found$/.exec((err as { message?: string })?.message ?? '')
  if (!m) return undefined
  const parts = m[1]!.split(':')
  for (let i = parts.length - 1; i >= 1; i--) {
    const cmd = index.findCommand(parts.slice(0, i).join(':'))
    if (cmd) return unexpectedArguments(cmd, parts.slice(i))
  }
  const typed = parts.join(' ')
  const ids = index.commands.filter((c) => !c.hidden).map((c) => c.id.replaceAll(':', ' '))
  const guess = nearest(typed, ids)
  const topic = index.findTopic(parts[0]!) ? parts[0] : undefined
  const help = topic ? `clawops ${topic} --help lists its commands` : 'clawops --help lists every command'
  return {
    code: 'INVALID_INPUT',
    message: `unknown command "clawops ${typed}"`,
    hint: guess
      ? `Did you mean ${commandLine(guess)}?  (${help})`
      : `Run ${help.replace(' lists', ' (it lists')}).`,
    details: { command: typed, ...(guess ? { suggestion: commandLine(guess) } : {}) },
  }
}
