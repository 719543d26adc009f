/**
 * The gate, table-driven over the oclif manifest: every command × every role × with and without
 * `--confirm`, against a lab-seeded home whose gateway, provider APIs and status pages are a
 * recorder (test/support/recorder.ts). The expected outcome is computed from the role table
 * (src/lib/policy/roles.ts) and the command rules (src/lib/agents/command-rules.ts), not written
 * by hand:
 * - a read is allowed to every role;
 * - a human-only command is refused to every agent by clawops itself (not only by the exec
 *   allowlist), except `watch`, which the gateway's cron job and the systemd unit run as Guardian
 *   and which clawops judges by the actions it takes (health.sweep);
 * - any other command: denied when the role lacks the action, CONFIRMATION_REQUIRED when the role
 *   only proposes it, allowed otherwise; with `--confirm <planId>` of a plan that waits for a
 *   confirmation, allowed only to roles that may confirm.
 * Every refusal must leave the fleet as it was, write an audit entry by the refusing role, and reach
 * no external endpoint. An allowed run must get past the gate: it succeeds, or fails with an error
 * that is not a refusal (the endpoints here answer 401).
 *
 * Most runs go through test/support/cli-driver.ts (the built CLI's main, many runs per process);
 * the refusal path of every command also runs through the real binary, and its answer must be the
 * driver's.
 */
import { type ChildProcess, fork } from 'node:child_process'
import { createHash } from 'node:crypto'
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ruleOf } from '../../src/lib/agents/command-rules.js'
import { Context } from '../../src/lib/context.js'
import { ACTORS, type Action, type Actor } from '../../src/lib/domain/actor.js'
import type { Instance } from '../../src/lib/domain/instance.js'
import { PROVIDERS } from '../../src/lib/domain/provider.js'
import { grantOf, ROLES } from '../../src/lib/policy/roles.js'
import { CREDENTIAL_ENV } from '../../src/lib/providers/index.js'
import { AuditTrail } from '../../src/lib/store/audit-trail.js'
import { Instances } from '../../src/lib/store/instances.js'
import { Operations } from '../../src/lib/store/operations.js'
import { ReprovisionQueue } from '../../src/lib/store/reprovision-queue.js'
import { clawopsAsync } from '../support/cli.js'
import { tempHome } from '../support/context.js'
import { type Hit, Recorder } from '../support/recorder.js'
import { copyHome, onPostgres, storeEnv } from '../support/store-engine.js'

type Outcome = 'allowed' | 'POLICY_DENIED' | 'CONFIRMATION_REQUIRED' | 'NOT_FOUND'

interface Fixture {
  /** A pair with both members ACTIVE: heal, restart, exec, failover, silences, sweeps act on it. */
  pair: string
  primary: Instance
  /** A tier the primary is not on (resize). */
  otherTier: string
  /** A whole pair to tear down (both ACTIVE: rule 1 allows it). */
  teardownPair: string
  failedTeardown: { opId: string; planId: string }
  rolloutId: string
  /** Upgrades that halted (no gateway), one of OpenClaw and one of gf-clawnode. */
  upgrades: { openclaw: string; clawnode: string }
  configVersion: string
  silenceId: string
  queueItem: string
  incidentId: string
  files: { merge: string; candidate: string }
  /** Plans that wait for a confirmation, by command id. */
  plans: Record<string, string>
}

interface CommandCase {
  argv(f: Fixture): string[]
  /** Flags that turn the command into another action (command rules' flagActions). */
  flagAction?: string
  /**
   * A run whose plan waits for a confirmation, and the role that makes it: the `--confirm` column
   * confirms that plan. Absent for a command whose plans never wait (one user, no role that only
   * proposes): its `--confirm` column names a plan that does not exist.
   */
  confirmable?: { argv(f: Fixture): string[]; by: Actor }
}

const BOGUS_PLAN = 'plan-doesnotexist00'

