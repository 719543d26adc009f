/**
 * Every example of every command's `--help`, as a shell would read it, and how the tests run it:
 * - `offline`: runs as written against a lab-seeded home (no gateway, no cloud): reads, and the
 *   changes that only write the home (silences, lab seed, the store's backup, copy and restore);
 * - `live`: needs the operator's gateway or the cloud: runs as written against the lab started once
 *   by test/integration/lab/examples: live reads and dry runs first, then the examples that change
 *   the fleet (CHANGES, in order: the watch daemon among them), its lab brought up in a new home by
 *   the `CLAWOPS_HOME=~/.clawops-lab` example;
 * - `deliver`: `brief … --deliver`, run as written by test/integration/brief/delivery against the
 *   run's gateway with a Telegram channel (a local Telegram Bot API) that must receive the briefing;
 * - `postgres`: the store's examples that name a PostgreSQL server, run as written by
 *   test/cli/store-engines in the cli-pg project, against the run's PostgreSQL server;
 * - `parse`: cannot run here (PARSE_ONLY, each with the reason); only checked to parse.
 * Placeholders in the examples (i-7k2m9x4q1d, plan-3fz8k1qa2b, postgresql://…@db.internal/…) are
 * replaced by real ones of the same kind (substitute()).
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
  mode: 'offline' | 'live' | 'deliver' | 'postgres' | 'parse'
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
  'gateway:list',
  'incident:exposure',
  'config:show',
  'config:push:status',
  'openclaw:versions',
])

/**
 * The examples that change the fleet, run as written by the live test after its reads, in this order
 * (one shared fleet: each leaves the next something to act on), with the exit each answers when it
 * is not 0 and why. `confirm`: run as written it waits for a confirmation, and the test then confirms
 * that plan (answering `confirmExit`) so the change itself is checked. `planAs`: the role whose
 * unconfirmed run made the plan a `--confirm plan-…` example confirms (its own --as by default).
 * The live test sets a restart budget and a failover blast radius of 1 user and 2 failovers, so the
 * lab's small fleet asks for confirmations as a large one would. `daemon`: runs until stopped; the
 * test lets it finish a cycle, then stops it with SIGTERM and, run again, with Ctrl-C's SIGINT.
 * `shell`: run by /bin/sh exactly as printed (it sets the environment, with a `~`), HOME a new
 * directory: the lab up that brings up the live test's lab, before every other example.
 */
