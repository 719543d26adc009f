/**
 * oclif's parse errors rewritten as errors that say what to do: the missing flag or argument with its
 * accepted values and a working example from the command's own examples, a bad value with the range
 * it must fall in, an unknown flag with the nearest real one. The result is the error body of the
 * contract (INVALID_INPUT); `details` names the flags or arguments concerned for agents.
 */
import { stripVTControlCharacters } from 'node:util'
import type { ErrorBody } from '../errors.js'
import { nearest } from './suggest.js'

export interface FlagSpec {
  name?: string
  char?: string
  type?: string
  options?: readonly string[]
  min?: number
  max?: number
  multiple?: boolean
  summary?: string
  description?: string
  hidden?: boolean
}

export interface ArgSpec {
  name?: string
  description?: string
  required?: boolean
  options?: readonly string[]
}

export type Example = string | { description?: string; command: string }

export interface CommandSpec {
  id: string
  flags?: Record<string, FlagSpec>
  args?: Record<string, ArgSpec>
  examples?: readonly Example[]
}

interface OclifParseError {
  message?: string
  args?: unknown[]
  flags?: string[]
  parse?: unknown
}

/** `clawops fleet status` from `fleet:status`. */
export function commandLine(id: string): string {
  return `clawops ${id.replaceAll(':', ' ')}`
}

function exampleCommands(cmd: CommandSpec): string[] {
  return (cmd.examples ?? []).map((e) =>
    (typeof e === 'string' ? e : e.command).replaceAll('<%= config.bin %>', 'clawops'),
  )
}

/**
 * The command's first example that shows every one of `needles` (flags such as `--count`), else its
 * first example that passes arguments, else its first example.
 */
export function exampleFor(cmd: CommandSpec, needles: readonly string[] = []): string | undefined {
  const all = exampleCommands(cmd)
  const words = (c: string) => c.split(/\s+/)
  const shows = (c: string, n: string) => words(c).some((w) => w === n || w.startsWith(`${n}=`))
  return (
    all.find((c) => needles.length > 0 && needles.every((n) => shows(c, n))) ??
    all.find((c) => needles.length === 0 && words(c).length > words(commandLine(cmd.id)).length) ??
    all[0]
  )
}

function hintWith(cmd: CommandSpec, needles: readonly string[] = []): string {
  const ex = exampleFor(cmd, needles)
  const help = `${commandLine(cmd.id)} --help`
  return ex ? `For example: ${ex}   (every flag: ${help})` : `See ${help}.`
}

function flagDef(cmd: CommandSpec, name: string): FlagSpec | undefined {
  return cmd.flags?.[name]
}

/** `--tier nano|standard|pro` or `--count <value>`: a flag as it is written, with what it takes. */
function flagUsage(cmd: CommandSpec, name: string): string {
  const f = flagDef(cmd, name)
  const flag = f?.char ? `-${f.char}/--${name}` : `--${name}`
  if (!f || f.type === 'boolean') return flag
  if (f.options?.length) return `${flag} ${f.options.join('|')}`
  return `${flag} <${f.type === 'option' && f.min !== undefined ? 'n' : 'value'}>`
}

/** What an integer flag accepts, from its bounds. */
function integerRange(f: FlagSpec | undefined): string {
  const n = (v: number) => v.toLocaleString('en-US')
  if (f?.min !== undefined && f.max !== undefined) return `a whole number from ${n(f.min)} to ${n(f.max)}`
  if (f?.min !== undefined) return `a whole number of at least ${n(f.min)}`
  if (f?.max !== undefined) return `a whole number of at most ${n(f.max)}`
  return 'a whole number'
}

function firstLine(s: string): string {
  return (s.split('\n')[0] ?? '').trim()
}

function reasonsOf(message: string): string[] {
  return stripVTControlCharacters(message)
    .split('\n')
    .slice(1)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('See more help with'))
}

function bad(message: string, hint: string, details: Record<string, unknown>): ErrorBody {
  return { code: 'INVALID_INPUT', message, hint, details }
}

function allFlagNames(cmd: CommandSpec): string[] {
  return Object.entries(cmd.flags ?? {})
    .filter(([, f]) => !f.hidden)
    .map(([name]) => name)
}