/** Every command of the manifest with arguments that reach its gate (a target of one user). */
const COMMANDS: Record<string, CommandCase> = {
  'fleet status': { argv: () => [] },
  'instance list': { argv: () => [] },
  'instance show': { argv: (f) => [f.primary.id] },
  'instance health': { argv: (f) => [f.primary.id] },
  'instance metrics': { argv: (f) => [f.primary.id] },
  'instance logs': { argv: (f) => [f.primary.id] },
  'instance config get': { argv: (f) => [f.primary.id] },
  'instance config diff': { argv: (f) => [f.primary.id, '--file', f.files.candidate] },
  'pair status': { argv: (f) => [f.pair] },
  'node list': { argv: () => [] },
  'gateway list': { argv: () => [] },
  'audit log': { argv: () => [] },
  'audit verify': { argv: () => [] },
  'ops list': { argv: () => [] },
  'ops show': { argv: (f) => [f.failedTeardown.opId] },
  'cost report': { argv: () => [] },
  'cost waste': { argv: () => [] },
  'capacity plan': { argv: () => [] },
  'provider health': { argv: () => [] },
  'provider routing show': { argv: () => [] },
  'provider prices': { argv: () => [] },
  'incident exposure': { argv: () => ['--provider', 'hetzner'] },
  'incident list': { argv: () => [] },
  'incident report': { argv: (f) => [f.incidentId] },
  'silence list': { argv: () => [] },
  'archive list': { argv: () => [] },
  'archive prune': { argv: () => [] },
  'reprovision list': { argv: () => [] },
  'config history': { argv: () => [] },
  'config show': { argv: (f) => [f.configVersion] },
  'config push status': { argv: (f) => [f.rolloutId] },
  'cron print': { argv: () => [] },
  'lab status': { argv: () => [] },
  help: { argv: () => ['teardown'] },
  'brief daily': { argv: () => [] },
  'brief weekly': { argv: () => [] },
  'brief monthly': { argv: () => [] },
  'health sweep': { argv: (f) => ['-l', `pair=${f.pair}`] },
  heal: { argv: (f) => [f.primary.id] },
  failover: { argv: (f) => [f.pair, '--reason', 'gate matrix'] },
  'instance restart': { argv: (f) => [f.primary.id] },
  restart: {
    argv: (f) => ['-l', `pair=${f.pair}`],
    confirmable: { argv: () => ['-l', 'role=primary'], by: 'operator' },
  },
  'instance exec': { argv: (f) => [f.primary.id, '--', 'uptime'] },
  provision: {
    argv: () => ['--count', '1', '--tier', 'standard', '--region', 'eu'],
    confirmable: { argv: () => ['--count', '11', '--tier', 'standard', '--region', 'eu'], by: 'operator' },
  },
  'reprovision run': { argv: (f) => ['--id', f.queueItem] },
  teardown: {
    argv: (f) => ['-l', `pair=${f.teardownPair}`],
    confirmable: { argv: (f) => ['-l', `pair=${f.teardownPair}`], by: 'forge' },
  },
  resize: {
    argv: (f) => ['--tier', f.otherTier, f.primary.id],
    confirmable: { argv: (f) => ['--tier', f.otherTier, f.primary.id], by: 'forge' },
  },
  'config push': {
    argv: (f) => ['--merge', f.files.merge, '-l', `pair=${f.pair}`],
    confirmable: { argv: (f) => ['--merge', f.files.merge, '-l', 'role=primary'], by: 'operator' },
  },
  'config push pause': { argv: (f) => [f.rolloutId] },
  'config push resume': { argv: (f) => [f.rolloutId] },
  'config push rollback': { argv: (f) => [f.rolloutId] },
  'openclaw versions': { argv: () => [] },
  'openclaw upgrade': {
    argv: (f) => ['--to', RELEASES.openclaw, '-l', `pair=${f.pair}`],
    confirmable: { argv: () => ['--to', RELEASES.openclaw, '-l', 'role=primary'], by: 'operator' },
  },
  'openclaw upgrade status': { argv: (f) => [f.upgrades.openclaw] },
  'openclaw upgrade pause': { argv: (f) => [f.upgrades.openclaw] },
  'openclaw upgrade resume': { argv: (f) => [f.upgrades.openclaw] },
  'openclaw upgrade rollback': { argv: (f) => [f.upgrades.openclaw] },
  'clawnode upgrade': {
    argv: (f) => ['--to', RELEASES.clawnode, '-l', `pair=${f.pair}`],
    confirmable: { argv: () => ['--to', RELEASES.clawnode, '-l', 'role=primary'], by: 'operator' },
  },
  'clawnode upgrade status': { argv: (f) => [f.upgrades.clawnode] },
  'clawnode upgrade pause': { argv: (f) => [f.upgrades.clawnode] },
  'clawnode upgrade resume': { argv: (f) => [f.upgrades.clawnode] },
  'provider routing set': {
    argv: () => ['--group', 'eu', '--exclude', 'contabo', '--reason', 'gate matrix'],
    confirmable: {
      argv: () => ['--group', 'eu', '--exclude', 'contabo', '--reason', 'gate matrix'],
      by: 'ledger',
    },
  },
  'silence add': {
    argv: (f) => ['--instance', f.primary.id, '--for', '1h', '--reason', 'gate matrix'],
  },
  'silence remove': { argv: (f) => [f.silenceId] },
  'ops resume': {
    argv: (f) => [f.failedTeardown.opId, '--retry-failed'],
    confirmable: { argv: (f) => [f.failedTeardown.opId, '--retry-failed'], by: 'operator' },
  },
  watch: { argv: () => ['--once', '--no-http'] },
  'watch status': { argv: () => [] },
  'node approve': { argv: () => [] },
  'gateway setup': { argv: () => [] },
  // The only gateway of the matrix is the one it is on: the operator passes the gate and meets CONFLICT.
  'gateway move': { argv: (f) => [f.primary.id, '--to', 'main'] },
  'agents install': { argv: () => [] },
  'lab up': { argv: () => [] },
  'lab down': { argv: () => [] },
  'lab seed': { argv: () => ['--pairs', '1', '--seed', '9', '--replace'] },
  'store backup': { argv: () => [] },
  // The operator passes the gate and is stopped by the file: nothing is replaced.
  'store restore': { argv: () => ['/nonexistent/fleet-backup.db', '--yes'] },
  'store migrate': { argv: () => [] },
  // The operator passes the gate and is stopped by the target: nothing is copied.
  'store copy': { argv: () => ['--to', '/nonexistent/dir/fleet-copy.db'] },
}