export const CHANGES: readonly {
  line: string
  exit?: number
  why?: string
  confirm?: true
  confirmExit?: number
  planAs?: string
  daemon?: true
  shell?: true
}[] = [
  { line: 'clawops node approve' },
  { line: 'clawops node approve --json' },
  { line: 'clawops health sweep' },
  { line: 'clawops health sweep "provider=hetzner,region=nbg1" --json' },
  { line: 'clawops health sweep -l state=DEGRADED --concurrency 8' },
  { line: 'clawops instance exec i-7k2m9x4q1d -- df -h' },
  { line: 'clawops instance exec i-7k2m9x4q1d --json -- uptime' },
  { line: 'clawops provider prices --refresh --json' },
  { line: 'clawops provider prices --refresh --provider hetzner' },
  { line: 'clawops agents install --json' },
  { line: 'clawops gateway setup' },
  { line: 'clawops gateway move i-7k2m9x4q1d --to gw-2 --dry-run' },
  { line: 'clawops gateway move i-7k2m9x4q1d --to gw-2 --json' },
  { line: 'clawops instance restart i-7k2m9x4q1d' },
  { line: 'clawops instance restart i-7k2m9x4q1d --as guardian --json' },
  { line: 'clawops heal i-7k2m9x4q1d' },
  { line: 'clawops heal i-7k2m9x4q1d --as guardian --json' },
  { line: 'clawops heal i-7k2m9x4q1d --wait 30s' },
  {
    line: "clawops restart -l 'state=DEGRADED,provider=hetzner'",
    exit: 4,
    why: 'no hetzner instance of the lab fleet is DEGRADED: nothing to restart (NOT_FOUND)',
  },
  { line: 'clawops restart -l region=nbg1 --confirm plan-7k2m9x4q1d --concurrency 16 --json --stream' },
  { line: 'clawops config push --file openclaw.json -l pair=p-7k2m9x4q1d --all-at-once --yes' },
  {
    line: 'clawops config push --patch fallbacks.json -l cohort=beta --canary 5 --pause 1m --max-failures 1',
    exit: 2,
    why: 'no instance of the lab fleet is labelled cohort=beta: the selector matches nothing (INVALID_INPUT)',
  },
  {
    line: 'clawops config push --merge kimi-k2.5.json --as commander --confirm plan-3fz8k1qa2b --json --stream',
  },
  { line: 'clawops config push rollback r-7k2m9x4q1d' },
  { line: 'clawops config push rollback v12 --as commander --confirm plan-3fz8k1qa2b --json' },
  ...[
    'clawops config push pause r-7k2m9x4q1d',
    'clawops config push pause r-7k2m9x4q1d --reason "latency up on eu" --as commander --json',
    'clawops config push resume r-7k2m9x4q1d',
    'clawops config push resume r-7k2m9x4q1d --as commander --json --stream',
  ].map((line) => ({
    line,
    exit: 10,
    why: 'the rollout has ended (rolled back): nothing to pause or resume (CONFLICT)',
  })),
  {
    line: 'clawops openclaw upgrade --to 2026.9.6-1 --canary 2 --batch-size 20 --pause 1m',
    exit: 8,
    why: 'more than 10 users: waits for a confirmation (not given here: its batches pause 1 min each)',
  },
  {
    line: 'clawops openclaw upgrade --to 2026.9.6-1 --as commander --confirm plan-3fz8k1qa2b --json --stream',
    exit: 68,
    why: 'the lab’s virtual nodes report no OpenClaw version: every instance is blocked, none changed',
  },
  {
    line: 'clawops openclaw upgrade rollback u-7k2m9x4q1d',
    exit: 10,
    why: 'the rollout upgraded no instance: nothing to put back (CONFLICT)',
  },
  ...[
    'clawops openclaw upgrade pause u-7k2m9x4q1d',
    'clawops openclaw upgrade pause u-7k2m9x4q1d --reason "3 gateways degraded in eu since batch 2" --as guardian --json',
    'clawops openclaw upgrade resume u-7k2m9x4q1d',
    'clawops openclaw upgrade resume u-7k2m9x4q1d --as commander --json --stream',
  ].map((line) => ({
    line,
    exit: 10,
    why: 'the rollout is complete: nothing to pause or resume (CONFLICT)',
  })),
  { line: 'clawops openclaw upgrade status u-7k2m9x4q1d' },
  { line: 'clawops openclaw upgrade status u-7k2m9x4q1d --json' },
  {
    line: 'clawops clawnode upgrade --to 0.1.1 --canary 1 --batch-size 20',
    exit: 8,
    why: 'more than 10 users: waits for a confirmation',
    confirm: true,
    confirmExit: 68,
  },
  { line: 'clawops clawnode upgrade status u-7k2m9x4q1d' },
  { line: 'clawops clawnode upgrade status u-7k2m9x4q1d --json' },
  ...[
    'clawops clawnode upgrade pause u-7k2m9x4q1d',
    'clawops clawnode upgrade pause u-7k2m9x4q1d --reason "3 gateways degraded in eu since batch 2" --as guardian --json',
  ].map((line) => ({
    line,
    exit: 10,
    why: 'the rollout halted after its canary (virtual nodes cannot update gf-clawnode): already stopped (CONFLICT)',
  })),
  ...[
    'clawops clawnode upgrade resume u-7k2m9x4q1d',
    'clawops clawnode upgrade resume u-7k2m9x4q1d --as commander --json --stream',
  ].map((line) => ({
    line,
    exit: 68,
    why: 'resumed, its next batch fails too: the lab’s virtual nodes cannot update gf-clawnode',
  })),
  {
    line: 'clawops provision --count 20 --tier standard --region eu --primary hetzner --standby vultr',
    exit: 8,
    why: '20 users: waits for a confirmation (not given here: 40 servers)',
  },
  { line: 'clawops provision --count 2 --tier pro --region eu --users u-ana,u-ben --json --stream' },
  { line: 'clawops resize --tier nano -l pair=p-7k2m9x4q1d' },
  {
    line: 'clawops resize --tier nano -l pair=p-7k2m9x4q1d --as ledger --json',
    exit: 8,
    why: 'a resize by Ledger waits for a confirmation by the operator or Commander',
  },
  { line: 'clawops failover p-7k2m9x4q1d --as guardian --json' },
  {
    line: 'clawops failover p-7k2m9x4q1d',
    exit: 8,
    why: 'a second failover within the window is past the blast radius: waits for a confirmation',
    confirm: true,
  },
  {
    line: 'clawops failover -l "provider=hetzner,region=nbg1,role=primary,state in (DEGRADED,FAILED)" --reason "nbg1 outage"',
    exit: 2,
    why: 'no primary of the lab fleet is DEGRADED or FAILED: the selector matches nothing (INVALID_INPUT)',
  },
  { line: 'clawops failover p-7k2m9x4q1d --confirm plan-3fz8k1qa2b' },
  { line: 'clawops watch --once --json' },
  { line: 'clawops reprovision run --id rq-7k2m9x4q1d --as forge --json' },
  { line: 'clawops reprovision run' },
  { line: 'clawops teardown -l pair=p-7k2m9x4q1d' },
  { line: 'clawops teardown -l pair=p-7k2m9x4q1d --confirm plan-3fz8k1qa2b --json', planAs: 'forge' },
  {
    line: 'clawops archive prune --id arc-7k2m9x4q1d --id arc-3fz8k1qa2b',
    exit: 10,
    why: 'the archives of the two teardowns above are kept a day at least (archive.retentionDays): CONFLICT',
  },
  { line: 'clawops watch --heal', daemon: true },
  { line: 'clawops lab up' },
  { line: 'clawops lab up --driver clawnode-virtual --boot-seconds 0' },
  { line: 'clawops lab down --json' },
  { line: 'clawops lab down' },
  { line: 'CLAWOPS_HOME=~/.clawops-lab clawops lab up --json', shell: true },
]

