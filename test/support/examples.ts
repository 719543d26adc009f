/**
 * Every example of every command's `--help`, as a shell would read it, and how the tests try it:
 * - `offline`: runs as written against a lab-seeded home (no gateway, no cloud): reads, and the
 *   mutations that only write the home (silences, lab seed);
 * - `live`: needs the operator's gateway or the cloud (live reads from gf-clawnode, dry runs whose
 *   plans read the providers): runs against a lab started once by test/integration/lab/examples;
 * - `parse`: changes a fleet, starts a lab or a daemon, or sends messages; only checked to parse
 *   (the command exists and takes exactly these flags and arguments), with the reason.
 * Placeholder ids in the examples (i-7k2m9x4q1d …) are replaced by ids of the same kind from the home.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse as shellParse } from 'shell-quote'

export const ROOT = join(import.meta.dirname, '..', '..')

interface ManifestCommand {
  id: string
  pluginName?: string
  hidden?: boolean
  examples?: (string | { description?: string; command: string })[]
}

export interface Example {
  id: string
  /** As printed by --help. */
  line: string
  /** The clawops arguments (after `clawops`), the shell's environment prefix, a pipe after it. */
  argv: string[]
  env: Record<string, string>
  piped: boolean
  mode: 'offline' | 'live' | 'parse'
  why: string
  /** The exit code the example documents (0 unless its description says otherwise). */
  exit: number
}

/** Commands whose examples only read the store (or write only the home). */
const OFFLINE = new Set([
  'archive:list',
  'audit:log',
  'audit:verify',
  'brief:daily',
  'brief:monthly',
  'brief:weekly',
  'capacity:plan',
  'config:history',
  'cost:report',
  'cost:waste',
  'cron:print',
  'fleet:status',
  'incident:list',
  'incident:report',
  'instance:list',
  'instance:show',
  'lab:seed',
  'lab:status',
  'store:backup',
  'store:migrate',
  'store:restore',
  'watch:status',
  'ops:list',
  'ops:resume',
  'ops:show',
  'pair:status',
  'provider:health',
  'provider:routing:set',
  'provider:routing:show',
  'reprovision:list',
  'silence:add',
  'silence:list',
  'silence:remove',
])

/** Reads that need the gateway, a node or a provider's status page. */
const LIVE_READS = new Set([
  'instance:health',
  'instance:logs',
  'instance:metrics',
  'instance:config:get',
  'instance:config:diff',
  'node:list',
  'incident:exposure',
  'config:show',
  'config:push:status',
  'openclaw:versions',
])

/**
 * The examples that change the fleet, run as written by the live test after its reads, in this order
 * (one shared fleet: each leaves the next something to act on), with the exit each answers when it
 * is not 0 and why. `confirm`: the example answers CONFIRMATION_REQUIRED, and the test then confirms
 * that plan so the change itself is checked.
 */
export const CHANGES: readonly { line: string; exit?: number; why?: string; confirm?: true }[] = [
  { line: 'clawops node approve' },
  { line: 'clawops node approve --json' },
]

/** Examples that cannot run here, with the reason. */
const PARSE_ONLY: Record<string, string> = {
  'clawops watch --heal': 'the watch daemon: runs until it is stopped',
  'clawops store copy --to postgresql://clawops@db.internal/fleet':
    'a PostgreSQL server on another host (the --to-file example copies the same way into a file)',
  'CLAWOPS_DATABASE_URL=postgresql://clawops@db.internal/fleet clawops store migrate --json':
    'a PostgreSQL server on another host (the plain example migrates the home)',
}