/** Variants of a command that are another action (a briefing is a read until it is delivered). */
const FLAG_VARIANTS: { id: string; flag: string }[] = [
  { id: 'brief daily', flag: '--deliver' },
  { id: 'brief weekly', flag: '--deliver' },
  { id: 'brief monthly', flag: '--deliver' },
  { id: 'provider prices', flag: '--refresh' },
]

/** Resumes of a rollout of one pair (the fixtures'): their plans never wait for a confirmation. */
const RESUMES = ['config push resume', 'openclaw upgrade resume', 'clawnode upgrade resume']

/** What the release location of the matrix offers to upgrade to. */
const RELEASES = { openclaw: '2026.9.6-1', clawnode: '0.1.1' }

/**
 * The operator's release location: only its index (nodes would fetch the files; here no node
 * answers). Not the recorder: reading the index is planning, not an effect.
 */
const releases = createServer((req, res) => {
  if (req.url !== '/index.json') return res.writeHead(404).end()
  const entry = (dir: string, version: string) => ({
    version,
    path: `${dir}/${dir}-${version}.tgz`,
    sha256: createHash('sha256').update(`${dir} ${version}`).digest('hex'),
    size: 1000,
  })
  res.writeHead(200, { 'content-type': 'application/json' })
  res.end(
    JSON.stringify({
      openclaw: [entry('openclaw', RELEASES.openclaw)],
      'gf-clawnode': [entry('gf-clawnode', RELEASES.clawnode)],
    }),
  )
})

/** The action of the failed operation `ops resume` continues. */
const RESUMED_ACTION: Action = 'teardown'

function expected(id: string, role: Actor, withConfirm: boolean, flagAction?: Action): Outcome {
  const rule = ruleOf(id)
  if (!rule) throw new Error(`no command rule for ${id}`)
  const action = flagAction ?? rule.action
  if (rule.humanOnly && role !== 'operator' && id !== 'watch') return 'POLICY_DENIED'
  if (action === null) return 'allowed'
  if (id === 'watch') {
    // Watch acts as Guardian when the operator runs it, and as the agent that runs it otherwise.
    const acting = role === 'operator' ? 'guardian' : role
    return grantOf(acting, 'health.sweep') === 'allow' ? 'allowed' : 'POLICY_DENIED'
  }
  if (rule.humanOnly) return role === 'operator' ? 'allowed' : 'POLICY_DENIED'
  if (grantOf(role, action) === 'deny') return 'POLICY_DENIED'
  if (id === 'ops resume') {
    const g = grantOf(role, RESUMED_ACTION)
    if (g === 'deny') return 'POLICY_DENIED'
    if (withConfirm) return ROLES[role].canConfirm ? 'allowed' : 'POLICY_DENIED'
    return g === 'confirm' ? 'CONFIRMATION_REQUIRED' : 'allowed'
  }
  // The rollout it continues (one pair) needed no confirmation: its own plan id changes nothing.
  if (RESUMES.includes(id)) return 'allowed'
  if (withConfirm) {
    if (!COMMANDS[id]?.confirmable) return 'NOT_FOUND'
    return ROLES[role].canConfirm ? 'allowed' : 'POLICY_DENIED'
  }
  return grantOf(role, action) === 'confirm' ? 'CONFIRMATION_REQUIRED' : 'allowed'
}

