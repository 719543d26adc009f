/**
 * Reads the `clawops …` commands a skill names and checks them against the oclif manifest: the
 * command exists, every flag exists on it (long or short), boolean flags take no value, and it has no
 * more positional arguments than it declares. A command marked "(does not exist yet)" right after it
 * must really not exist, so a skill that admits a gap stops passing once the gap is filled.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'

interface ManifestFlag {
  name: string
  char?: string
  type: 'boolean' | 'option'
  multiple?: boolean
}
interface ManifestCommand {
  id: string
  args: Record<string, { name: string }>
  strict?: boolean
  flags: Record<string, ManifestFlag>
}

export interface NamedCommand {
  /** The command line as written in the skill. */
  text: string
  /** Marked "(does not exist yet)" in the skill. */
  missingByDesign: boolean
}

export function loadManifest(root: string): Record<string, ManifestCommand> {
  return JSON.parse(readFileSync(join(root, 'oclif.manifest.json'), 'utf8')).commands
}

/** Inline code spans and lines of fenced code blocks that start with `clawops `. */
export function commandsIn(markdown: string): NamedCommand[] {
  const out: NamedCommand[] = []
  const fenced = markdown.split(/^```/m)
  for (const [i, part] of fenced.entries()) {
    if (i % 2 === 1) {
      for (const line of part.split('\n').slice(1)) {
        const t = line.trim()
        if (t.startsWith('clawops ')) out.push({ text: t, missingByDesign: false })
      }
      continue
    }
    for (const m of part.matchAll(/`(clawops [^`]+)`(\s*\(does not exist yet\))?/g)) {
      out.push({ text: m[1]!.trim(), missingByDesign: Boolean(m[2]) })
    }
  }
  return out
}

/** Splits like a shell would for these simple lines: whitespace, and "double quoted" words. */
export function words(line: string): string[] {
  const out: string[] = []
  for (const m of line.matchAll(/"([^"]*)"|(\S+)/g)) out.push(m[1] ?? m[2]!)
  return out
}

export type Verdict = { ok: true; command: string } | { ok: false; reason: string }

/** Checks one command line (starting with `clawops`) against the manifest. */
export function checkCommand(line: string, manifest: Record<string, ManifestCommand>): Verdict {
  const argv = words(line).slice(1)
  // The longest run of leading plain words that names a command.
  let id = ''
  let used = 0
  for (let n = 1; n <= argv.length; n++) {
    const candidate = argv.slice(0, n).join(':')
    if (argv[n - 1]!.startsWith('-')) break
    if (manifest[candidate]) {
      id = candidate
      used = n
    }
  }
  if (!id) return { ok: false, reason: `no such command: ${argv.slice(0, 3).join(' ')}` }
  const cmd = manifest[id]!
  const flags = Object.values(cmd.flags)
  let positional = 0
  const rest = argv.slice(used)
  for (let i = 0; i < rest.length; i++) {
    const w = rest[i]!
    if (w === '--') break // what follows is the argv of `instance exec`
    if (w.startsWith('--')) {
      const [name, inline] = w.slice(2).split('=', 2)
      const f = flags.find((x) => x.name === name)
      if (!f) return { ok: false, reason: `${id.replaceAll(':', ' ')} has no flag --${name}` }
      if (f.type === 'option' && inline === undefined) i++
      if (f.type === 'boolean' && inline !== undefined)
        return { ok: false, reason: `--${name} is a switch and takes no value` }
    } else if (/^-[A-Za-z]$/.test(w)) {
      const f = flags.find((x) => x.char === w.slice(1))
      if (!f) return { ok: false, reason: `${id.replaceAll(':', ' ')} has no flag ${w}` }
      if (f.type === 'option') i++
    } else positional++
  }
  const declared = Object.keys(cmd.args).length
  if (cmd.strict !== false && positional > declared) {
    return {
      ok: false,
      reason: `${id.replaceAll(':', ' ')} takes ${declared} argument(s), the skill gives ${positional}`,
    }
  }
  return { ok: true, command: id.replaceAll(':', ' ') }
}