/** The error body for an oclif parse error of `cmd`, or undefined when `err` is not one. */
export function explainParseError(err: unknown, cmd: CommandSpec): ErrorBody | undefined {
  const e = err as OclifParseError
  if (!e || typeof e.message !== 'string') return undefined
  const text = stripVTControlCharacters(e.message)
  const head = firstLine(text)
  const line = commandLine(cmd.id)

  // A flag value its parser refused: `Parsing --count \n\tExpected an integer ... received: 0`.
  const parsing = /^Parsing --([\w-]+)/.exec(head)
  if (parsing) {
    const name = parsing[1]!
    const inner = text.split('\n')[1]?.trim() ?? ''
    const got = /received: (.*)$/.exec(inner)?.[1]
    const integer = /^Expected an integer/.test(inner)
    const message = integer
      ? `--${name} must be ${integerRange(flagDef(cmd, name))}${got !== undefined ? ` (got "${got}")` : ''}`
      : `--${name}: ${inner || 'cannot read the value'}`
    return bad(message, hintWith(cmd, [`--${name}`]), { flag: name, ...(got !== undefined ? { got } : {}) })
  }

  const option = /^Expected --([\w-]+)=(.*) to be one of: (.*)$/.exec(head)
  if (option) {
    const [, name, got, accepted] = option as unknown as [string, string, string, string]
    const close = nearest(got, accepted.split(', '))
    return bad(
      `--${name} "${got}" is not one of: ${accepted}`,
      close ? `Did you mean --${name} ${close}?` : hintWith(cmd, [`--${name}`]),
      { flag: name, got, accepted: accepted.split(', ') },
    )
  }

  const argOption = /^Expected (.*) to be one of: (.*)$/.exec(head)
  if (argOption) {
    const [, got, accepted] = argOption as unknown as [string, string, string]
    return bad(`"${got}" is not one of: ${accepted}`, hintWith(cmd), { got, accepted: accepted.split(', ') })
  }

  const expectsValue = /^Flag --([\w-]+) expects a value$/.exec(head)
  if (expectsValue) {
    const name = expectsValue[1]!
    return bad(`${flagUsage(cmd, name)}: the value is missing`, hintWith(cmd, [`--${name}`]), { flag: name })
  }

  if (/^Nonexistent flags?:/.test(head)) {
    const given = (e.flags ?? head.replace(/^Nonexistent flags?:\s*/, '').split(', ')).map((f) =>
      f.replace(/=.*$/, ''),
    )
    const known = allFlagNames(cmd)
    const guesses = given
      .map((g) => [g, nearest(g.replace(/^-+/, ''), known)] as const)
      .filter(([, n]) => n !== undefined)
      .map(([g, n]) => (given.length === 1 ? `--${n}` : `--${n} (for ${g})`))
    return bad(
      `unknown flag${given.length === 1 ? '' : 's'} for ${line}: ${given.join(', ')}`,
      guesses.length
        ? `Did you mean ${guesses.join(', ')}?  (every flag: ${line} --help)`
        : `See ${line} --help.`,
      { flags: given },
    )
  }

  if (/^Unexpected arguments?:/.test(head)) {
    const extra =
      (e.args as string[] | undefined) ?? head.replace(/^Unexpected arguments?:\s*/, '').split(', ')
    return unexpectedArguments(cmd, extra)
  }

  if (/^Missing \d+ required args?/.test(head)) {
    const missing = ((e.args ?? []) as ArgSpec[]).filter((a) => a.name)
    const names = missing.map((a) => `<${a.name}>${a.description ? ` (${a.description})` : ''}`)
    return bad(
      `missing argument${missing.length === 1 ? '' : 's'} for ${line}: ${names.join(', ')}`,
      hintWith(cmd),
      { args: missing.map((a) => a.name) },
    )
  }

  if (/^The following errors? occurred:/.test(head)) {
    const reasons = reasonsOf(text)
    const missing = reasons
      .map((r) => /^Missing required flag (\S+)$/.exec(r)?.[1])
      .filter((n): n is string => n !== undefined)
    const others = reasons
      .filter((r) => !/^Missing required flag /.test(r))
      .map((r) =>
        r.replace(
          /^--([\w-]+)=.* cannot also be provided when using --([\w-]+)$/,
          '--$1 cannot be used with --$2',
        ),
      )
    const parts = [
      ...(missing.length
        ? [
            `missing required flag${missing.length === 1 ? '' : 's'} ${missing.map((n) => flagUsage(cmd, n)).join(', ')}`,
          ]
        : []),
      ...others,
    ]
    return bad(
      parts.join('; ') || head,
      hintWith(
        cmd,
        missing.map((n) => `--${n}`),
      ),
      {
        ...(missing.length ? { missing } : {}),
        ...(others.length ? { reasons: others } : {}),
      },
    )
  }

  if (e.parse !== undefined) return bad(head, hintWith(cmd), {})
  return undefined
}

/** Words after a command that takes fewer arguments: `fleet status extra-arg`. */
export function unexpectedArguments(cmd: CommandSpec, extra: readonly string[]): ErrorBody {
  const line = commandLine(cmd.id)
  const takes = Object.keys(cmd.args ?? {}).length
  return bad(
    `unexpected argument${extra.length === 1 ? '' : 's'} ${extra.map((a) => `"${a}"`).join(' ')}: ${line} takes ${
      takes === 0 ? 'no arguments' : `at most ${takes}`
    }`,
    hintWith(cmd),
    { args: extra },
  )
}