// ---------------------------------------------------------------------------------------------
// Homes, config and runs

const recorder = new Recorder()
let template: string
let secrets: string
let fixture: Fixture
const work = tempHome()

function writeConfig(home: string, name: string): void {
  const base = recorder.url(name)
  writeFileSync(
    join(home, 'config.json'),
    JSON.stringify({
      gateway: { url: recorder.url(name, 'ws'), tokenFile: join(secrets, 'gateway.token') },
      providers: Object.fromEntries(
        PROVIDERS.map((p) => [
          p,
          {
            baseUrl: `${base}/provider/${p}`,
            ...(p === 'contabo' ? { authUrl: `${base}/provider/contabo-auth` } : {}),
            credentialsFile: join(secrets, `${p}.json`),
          },
        ]),
      ),
      watch: { statusPageBase: `${base}/status`, hooksUrl: `${base}/hooks/agent` },
      upgrades: { releasesUrl: `http://127.0.0.1:${(releases.address() as AddressInfo).port}` },
    }),
  )
}

function writeSecrets(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  const file = (name: string, text: string) => {
    writeFileSync(join(dir, name), text, { mode: 0o600 })
    chmodSync(join(dir, name), 0o600)
  }
  file('gateway.token', 'gate-matrix-token')
  for (const p of PROVIDERS) {
    file(
      `${p}.json`,
      JSON.stringify(Object.fromEntries(Object.keys(CREDENTIAL_ENV[p]).map((k) => [k, `${p}-${k}-x`]))),
    )
  }
}

interface Run {
  code: number
  stdout: string
  stderr: string
  json:
    | { ok: boolean; data?: unknown; error?: { code: string; message: string; details?: unknown } }
    | undefined
}

function parse(r: { code: number; stdout: string; stderr: string }): Run {
  let json: Run['json']
  try {
    json = JSON.parse(r.stdout)
  } catch {
    json = undefined
  }
  return { ...r, json }
}

/** A pool of driver processes; each runs its queue one case at a time. */
class Drivers {
  private readonly procs: { queue: Map<string, (r: Run) => void>; child: ChildProcess }[] = []
  private next = 0

  constructor(n: number) {
    for (let i = 0; i < n; i++) {
      const child = fork(join(import.meta.dirname, '..', 'support', 'cli-driver.ts'), [], {
        stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
        env: { ...process.env, NO_COLOR: '1', CLAWOPS_LOG: 'off' },
      })
      const queue = new Map<string, (r: Run) => void>()
      child.on('message', (m) => {
        const r = m as { id: string; code: number; stdout: string; stderr: string }
        queue.get(r.id)?.(parse(r))
        queue.delete(r.id)
      })
      this.procs.push({ queue, child })
    }
  }

  run(id: string, argv: string[], env: Record<string, string>): Promise<Run> {
    const p = this.procs[this.next++ % this.procs.length]!
    return new Promise((resolve) => {
      p.queue.set(id, resolve)
      p.child.send({ id, argv, env: { ...storeEnv(env.CLAWOPS_HOME), ...env } })
    })
  }

  close(): void {
    for (const p of this.procs) p.child.disconnect()
  }
}

let drivers: Drivers

function words(id: string): string[] {
  return id.split(' ')
}

async function operator(home: string, argv: string[]): Promise<Run> {
  return drivers.run(`setup-${Math.random()}`, [...argv, '--json'], { CLAWOPS_HOME: home })
}

function readFixture(home: string): Pick<Fixture, 'pair' | 'primary' | 'otherTier' | 'teardownPair'> & {
  spare: string
} {
  const ctx = new Context({ home, env: storeEnv(home) })
  try {
    const all = ctx.store().repo(Instances).list()
    const healthyPairs = [...Map.groupBy(all, (i) => i.pairId)]
      .filter(([, m]) => m.length === 2 && m.every((i) => i.state === 'ACTIVE'))
      .map(([id, m]) => ({ id, primary: m.find((i) => i.role === 'primary')! }))
    const [a, b, c] = healthyPairs
    if (!a || !b || !c) throw new Error('the seed has too few healthy pairs')
    // The seed's rows have no server or node behind them; these three pairs get ids, so what acts on
    // them calls the (recorded) provider API and gateway as it would for a real fleet.
    const instances = ctx.store().repo(Instances)
    for (const i of all.filter((x) => [a.id, b.id, c.id].includes(x.pairId))) {
      instances.update(i.id, { providerId: `srv-${i.id.slice(2)}`, nodeId: `node-${i.id.slice(2)}` })
    }
    a.primary = instances.get(a.primary.id)!
    return {
      pair: a.id,
      primary: a.primary,
      otherTier: a.primary.tier === 'pro' ? 'standard' : 'pro',
      teardownPair: b.id,
      spare: c.id,
    }
  } finally {
    ctx.close()
  }
}