/** Examples that cannot run here, with the reason. */
export const PARSE_ONLY: Record<string, string> = {}

/** The PostgreSQL server the store's examples name, replaced by the run's (substitute()). */
export const EXAMPLE_POSTGRES_URL = 'postgresql://clawops@db.internal/fleet'

function classify(
  id: string,
  line: string,
  argv: string[],
): Pick<Example, 'mode' | 'why'> & { exit?: number } {
  const has = (f: string) => argv.some((a) => a === f || a.startsWith(`${f}=`))
  const change = CHANGES.find((c) => c.line === line)
  if (change)
    return { mode: 'live', why: change.why ?? 'changes the fleet of the live test', exit: change.exit ?? 0 }
  if (PARSE_ONLY[line]) return { mode: 'parse', why: PARSE_ONLY[line] }
  if (has('--deliver'))
    return { mode: 'deliver', why: "sends the briefing to the operator's channel through the gateway" }
  if (id.startsWith('store:') && line.includes(EXAMPLE_POSTGRES_URL))
    return { mode: 'postgres', why: 'a store on a PostgreSQL server' }
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
  // A new example that changes the fleet: the cli test fails until it is in CHANGES (or PARSE_ONLY).
  return { mode: 'parse', why: 'not run: add it to CHANGES, in the order it can run' }
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
      const { exit: changed, ...how } = classify(c.id, line, words)
      out.push({ id: c.id, line, argv: words, env, piped: end !== -1, exit: changed ?? exit, ...how })
    }
  }
  return out
}

/**
 * Replaces the examples' placeholders with real ones of the same kind: ids, plan ids (`plan`), the two
 * archives of `archive prune` (`arc`, `arc2`), a backup's file name (`backup`), the PostgreSQL server
 * (`postgres`); `~/.clawops` (the default home) and `~` with the home.
 */
export function substitute(argv: readonly string[], ids: Record<string, string>, home: string): string[] {
  return argv.map((a) =>
    a
      .replace(EXAMPLE_POSTGRES_URL, (m) => ids.postgres ?? m)
      .replace(/^~\/\.clawops(?=\/)/, home)
      .replace(/^~(?=\/)/, home)
      .replace(/\b(i|p|op|inc|rq|sil|r|u|arc)-7k2m9x4q1d\b/g, (m, kind: string) => ids[kind] ?? m)
      .replace(/\barc-3fz8k1qa2b\b/g, (m) => ids.arc2 ?? m)
      .replace(/\bplan-(7k2m9x4q1d|3fz8k1qa2b)\b/g, (m) => ids.plan ?? m)
      .replace(/\bfleet-20261205T060000000Z\.db$/, (m) => ids.backup ?? m)
      .replace(/\bu-3fz8k1qa\b/g, (m) => ids.user ?? m),
  )
}

/** The same for the environment an example sets before `clawops` (`CLAWOPS_DATABASE_URL=…`). */
export function substituteEnv(
  env: Readonly<Record<string, string>>,
  ids: Record<string, string>,
  home: string,
): Record<string, string> {
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, substitute([v], ids, home)[0]!]))
}
