/**
 * Man pages in roff, generated from the oclif manifest (the command definitions themselves), so the
 * pages cannot drift from `--help`. One page per command plus clawops(1) listing them all.
 */
import { ERROR_CODES } from '../errors.js'

interface ManifestFlag {
  name: string
  char?: string
  type: 'boolean' | 'option'
  summary?: string
  description?: string
  options?: string[]
  multiple?: boolean
  required?: boolean
  default?: unknown
  helpGroup?: string
}

interface ManifestArg {
  name: string
  description?: string
  required?: boolean
}

export interface ManifestCommand {
  id: string
  pluginName?: string
  summary?: string
  description?: string
  hidden?: boolean
  examples?: (string | { description?: string; command: string })[]
  flags: Record<string, ManifestFlag>
  args: Record<string, ManifestArg>
}

const ENVIRONMENT: [string, string][] = [
  ['CLAWOPS_HOME', 'Directory of the fleet store, config and logs (default ~/.clawops).'],
  ['CLAWOPS_CONFIG', 'Path of the config file (default $CLAWOPS_HOME/config.json).'],
  ['CLAWOPS_ACTOR', 'Agent role to act as when --as is not given (default operator).'],
  ['CLAWOPS_CONTENT_TYPE', 'Set to json for JSON output without --json.'],
  ['CLAWOPS_LOG', 'Where logs go: file (default, $CLAWOPS_HOME/logs), stderr or off.'],
  ['NO_COLOR', 'Disables colour in human output.'],
]

/** Escapes text for roff: backslashes, and a leading dot or quote that roff would read as a request. */
function esc(text: string): string {
  return text
    .replaceAll('\\', '\\e')
    .replaceAll('-', '\\-')
    .split('\n')
    .map((l) => (/^[.']/.test(l) ? `\\&${l}` : l))
    .join('\n')
}

const bin = (s: string) => s.replaceAll('<%= config.bin %>', 'clawops')

export function manName(id: string): string {
  return `clawops-${id.replaceAll(':', '-')}.1`
}

function synopsis(c: ManifestCommand): string {
  const args = Object.values(c.args).map((a) => (a.required ? `<${a.name}>` : `[<${a.name}>]`))
  return `clawops ${c.id.replaceAll(':', ' ')}${args.length ? ` ${args.join(' ')}` : ''} [flags]`
}

function flagLine(f: ManifestFlag): string {
  const names = [f.char ? `\\-${f.char}` : null, `\\-\\-${esc(f.name)}`].filter(Boolean).join(', ')
  const value = f.type === 'option' ? (f.options ? ` ${esc(f.options.join('|'))}` : ' \\fIvalue\\fR') : ''
  return `\\fB${names}\\fR${value}`
}

export function renderCommandPage(c: ManifestCommand, version: string): string {
  const lines = [
    `.TH "${manName(c.id).replace('.1', '').toUpperCase()}" 1 "" "clawops ${version}" "clawops manual"`,
    '.SH NAME',
    `clawops\\-${esc(c.id.replaceAll(':', '-'))} \\- ${esc(c.summary ?? '')}`,
    '.SH SYNOPSIS',
    `.B ${esc(synopsis(c))}`,
  ]
  if (c.description) lines.push('.SH DESCRIPTION', esc(c.description))
  const args = Object.values(c.args)
  if (args.length) {
    lines.push('.SH ARGUMENTS')
    for (const a of args) lines.push('.TP', `\\fI${esc(a.name)}\\fR`, esc(a.description ?? ''))
  }
  const flags = Object.values(c.flags).sort(
    (a, b) => (a.helpGroup === 'GLOBAL' ? 1 : 0) - (b.helpGroup === 'GLOBAL' ? 1 : 0),
  )
  if (flags.length) {
    lines.push('.SH OPTIONS')
    for (const f of flags) {
      const extra = [
        f.required ? 'Required.' : '',
        f.multiple ? 'Repeatable.' : '',
        f.default !== undefined ? `Default: ${String(f.default)}.` : '',
      ]
        .filter(Boolean)
        .join(' ')
      lines.push('.TP', flagLine(f), esc([f.summary ?? f.description ?? '', extra].filter(Boolean).join(' ')))
    }
  }
  if (c.examples?.length) {
    lines.push('.SH EXAMPLES')
    for (const ex of c.examples) {
      const { description, command } = typeof ex === 'string' ? { description: undefined, command: ex } : ex
      if (description) lines.push('.PP', esc(description))
      lines.push('.PP', '.RS 4', `.B ${esc(bin(command))}`, '.RE')
    }
  }
  // Tagged paragraphs rather than a tbl table: they wrap to the reader's width (80 columns included).
  lines.push('.SH EXIT STATUS', '0 on success; otherwise the exit code of the error class:')
  for (const [code, { exit, summary }] of Object.entries(ERROR_CODES))
    lines.push('.TP', `\\fB${exit}\\fR ${code}`, esc(summary))
  lines.push('.SH ENVIRONMENT')
  for (const [k, v] of ENVIRONMENT) lines.push('.TP', `\\fB${k}\\fR`, esc(v))
  lines.push('.SH SEE ALSO', '\\fBclawops\\fR(1)')
  return `${lines.join('\n')}\n`
}

export function renderIndexPage(commands: ManifestCommand[], version: string): string {
  const lines = [
    `.TH "CLAWOPS" 1 "" "clawops ${version}" "clawops manual"`,
    '.SH NAME',
    'clawops \\- conversational fleet operations for OpenClaw gateways',
    '.SH SYNOPSIS',
    '.B clawops <topic> <command> [flags]',
    '.SH DESCRIPTION',
    esc(
      'Every fleet operation is a clawops subcommand. With --json (or -o json) stdout holds exactly one JSON document: {"ok":true,"data":...,"warnings":[...]} or {"ok":false,"error":{"code","message","hint","details"}}. Mutating commands plan first, check the safety policy, and run only a confirmed plan.',
    ),
    '.SH COMMANDS',
  ]
  for (const c of commands)
    lines.push('.TP', `\\fB${esc(`clawops ${c.id.replaceAll(':', ' ')}`)}\\fR`, esc(c.summary ?? ''))
  lines.push('.SH SEE ALSO', commands.map((c) => `\\fB${manName(c.id).replace('.1', '')}\\fR(1)`).join(', '))
  return `${lines.join('\n')}\n`
}