beforeAll(async () => {
  await recorder.start()
  await new Promise<void>((r) => releases.listen(0, '127.0.0.1', () => r()))
  drivers = new Drivers(2)
  template = join(work, 'template')
  secrets = join(work, 'secrets')
  mkdirSync(template)
  writeSecrets(secrets)
  writeConfig(template, 'template')
  // The home the matrix runs in: a seeded fleet, through the real binary.
  const seeded = await clawopsAsync(
    ['lab', 'seed', '--pairs', '30', '--seed', '3', '--briefing-events', '--json'],
    {
      CLAWOPS_HOME: template,
    },
  )
  expect(seeded.code, seeded.stdout).toBe(0)
  const picked = readFixture(template)
  const merge = join(work, 'merge.json')
  writeFileSync(merge, JSON.stringify({ agents: { defaults: { thinking: 'low' } } }))
  const candidate = join(work, 'candidate.json')
  writeFileSync(candidate, JSON.stringify({ gateway: { mode: 'local' } }))

  // Fixtures made by the operator the way an operator would: a teardown whose provider call fails,
  // a rollout that halts (no gateway), a silence.
  const torn = await operator(template, ['teardown', '-l', `pair=${picked.spare}`])
  const pushed = await operator(template, ['config', 'push', '--merge', merge, '-l', `pair=${picked.spare}`])
  const upgraded = {
    openclaw: await operator(template, [
      'openclaw',
      'upgrade',
      '--to',
      RELEASES.openclaw,
      '-l',
      `pair=${picked.spare}`,
    ]),
    clawnode: await operator(template, [
      'clawnode',
      'upgrade',
      '--to',
      RELEASES.clawnode,
      '-l',
      `pair=${picked.spare}`,
    ]),
  }
  const silenced = await operator(template, [
    'silence',
    'add',
    '--instance',
    picked.primary.id,
    '--for',
    '1h',
    '--reason',
    'fixture',
  ])
  expect(silenced.json?.ok, silenced.stdout).toBe(true)
  const ctx = new Context({ home: template, env: storeEnv(template) })
  let failedTeardown: Fixture['failedTeardown']
  let rolloutId: string
  let rolloutPlanId: string
  let upgrades: Fixture['upgrades']
  let configVersion: string
  let queueItem: string
  let incidentId: string
  try {
    const ops = ctx.store().repo(Operations)
    const td = ops.list({ kind: 'teardown' })[0]
    expect(td?.state, torn.stdout).toBe('failed')
    failedTeardown = { opId: td!.id, planId: td!.planId }
    const push = ctx
      .store()
      .db.prepare("SELECT id, version, plan_id AS planId FROM config_rollouts WHERE kind = 'push' LIMIT 1")
      .get() as { id: string; version: number; planId: string } | undefined
    expect(push, pushed.stdout).toBeDefined()
    rolloutId = push!.id
    const upgradeOf = (kind: 'openclaw' | 'clawnode') => {
      const row = ctx
        .store()
        .db.prepare('SELECT id FROM upgrade_rollouts WHERE kind = ? LIMIT 1')
        .get(kind) as { id: string } | undefined
      expect(row, upgraded[kind].stdout).toBeDefined()
      return row!.id
    }
    upgrades = { openclaw: upgradeOf('openclaw'), clawnode: upgradeOf('clawnode') }
    rolloutPlanId = push!.planId
    configVersion = String(push!.version)
    const queue = ctx.store().repo(ReprovisionQueue)
    const q = queue.enqueue({
      id: 'rq-gatematrix1',
      pairId: picked.pair,
      replacesInstanceId: picked.primary.id,
      provider: picked.primary.provider,
      region: picked.primary.region,
      tier: picked.primary.tier,
      reason: 'gate matrix',
      incidentId: null,
      opId: null,
      createdAt: ctx.now(),
    })
    queue.markReady(q.id, ctx.now())
    queueItem = q.id
    incidentId = (ctx.store().db.prepare('SELECT id FROM incidents LIMIT 1').get() as { id: string }).id
  } finally {
    ctx.close()
  }
  const silenceId = (silenced.json!.data as { silence: { id: string } }).silence.id

  const partial = {
    ...picked,
    failedTeardown,
    rolloutId,
    upgrades,
    configVersion,
    silenceId,
    queueItem,
    incidentId,
    files: { merge, candidate },
    plans: {},
  } satisfies Omit<Fixture, 'plans'> & { plans: Record<string, string> }
  // Plans that wait for a confirmation, made last: a plan is only good for the fleet it was made on.
  const plans: Record<string, string> = {}
  for (const [id, c] of Object.entries(COMMANDS)) {
    if (!c.confirmable || id === 'ops resume') continue
    const r = await drivers.run(`plan-${id}`, [...words(id), ...c.confirmable.argv(partial), '--json'], {
      CLAWOPS_HOME: template,
      CLAWOPS_ACTOR: c.confirmable.by,
    })
    expect(r.json?.error?.code, `${id}: ${r.stdout}`).toBe('CONFIRMATION_REQUIRED')
    plans[id] = (r.json!.error!.details as { planId: string }).planId
  }
  plans['ops resume'] = failedTeardown.planId
  plans['config push resume'] = rolloutPlanId
  for (const kind of ['openclaw', 'clawnode'] as const) {
    const ctx2 = new Context({ home: template, env: storeEnv(template) })
    try {
      const row = ctx2
        .store()
        .db.prepare('SELECT plan_id AS planId FROM upgrade_rollouts WHERE id = ?')
        .get(upgrades[kind]) as {
        planId: string
      }
      plans[`${kind} upgrade resume`] = row.planId
    } finally {
      ctx2.close()
    }
  }
  fixture = { ...partial, plans }
}, 180_000)