function classify(
  id: string,
  line: string,
  argv: string[],
  env: Record<string, string>,
): Pick<Example, 'mode' | 'why'> & { exit?: number } {
  const has = (f: string) => argv.some((a) => a === f || a.startsWith(`${f}=`))
  const change = CHANGES.find((c) => c.line === line)
  if (change)
    return { mode: 'live', why: change.why ?? 'changes the fleet of the live test', exit: change.exit ?? 0 }
  if (PARSE_ONLY[line]) return { mode: 'parse', why: PARSE_ONLY[line] }
  if (has('--deliver')) return { mode: 'parse', why: "sends the briefing to the operator's channels" }
  if (id === 'watch' && has('--print-systemd')) return { mode: 'offline', why: 'prints a unit file' }
  if (id === 'ops:resume' && argv.length > 2)
    return { mode: 'live', why: 'resumes an interrupted operation (the live test interrupts one)' }
  if (id === 'lab:seed' && argv.includes('--replace'))
    return { mode: 'offline', why: 'replaces the fleet of a throwaway home' }
  if (id === 'archive:prune' && has('--dry-run'))
    return { mode: 'offline', why: 'a plan over the archives of the home, nothing deleted' }
  if (id === 'openclaw:versions' && has('--cached'))
    return { mode: 'offline', why: 'the versions last recorded in the store' }
  if (id === 'provider:prices' && !has('--refresh'))
    return { mode: 'offline', why: 'the price lists kept in the home' }
  if ((id === 'agents:install' || id === 'gateway:setup') && has('--file'))
    return { mode: 'offline', why: "writes a gateway's config file (one in the home)" }
  if (id === 'store:copy' && has('--to-file'))
    return { mode: 'offline', why: 'copies the store into a new SQLite file named in a file of the home' }
  if (OFFLINE.has(id)) return { mode: 'offline', why: 'reads the store, or writes only the home' }
  if (LIVE_READS.has(id)) return { mode: 'live', why: 'reads through the gateway, a node or a status page' }
  if (has('--dry-run'))
    return { mode: 'live', why: 'a plan (reads the providers and the gateway), nothing done' }
  return { mode: 'parse', why: 'NOT YET CLASSIFIED' }
}

export function allExamples(): Example[] {
  const manifest = JSON.parse(readFileSync(join(ROOT, 'oclif.manifest.json'), 'utf8')) as {
    commands: Record<string, ManifestCommand>
  }
  const out: Example[] = []
  for (const c of Object.values(manifest.commands)) {
    if (c.pluginName !== 'clawops' || c.hidden) continue
    for (const e of c.examples ?? []) {
      const line = (typeof e === 'string' ? e : e.command).replaceAll('<%= config.bin %>', 'clawops')
      const tokens = shellParse(line, (name) => `$${name}`)
      const end = tokens.findIndex((t) => typeof t !== 'string')
      const words = (end === -1 ? tokens : tokens.slice(0, end)) as string[]
      const env: Record<string, string> = {}
      while (/^[A-Z_]+=/.test(words[0] ?? '')) {
        const [k, ...v] = words.shift()!.split('=')
        env[k!] = v.join('=')
      }
      if (words.shift() !== 'clawops') throw new Error(`${c.id}: example does not run clawops: ${line}`)
      // "As Ledger: propose, then Commander confirms the plan id": the proposal is the outcome.
      // A fresh fleet has no archive past its retention: a prune's plan says so (CONFLICT).
      const exit =
        c.id === 'provider:routing:set' && words.includes('ledger')
          ? 8
          : c.id === 'archive:prune' && words.includes('--dry-run')
            ? 10
            : // The lab's virtual nodes report no OpenClaw version: the rollout of the live test
              // upgraded none, so its rollback plan says there is nothing to put back (CONFLICT).
              c.id === 'openclaw:upgrade:rollback' && words.includes('--dry-run')
              ? 10
              : 0
      const { exit: changed, ...how } = classify(c.id, line, words, env)
      out.push({ id: c.id, line, argv: words, env, piped: end !== -1, exit: changed ?? exit, ...how })
    }
  }
  return out
}

/**
 * Replaces the examples' placeholders with real ones of the same kind: ids, plan ids (`plan`), the two
 * archives of `archive prune` (`arc`, `arc2`), a backup's file name (`backup`); `~/.clawops` (the
 * default home) and `~` with the home.
 */
export function substitute(argv: readonly string[], ids: Record<string, string>, home: string): string[] {
  return argv.map((a) =>
    a
      .replace(/^~\/\.clawops(?=\/)/, home)
      .replace(/^~(?=\/)/, home)
      .replace(/\b(i|p|op|inc|rq|sil|r|u|arc)-7k2m9x4q1d\b/g, (m, kind: string) => ids[kind] ?? m)
      .replace(/\barc-3fz8k1qa2b\b/g, (m) => ids.arc2 ?? m)
      .replace(/\bplan-(7k2m9x4q1d|3fz8k1qa2b)\b/g, (m) => ids.plan ?? m)
      .replace(/\bfleet-20261205T060000000Z\.db$/, (m) => ids.backup ?? m)
      .replace(/\bu-3fz8k1qa\b/g, (m) => ids.user ?? m),
  )
}
