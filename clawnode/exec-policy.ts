/**
 * The `exec.run` gate (safety rule 7): only allowlisted commands, as argv, never through a shell.
 * The check is a pure function so it can be property-tested with hostile input; it decides, the
 * caller only executes what it returns. Refusals are deliberately broad: anything a shell, a path
 * resolver or a terminal could interpret specially is refused even though no shell is involved,
 * because allowlisted programs themselves sometimes hand arguments to one.
 */
import type { ExecEntry } from './config.js'

export type ExecDecision =
  | { ok: true; entry: ExecEntry; path: string; args: string[] }
  | { ok: false; reason: string }

const MAX_ARG_LEN = 256
/** Printable ASCII minus shell metacharacters, quotes, globs, escapes and whitespace. */
const META = /[;&|`$<>(){}[\]*?!~'"\\#\s]/
const NON_PRINTABLE_ASCII = /[^\x21-\x7e]/
/** Conservative default: flags and plain words, no slashes (so no paths at all). */
const DEFAULT_ARG_PATTERN = '^-{0,2}[A-Za-z0-9][A-Za-z0-9._:=@+,-]*$'

const compiled = new WeakMap<ExecEntry, RegExp>()
function argRegExp(entry: ExecEntry): RegExp {
  let re = compiled.get(entry)
  if (!re) {
    re = new RegExp(`^(?:${entry.argPattern ?? DEFAULT_ARG_PATTERN})$`)
    compiled.set(entry, re)
  }
  return re
}

function hasPathTrick(arg: string): boolean {
  // Any double dot (not only whole `..` segments: programs and URL parsers normalize in surprising
  // ways), doubled slashes, and percent-encoded dots, slashes and backslashes.
  return arg.includes('..') || arg.includes('//') || /%2e|%2f|%5c/i.test(arg)
}

export function checkExec(argv: unknown, allow: readonly ExecEntry[]): ExecDecision {
  if (!Array.isArray(argv) || argv.length === 0)
    return { ok: false, reason: 'argv must be a non-empty array' }
  if (!argv.every((a): a is string => typeof a === 'string'))
    return { ok: false, reason: 'argv must be strings' }
  const [name, ...args] = argv as string[]
  const entry = allow.find((e) => e.name === name)
  if (!entry)
    return { ok: false, reason: `command not on the allowlist: ${JSON.stringify(String(name).slice(0, 64))}` }
  if (args.length > entry.maxArgs)
    return { ok: false, reason: `too many arguments (at most ${entry.maxArgs})` }
  for (const [i, arg] of args.entries()) {
    const at = `argument ${i + 1}`
    if (arg.length === 0) return { ok: false, reason: `${at} is empty` }
    if (arg.length > MAX_ARG_LEN)
      return { ok: false, reason: `${at} is longer than ${MAX_ARG_LEN} characters` }
    if (NON_PRINTABLE_ASCII.test(arg))
      return { ok: false, reason: `${at} has whitespace, control or non-ASCII characters` }
    if (META.test(arg)) return { ok: false, reason: `${at} has a shell metacharacter` }
    if (hasPathTrick(arg)) return { ok: false, reason: `${at} has a path traversal or encoded path` }
    if (!argRegExp(entry).test(arg)) {
      return { ok: false, reason: `${at} does not match the allowed pattern for ${entry.name}` }
    }
  }
  if (
    entry.args &&
    !entry.args.some((alt) => alt.length === args.length && alt.every((a, i) => a === args[i]))
  ) {
    return { ok: false, reason: `arguments are not one of the allowed forms for ${entry.name}` }
  }
  return { ok: true, entry, path: entry.path, args }
}