afterAll(async () => {
  drivers?.close()
  await recorder.close()
  releases.closeAllConnections()
  await new Promise<void>((r) => releases.close(() => r()))
  rmSync(work, { recursive: true, force: true })
})

interface Case {
  /** Recorder name and home directory of the run. */
  name: string
  id: string
  role: Actor
  withConfirm: boolean
  argv: string[]
  want: Outcome
  flagAction?: Action
}

interface Seen {
  run: Run
  /** What reached the gateway, provider and status-page endpoints during the run. */
  hits: Hit[]
  /** Audit entries the run added: [actor, outcome, action]. */
  audit: [string, string, string][]
  fleetChanged: boolean
  operationsAdded: number
}

interface Baseline {
  auditHead: number
  fleet: string
  operations: number
}

function snapshot(home: string): Baseline & { audit: [string, string, string][] } {
  const ctx = new Context({ home, env: storeEnv(home) })
  try {
    const db = ctx.store().db
    const fleet = JSON.stringify(db.prepare('SELECT * FROM instances ORDER BY id').all())
    const operations = (db.prepare('SELECT count(*) AS n FROM operations').get() as { n: number }).n
    const entries = ctx.store().repo(AuditTrail).query({ limit: 1_000_000 })
    return {
      auditHead: entries.at(-1)?.seq ?? 0,
      fleet,
      operations,
      audit: entries
        .filter((e) => e.seq > (baseline?.auditHead ?? Number.POSITIVE_INFINITY))
        .map((e) => [e.actor, e.outcome, e.action]),
    }
  } finally {
    ctx.close()
  }
}

let baseline: Baseline | undefined

function manifestIds(): { id: string; hasConfirm: boolean }[] {
  const manifest = JSON.parse(
    readFileSync(join(import.meta.dirname, '..', '..', 'oclif.manifest.json'), 'utf8'),
  ) as { commands: Record<string, { flags: Record<string, unknown> }> }
  return Object.entries(manifest.commands).map(([k, c]) => ({
    id: k.replaceAll(':', ' '),
    hasConfirm: 'confirm' in c.flags,
  }))
}

