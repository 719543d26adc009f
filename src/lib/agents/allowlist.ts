/**
 * Each agent's exec allowlist, generated from the role table (roles.ts) and the command rules
 * (command-rules.ts), never written by hand. One entry per agent: the bare name `clawops` (matched on
 * the agent's own PATH, where its wrapper pins the actor) with an `argPattern`, an ECMAScript regex
 * the gateway applies to the arguments joined by single spaces. The pattern admits exactly the
 * commands the role may start and refuses, anywhere in the arguments:
 * - `--confirm`: no plan is ever confirmed from an allowlist; for Commander the miss goes to the
 *   operator's approval (the gateway's `ask` mode), for every other agent it is refused;
 * - `--as` naming anyone but the agent itself, and `--yes` (a human's flag);
 * - shell metacharacters (the gateway already refuses chains and redirections; this covers quoted
 *   arguments that still carry them);
 * - flags the command rules forbid or tie to an action the role lacks (`brief … --deliver`).
 */

import type { AgentName } from '../config/watch-settings.js'
import type { Action } from '../domain/actor.js'
import { grantOf } from '../policy/roles.js'
import { COMMAND_RULES, type CommandRule } from './command-rules.js'

/** Characters only a shell gives meaning to; `( ) !` stay allowed for label selectors. */
export const SHELL_META_CLASS = '[;&|`$<>\\\\{}\\[\\]*?~\'"\\n\\r]'

export interface AllowlistEntry {
  pattern: 'clawops'
  argPattern: string
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')

/** Whether a role may start an action at all (a `confirm` grant starts it and waits for a plan id). */
function mayStart(agent: AgentName, action: Action): boolean {
  return grantOf(agent, action) !== 'deny'
}

/** The commands an agent's allowlist admits, sorted. */
export function allowedCommands(agent: AgentName): string[] {
  return Object.entries(COMMAND_RULES)
    .filter(([, r]) => !r.humanOnly && (r.action === null || mayStart(agent, r.action)))
    .map(([id]) => id)
    .sort()
}

/** A flag token at a word boundary of the joined arguments, alone or as `--flag=value`. */
const flagToken = (flag: string) => `(?:^| )${escapeRe(flag)}(?:[ =]|$)`

function commandPiece(agent: AgentName, id: string, rule: CommandRule, home: string): string {
  const refused = [
    ...(rule.forbiddenFlags ?? []),
    ...Object.entries(rule.flagActions ?? {})
      .filter(([, action]) => !mayStart(agent, action))
      .map(([flag]) => flag),
  ]
  const guards = refused.map((flag) => `(?!.*${flagToken(flag)})`)
  for (const [flag, value] of Object.entries(rule.flagValues ?? {})) {
    const v = value.replaceAll('{home}', escapeRe(home))
    // Every occurrence of the flag must carry an allowed value.
    guards.push(`(?!.*(?:^| )${escapeRe(flag)}(?:=|$| (?!${v}(?: |$))))`)
  }
  return `${escapeRe(id)}(?= |$)${guards.join('')}`
}

/**
 * The agent's argPattern. `home` is the clawops home the agent's wrapper pins (flag values such as a
 * voice note's path must stay under it).
 */
export function argPatternFor(agent: AgentName, home: string): string {
  const pieces = allowedCommands(agent).map((id) => commandPiece(agent, id, COMMAND_RULES[id]!, home))
  const head = [
    `(?!.*${flagToken('--confirm')})`,
    `(?!.*${flagToken('--yes')})`,
    `(?!.*${flagToken('-y')})`,
    // `--as` is only ever the agent itself (its wrapper already sets CLAWOPS_ACTOR).
    `(?!.*(?:^| )--as(?:=|$| (?!${agent}(?: |$))))`,
    `(?!.*${SHELL_META_CLASS})`,
  ].join('')
  return `^${head}(?:${pieces.join('|')})(?: .*)?$`
}

export function allowlistFor(agent: AgentName, home: string): AllowlistEntry[] {
  return [{ pattern: 'clawops', argPattern: argPatternFor(agent, home) }]
}

/**
 * Would the gateway let this agent run `clawops <args>`? The same regex, applied the way the
 * gateway applies it (arguments joined by single spaces), for tests and for `--dry-run` checks.
 */
export function admits(agent: AgentName, home: string, args: readonly string[]): boolean {
  return new RegExp(argPatternFor(agent, home)).test(args.join(' '))
}