function allCases(): Case[] {
  const out: Case[] = []
  const add = (id: string, role: Actor, withConfirm: boolean, flag?: { flag: string; action: Action }) => {
    const c = COMMANDS[id]!
    const args = withConfirm && c.confirmable ? c.confirmable.argv(fixture) : c.argv(fixture)
    const confirm = withConfirm ? ['--confirm', fixture.plans[id] ?? BOGUS_PLAN] : []
    // help has no --json; everything else answers one JSON envelope. Flags go before the arguments:
    // `instance exec <id> -- argv…` passes everything after `--` to the instance.
    const json = id === 'help' ? [] : ['--json']
    out.push({
      name: `c${out.length + 1}`,
      id,
      role,
      withConfirm,
      argv: [...words(id), ...json, ...confirm, ...(flag ? [flag.flag] : []), ...args],
      want: expected(id, role, withConfirm, flag?.action),
      ...(flag ? { flagAction: flag.action } : {}),
    })
  }
  for (const { id, hasConfirm } of manifestIds()) {
    for (const role of ACTORS) {
      add(id, role, false)
      if (hasConfirm) add(id, role, true)
    }
  }
  for (const v of FLAG_VARIANTS) {
    const action = ruleOf(v.id)?.flagActions?.[v.flag]
    if (!action) throw new Error(`${v.id} ${v.flag} has no flag action in the command rules`)
    for (const role of ACTORS) add(v.id, role, false, { flag: v.flag, action })
  }
  return out
}

async function runCase(c: Case, via: 'driver' | 'binary', name = c.name): Promise<Seen> {
  const home = join(work, name)
  copyHome(template, home)
  writeConfig(home, name)
  const env = { CLAWOPS_HOME: home, CLAWOPS_ACTOR: c.role }
  const run = via === 'driver' ? await drivers.run(name, c.argv, env) : parse(await clawopsAsync(c.argv, env))
  const after = snapshot(home)
  try {
    rmSync(home, { recursive: true, force: true, maxRetries: 3 })
  } catch {
    // Left for the cleanup of the work directory.
  }
  return {
    run,
    hits: recorder.of(name),
    audit: after.audit,
    fleetChanged: after.fleet !== baseline!.fleet,
    operationsAdded: after.operations - baseline!.operations,
  }
}

const GATE_CODES = ['POLICY_DENIED', 'CONFIRMATION_REQUIRED']

/** What is wrong with a run, judged against its expected outcome; empty when it is right. */
function judge(c: Case, s: Seen): string[] {
  const got =
    c.id === 'help'
      ? s.run.code === 0
        ? 'ok'
        : `exit ${s.run.code}`
      : s.run.json?.ok
        ? 'ok'
        : (s.run.json?.error?.code ?? `no JSON (exit ${s.run.code})`)
  const at = `${c.id}${c.flagAction ? ` (${c.flagAction})` : ''} as ${c.role}${c.withConfirm ? ' --confirm' : ''}`
  const wrong: string[] = []
  if (c.want === 'allowed') {
    if (got === 'INTERNAL' || got.startsWith('no JSON') || got.startsWith('exit') || GATE_CODES.includes(got))
      wrong.push(
        `${at}: expected to pass the gate, got ${got}: ${s.run.json?.error?.message ?? s.run.stderr.slice(0, 200)}`,
      )
    const refused = s.audit.filter(
      ([, outcome]) => outcome === 'denied' || outcome === 'confirmation-required',
    )
    if (refused.length)
      wrong.push(`${at}: allowed, yet the audit trail records a refusal ${JSON.stringify(refused)}`)
    return wrong
  }
  if (got !== c.want) {
    wrong.push(
      `${at}: expected ${c.want}, got ${got}: ${s.run.json?.error?.message ?? s.run.stderr.slice(0, 200)}`,
    )
  }
  // A role without the action is refused before anything is read. A refusal that needs a plan
  // (a confirmation, or a confirmation the role may not give) may have read the providers' price
  // lists to cost it, and nothing else: no gateway, no change anywhere.
  const roleDenied = (s.run.json?.error?.details as { rules?: string[] } | undefined)?.rules?.includes(
    'role-permission',
  )
  const priceRead = (h: Hit) =>
    !h.upgrade &&
    h.path.includes('/provider/') &&
    (h.method === 'GET' || (h.method === 'POST' && h.path.includes('/provider/contabo-auth')))
  const outside = roleDenied ? s.hits : s.hits.filter((h) => !priceRead(h))
  if (outside.length > 0)
    wrong.push(
      `${at}: refused, yet ${outside.length} request(s) reached the gateway or a provider first: ${outside
        .map((h) => `${h.upgrade ? 'WS' : h.method} ${h.path}`)
        .join(', ')}`,
    )
  if (s.fleetChanged) wrong.push(`${at}: refused, yet the fleet changed`)
  if (s.operationsAdded > 0) wrong.push(`${at}: refused, yet an operation was journaled`)
  if (c.want !== 'NOT_FOUND') {
    const outcome = c.want === 'POLICY_DENIED' ? 'denied' : 'confirmation-required'
    if (!s.audit.some(([actor, o]) => actor === c.role && o === outcome))
      wrong.push(
        `${at}: the refusal left no '${outcome}' audit entry by ${c.role} (${JSON.stringify(s.audit)})`,
      )
  }
  return wrong
}

const driverRuns = new Map<string, Seen>()
let cases: Case[] = []

/** Runs `work` over `items`, `n` at a time. */
async function pool<T>(items: T[], n: number, work: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items]
  await Promise.all(
    Array.from({ length: n }, async () => {
      for (let x = queue.shift(); x !== undefined; x = queue.shift()) await work(x)
    }),
  )
}

// A case's home copy is synchronous in this process and, on PostgreSQL, a schema of its own (its DDL
// and every row copied, ~1 s there): a few cases in flight at once keep the two drivers busy while the
// next homes are made. The vitest config gives the -pg projects three times the timeouts; these
// tests name their own, so they scale them the same way.
const CASE_TIMEOUT = (onPostgres() ? 3 : 1) * 300_000

describe('the gate over every command of the manifest', () => {
  it(
    'has a case for every command, and the role table decides the outcome of every case',
    async () => {
      const ids = manifestIds().map((m) => m.id)
      expect(
        ids.filter((id) => !COMMANDS[id]),
        'commands of the manifest without a case here',
      ).toEqual([])
      expect(
        Object.keys(COMMANDS).filter((id) => !ids.includes(id)),
        'cases for no command',
      ).toEqual([])
      baseline = snapshot(template)
      cases = allCases()
      const wrong: string[] = []
      await pool(cases, 6, async (c) => {
        const s = await runCase(c, 'driver')
        driverRuns.set(c.name, s)
        wrong.push(...judge(c, s))
      })
      expect(wrong.sort()).toEqual([])
      // Each class of outcome occurs: the table is not trivially satisfied.
      const wants = new Set(cases.map((c) => c.want))
      expect([...wants].sort()).toEqual(['CONFIRMATION_REQUIRED', 'NOT_FOUND', 'POLICY_DENIED', 'allowed'])
      // The recorder sees what gets past the gate: allowed changes reach the endpoints.
      const reached = cases.filter((c) => c.want === 'allowed' && driverRuns.get(c.name)!.hits.length > 0)
      expect(reached.map((c) => c.id)).toEqual(
        expect.arrayContaining(['teardown', 'resize', 'provision', 'heal']),
      )
    },
    CASE_TIMEOUT,
  )

  it(
    'refuses through the real binary exactly as through the driver, before any external call',
    async () => {
      expect(cases.length).toBeGreaterThan(0)
      // Every command's refusal once, by the most restricted role that is refused; and, where a real
      // plan waits for a confirmation, a role that may not confirm it trying to.
      const order: Actor[] = ['triage', 'briefer', 'ledger', 'guardian', 'forge', 'commander']
      const chosen: Case[] = []
      const refused = (x: Case) => x.want === 'POLICY_DENIED' || x.want === 'CONFIRMATION_REQUIRED'
      for (const key of new Set(cases.map((c) => `${c.id}|${c.flagAction ?? ''}|${c.withConfirm}`))) {
        const group = cases.filter((c) => `${c.id}|${c.flagAction ?? ''}|${c.withConfirm}` === key)
        if (group[0]!.withConfirm && !COMMANDS[group[0]!.id]!.confirmable) continue
        const pick = group[0]!.withConfirm
          ? group.find((c) => refused(c) && grantOf(c.role, c.flagAction ?? ruleOf(c.id)!.action!) !== 'deny')
          : order.map((r) => group.find((c) => c.role === r && refused(c))).find(Boolean)
        if (pick) chosen.push(pick)
      }
      const wrong: string[] = []
      await pool(chosen, 4, async (c) => {
        const s = await runCase(c, 'binary', `b${c.name}`)
        wrong.push(...judge(c, s))
        const d = driverRuns.get(c.name)!
        const code = (x: Seen) => [x.run.code, x.run.json?.error?.code]
        if (JSON.stringify(code(s)) !== JSON.stringify(code(d)))
          wrong.push(`${c.id} as ${c.role}: the binary answered ${code(s)}, the driver ${code(d)}`)
      })
      expect(wrong.sort()).toEqual([])
      const withRefusal = new Set(cases.filter(refused).map((c) => c.id))
      expect(new Set(chosen.map((c) => c.id))).toEqual(withRefusal)
    },
    CASE_TIMEOUT,
  )
})
