/**
 * Against one lab started for this file, in ~/.clawops-lab of a new HOME by the `CLAWOPS_HOME=~/.clawops-lab
 * clawops lab up --json` example (run by /bin/sh as printed): every --help example that needs the
 * gateway or the cloud runs as written, with ids from this fleet in place of the placeholders: live reads and dry runs;
 * Ctrl-C in a real terminal (tmux) during a provision: the first stops it after the step in flight
 * (journaled, INTERRUPTED, the `ops resume` command named), a second stops at once; both are resumed
 * by the `ops resume` examples to the end, without a second server; then every example that changes
 * the fleet, in an order that leaves each something to act on (CHANGES), with the exit it answers, the
 * plan ids of the `--confirm` examples taken from the same command run without it, the `watch --heal`
 * daemon let finish a cycle and stopped (SIGTERM, then Ctrl-C's SIGINT), the lab taken down by the
 * `lab down` examples.
 */
import { spawn, spawnSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { BIN, clawops } from '../../support/cli.js'
import { tempHome } from '../../support/context.js'
import { allExamples, CHANGES, type Example, ROOT, substitute } from '../../support/examples.js'
import { hasTmux, Tmux } from '../../support/tmux.js'

// biome-ignore lint/suspicious/noExplicitAny: JSON envelopes, checked by the assertions
type Json = any

/** HOME of this file's clawops runs; the lab and the fleet live in ~/.clawops-lab. */
const HOME = tempHome()
const home = join(HOME, '.clawops-lab')
const work = tempHome()
const env = { CLAWOPS_HOME: home }
const ok = (...args: string[]): Json => {
  // A lab starts a real gateway: a minute or more on a busy machine.
  const r = clawops([...args, '--json'], env, undefined, 300_000)
  expect(r.code, `${args.join(' ')}: ${r.stdout}${r.stderr}`).toBe(0)
  return (r.json as Json).data
}
const ids: Record<string, string> = {}
let version = ''

beforeAll(async () => {
  // The lab: a gateway and a cloud in a new home, this file's, its config pointed at them.
  const e = allExamples().find((x) => x.line === CHANGES.find((c) => c.shell)!.line)!
  const up = runInShell(e)
  expect(up.status, `${e.line}\n${up.stdout.slice(0, 500)}\n${up.stderr}`).toBe(0)
  const data = answerOf(up.stdout).data
  expect(data).toMatchObject({
    running: true,
    gateway: { alive: true },
    cloud: { alive: true, driver: 'clawnode', servers: {} },
    configPath: join(home, 'config.json'),
  })
  expect(JSON.parse(readFileSync(join(home, 'config.json'), 'utf8')).gateway.url).toBe(data.gateway.url)
  // This fleet's servers are virtual nodes (dozens of gf-clawnode processes would crowd the machine):
  // the cloud, with no server yet, is started again with that driver, the gateway kept (`lab up
  // --driver` leaves a lab that runs as it is).
  const cloudPid: number = JSON.parse(readFileSync(join(home, 'lab', 'lab.json'), 'utf8')).cloud.pid
  process.kill(cloudPid, 'SIGTERM')
  for (let i = 0; groupAlive(cloudPid) && i < 200; i++) await sleep(100)
  expect(ok('lab', 'up', '--driver', 'clawnode-virtual', '--boot-seconds', '1')).toMatchObject({
    gateway: { url: data.gateway.url, alive: true },
    cloud: { url: data.cloud.url, alive: true, driver: 'clawnode-virtual' },
  })
  // One pair at a time, so an interrupted provision has steps left to resume.
  const config = JSON.parse(readFileSync(join(home, 'config.json'), 'utf8'))
  writeFileSync(
    join(home, 'config.json'),
    JSON.stringify({ ...config, provisioning: { ...config.provisioning, concurrency: 1 } }),
  )
  ok(
    'provision',
    '--count',
    '2',
    '--tier',
    'nano',
    '--region',
    'eu',
    '--primary',
    'hetzner',
    '--standby',
    'vultr',
  )
  const primary = ok('instance', 'list', '--role', 'primary').instances[0]
  ids.i = primary.id
  ids.p = primary.pairId
  ids.user = primary.userId
  // The files the config examples name, in the directory they run from.
  writeFileSync(
    join(work, 'kimi-k2.5.json'),
    JSON.stringify({ agents: { defaults: { model: { primary: 'moonshot/kimi-k2.5' } } } }),
  )
  writeFileSync(
    join(work, 'fallbacks.json'),
    JSON.stringify([{ op: 'add', path: '/agents/defaults/model/fallbacks', value: [] }]),
  )
  writeFileSync(
    join(work, 'openclaw.json'),
    JSON.stringify(ok('instance', 'config', 'get', primary.id).result.config),
  )
  const push = ok(
    'config',
    'push',
    '--merge',
    join(work, 'kimi-k2.5.json'),
    '-l',
    `pair=${ids.p}`,
    '--pause',
    '0',
  )
  ids.r = push.rollout.rolloutId
  version = String(push.rollout.version)
  // An upgrade rollout for the upgrade examples to name (u-…). The lab's virtual nodes report no
  // OpenClaw version, so it ends PARTIAL_FAILURE with every instance blocked, nothing changed.
  const upgrade = clawops(
    ['openclaw', 'upgrade', '--to', '2026.9.6-1', '-l', `pair=${ids.p}`, '--yes', '--pause', '0', '--json'],
    env,
  )
  const rollout = (upgrade.json as Json).error.details.rollout
  expect(rollout.counts).toMatchObject({ total: 2, blocked: 2, upgraded: 0 })
  ids.u = rollout.rolloutId
}, 600_000)

afterAll(() => {
  clawops(['lab', 'down'], env)
})

function runExample(e: Example, argv0: readonly string[] = e.argv) {
  // gf-clawnode rollouts have ids of their own kind (u-…), as the openclaw ones do.
  const kinds = e.id.startsWith('clawnode:') ? { ...ids, u: ids.cu ?? '' } : ids
  const argv = substitute(argv0, kinds, home).map((a) =>
    a.replace(/^v?12$/, (m) => (m.startsWith('v') ? `v${version}` : version)),
  )
  return spawnSync(process.execPath, [BIN, ...argv], {
    cwd: work,
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, ...env, CLAWOPS_LOG: 'off', NO_COLOR: '1' },
  })
}

describe('the --help examples that need the gateway or the cloud', () => {
  const live = allExamples().filter(
    (e) => e.mode === 'live' && e.id !== 'ops:resume' && !CHANGES.some((c) => c.line === e.line),
  )
  it.each(live.map((e) => [e.line, e] as const))('%s', (_line, e: Example) => {
    const r = runExample(e)
    expect(r.status, `${e.line}\n${r.stdout.slice(0, 500)}\n${r.stderr}`).toBe(e.exit)
    if (e.argv.includes('--json')) expect(JSON.parse(r.stdout)).toMatchObject({ ok: true })
  })
})

if (!hasTmux && !process.env.CI)
  process.stderr.write('terminal tests not run: tmux missing (apt-get install tmux)\n')

describe.runIf(hasTmux || process.env.CI)('Ctrl-C in a terminal during a provision', () => {
  let term: Tmux
  beforeAll(() => {
    expect(hasTmux, 'tmux is missing: apt-get install tmux').toBe(true)
    term = new Tmux({
      CLAWOPS_HOME: home,
      CLAWOPS_LOG: 'off',
      NO_COLOR: '1',
      BIN,
      PATH: `${process.execPath.replace(/\/node$/, '')}:${process.env.PATH}`,
    })
  })
  afterAll(() => term?.close())
  const unfinished = (): Json[] => ok('ops', 'list', '--state', 'running').operations

  it('once: the step in flight finishes and is journaled, the rest waits for ops resume', async () => {
    term.begin()
    term.run('node "$BIN" provision --count 3 --tier nano --region eu; echo "exit=$?"')
    // The spinner of the first pair in flight (a phase: creating, booting, joining, checking health).
    await term.waitFor(/p-\w+: (primary|standby) [a-z ]+ on \w+\//)
    term.keys('C-c')
    await term.waitFor(/Interrupted: no new step starts/)
    const s = await term.waitFor(/exit=\d+/, 120_000)
    expect(s).toMatch(/Error \(INTERRUPTED\): operation op-\w+ was interrupted with \d+ step\(s\) left/)
    expect(s).toMatch(/Hint: Continue it with: clawops ops resume op-\w+/)
    expect(s).toMatch(/exit=130/)
    const [op] = unfinished()
    const steps: Json[] = ok('ops', 'show', op.id).steps
    expect(steps.filter((st) => st.state === 'done').length).toBeGreaterThanOrEqual(1)
    expect(steps.filter((st) => st.state === 'pending').length).toBeGreaterThanOrEqual(1)
    ids.op = op.id
  }, 180_000)

  it('the ops resume example continues it to the end', () => {
    const e = allExamples().find((x) => x.id === 'ops:resume' && x.argv.length === 3)!
    const r = runExample(e)
    expect(r.status, r.stderr).toBe(0)
    expect(ok('ops', 'show', ids.op!).state).toBe('done')
  }, 180_000)

  it('twice: stops at once, and ops resume --retry-failed finishes it without a second server', async () => {
    const before = ok('lab', 'status').cloud.servers
    term.begin()
    term.run(
      'node "$BIN" provision --count 2 --tier nano --region eu --primary hetzner --standby vultr; echo "exit=$?"',
    )
    // The spinner of the first pair in flight (a phase: creating, booting, joining, checking health).
    await term.waitFor(/p-\w+: (primary|standby) [a-z ]+ on \w+\//)
    term.keys('C-c')
    await term.waitFor(/Press Ctrl-C again/)
    term.keys('C-c')
    const s = await term.waitFor(/exit=\d+/, 30_000)
    expect(s).toMatch(/INTERRUPTED.*stopped at once/)
    expect(s).toMatch(/clawops ops resume/)
    expect(s).toMatch(/exit=130/)
    const [op] = unfinished()
    ids.op = op.id
    const e = allExamples().find((x) => x.id === 'ops:resume' && x.argv.includes('--retry-failed'))!
    const r = runExample(e)
    expect(r.status, r.stderr).toBe(0)
    expect(ok('ops', 'show', op.id).state).toBe('done')
    const after = ok('lab', 'status').cloud.servers
    const count = (m: Record<string, number>) => Object.values(m).reduce((a, b) => a + b, 0)
    expect(count(after) - count(before)).toBe(4)
  }, 240_000)
})

/**
 * A daemon example as written, in a process group of its own: once its ready line names /healthz and
 * /healthz counts a finished cycle, the group gets `signal` (SIGINT as a terminal's Ctrl-C sends it).
 */
async function runDaemon(e: Example, signal: 'SIGTERM' | 'SIGINT') {
  const child = spawn(process.execPath, [BIN, ...substitute(e.argv, ids, home)], {
    cwd: work,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env, CLAWOPS_LOG: 'off', NO_COLOR: '1' },
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d: Buffer) => (stdout += d))
  child.stderr.on('data', (d: Buffer) => (stderr += d))
  const exited = new Promise<number | string>((resolve) =>
    child.on('exit', (code, sig) => resolve(code ?? String(sig))),
  )
  let health: Json
  try {
    const deadline = Date.now() + 90_000
    for (;;) {
      const url = /clawops watch running \((http:\/\/\S+)\/healthz\)/.exec(stderr)?.[1]
      if (url) {
        health = await fetch(`${url}/healthz`).then((r) => r.json())
        if (health.cycles >= 1) break
      }
      expect(child.exitCode, `ended before a cycle:\n${stderr}`).toBeNull()
      expect(Date.now() < deadline, `no cycle within 90 s:\n${stderr}`).toBe(true)
      await sleep(250)
    }
    process.kill(-child.pid!, signal)
    const code = await exited
    return { code, stdout, stderr, health, pid: child.pid! }
  } finally {
    if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL')
  }
}

/** Whether process `pid` (negative: any process of the group it led) is still there. */
function groupAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** An example that sets its own environment, run by /bin/sh exactly as printed in HOME. */
function runInShell(e: Example) {
  const { CLAWOPS_HOME: _, ...rest } = process.env
  return spawnSync('/bin/sh', ['-c', e.line], {
    cwd: HOME,
    encoding: 'utf8',
    timeout: 300_000,
    env: {
      ...rest,
      HOME,
      // `clawops` is bin/clawops (the shim on a PATH), run by this Node.
      PATH: `${join(ROOT, 'bin')}:${dirname(process.execPath)}:${process.env.PATH}`,
      CLAWOPS_LOG: 'off',
      NO_COLOR: '1',
    },
  })
}

/** The plan a `--confirm plan-…` example confirms: the same command without it (CONFIRMATION_REQUIRED). */
function planFor(e: Example, as?: string): string {
  const at = e.argv.indexOf('--confirm')
  let argv = [...e.argv.slice(0, at), ...e.argv.slice(at + 2)].filter(
    (a) => a !== '--json' && a !== '--stream',
  )
  if (as) argv = [...argv, '--as', as]
  const r = runExample(e, [...argv, '--json'])
  const answer = JSON.parse(r.stdout) as Json
  expect(answer.error?.code, `${argv.join(' ')}: ${r.stdout.slice(0, 500)}`).toBe('CONFIRMATION_REQUIRED')
  return answer.error.details.planId
}

/** The final answer of a command run with --json (with --stream: its last line). */
const answerOf = (stdout: string): Json => JSON.parse(stdout.trim().split('\n').at(-1)!)

describe('the --help examples that change the fleet, in an order that leaves each something to act on', () => {
  const examples = allExamples()
  // The lab up of a new home ran first (beforeAll).
  const changes = CHANGES.filter((c) => !c.shell).map(
    (c) => [c.line, c, examples.find((e) => e.line === c.line)!] as const,
  )
  /** Pairs of their own for the examples that fail over, resize or tear down a pair. */
  const spare: string[] = []
  const byUser: Record<string, string> = {}

  beforeAll(() => {
    // A small fleet asking for confirmations as a large one would: a restart budget of 1 user, a
    // blast radius of 2 failovers; no pause between rollout batches (rule 2 asks none under 100
    // instances); pairs made 8 at a time. Set after the tests above, which run on the lab's defaults.
    const file = join(home, 'config.json')
    const config = JSON.parse(readFileSync(file, 'utf8'))
    config.watch = {
      restartBudget: { maxUsers: 1, minUsers: 1 },
      blastRadius: { minFailovers: 2, maxShare: 0.01 },
      // The watch daemon's /healthz on a free port (another watch on this machine may hold 18790).
      listen: '127.0.0.1:0',
    }
    config.provisioning.concurrency = 8
    config.configPush = { ...config.configPush, pauseSeconds: 0 }
    config.upgrades = { ...config.upgrades, pauseSeconds: 0 }
    // `watch --heal` runs below as the daemon: no Guardian cron sweep (`watch --once --heal` every 5
    // minutes, which agents install would add) holds the fleet's watch lease meanwhile, as
    // agents.guardianSweep documents for a fleet whose watch --heal is a service.
    config.agents = { ...config.agents, guardianSweep: false }
    writeFileSync(file, JSON.stringify(config))
    // More than 10 users, so fleet-wide rollouts wait for a confirmation (rule 5), and 3 spare pairs.
    const pairs = ok('fleet', 'status').pairs as number
    const made = ok(
      ...['provision', '--count', String(Math.max(3, 11 - pairs)), '--tier', 'nano', '--region', 'eu'],
      ...['--primary', 'hetzner', '--standby', 'vultr', '--yes'],
    )
    spare.push(...made.pairs.map((p: Json) => p.pairId))
  }, 120_000)

  /** The config file of this fleet, and the run's shared gateway as a second shard (`gw-2`). */
  const file = join(home, 'config.json')
  const shared = inject('gateway')
  let unsharded = ''

  /** What an example acts on, set just before it runs. */
  const before: Record<string, () => void> = {
    // A second gateway shard for the moves: the run's shared gateway, set up as the lab's is for
    // nodes (gateway setup), its token in a file of the home. Only for these examples: the
    // provisions after them would spread their pairs over both.
    'clawops gateway move i-7k2m9x4q1d --to gw-2 --dry-run': () => {
      unsharded = readFileSync(file, 'utf8')
      const tokenFile = join(home, 'gateway-gw-2.token')
      writeFileSync(tokenFile, shared.token, { mode: 0o600 })
      const config = JSON.parse(unsharded)
      config.gateways = [{ name: 'gw-2', url: shared.url, tokenFile }]
      writeFileSync(file, JSON.stringify(config), { mode: 0o600 })
    },
    'clawops resize --tier nano -l pair=p-7k2m9x4q1d': () => (ids.p = byUser['u-ana']!),
    'clawops resize --tier nano -l pair=p-7k2m9x4q1d --as ledger --json': () => (ids.p = byUser['u-ben']!),
    'clawops failover p-7k2m9x4q1d --as guardian --json': () => (ids.p = spare[0]!),
    'clawops failover p-7k2m9x4q1d': () => (ids.p = spare[1]!),
    'clawops failover p-7k2m9x4q1d --confirm plan-3fz8k1qa2b': () => (ids.p = spare[2]!),
    'clawops reprovision run --id rq-7k2m9x4q1d --as forge --json': () => {
      const items: Json[] = ok('reprovision', 'list').items
      ids.rq = items.find((i) => i.state === 'ready')?.id
    },
    'clawops teardown -l pair=p-7k2m9x4q1d': () => (ids.p = byUser['u-ben']!),
    'clawops teardown -l pair=p-7k2m9x4q1d --confirm plan-3fz8k1qa2b --json': () =>
      (ids.p = byUser['u-ana']!),
    'clawops archive prune --id arc-7k2m9x4q1d --id arc-3fz8k1qa2b': () => {
      const archives: Json[] = ok('archive', 'list').archives
      ids.arc = archives[0].id
      ids.arc2 = archives[1].id
    },
  }
  /** What an example did, checked (and ids it made, kept) just after it runs. */
  type Run = ReturnType<typeof runExample>
  const after: Record<string, (r: Run, confirmed?: Run) => void> = {
    'clawops gateway move i-7k2m9x4q1d --to gw-2 --dry-run': (r) => {
      // The plan, nothing done: the instance stays on the lab's gateway, no operation recorded.
      expect(r.stdout + r.stderr).toContain(`move ${ids.i}'s node from gateway main to gw-2`)
      const inst: Json[] = ok('instance', 'list').instances
      expect(inst.find((i) => i.id === ids.i).gateway).toBe('main')
      const list = ok('gateway', 'list').gateways
      expect(list.map((g: Json) => [g.name, g.instances])).toEqual([
        ['main', expect.any(Number)],
        ['gw-2', 0],
      ])
    },
    'clawops gateway move i-7k2m9x4q1d --to gw-2 --json': (r) => {
      // The lab's virtual node rewrote its config and came back on gw-2, where it answers; its
      // pairing on the lab's gateway is gone. Then gw-2 is retired as an operator would retire it.
      const moved = answerOf(r.stdout).data
      expect(moved.status).toBe('done')
      expect(moved.steps[0].result).toMatchObject({
        from: 'main',
        to: 'gw-2',
        moved: true,
        unpairedFromOld: true,
      })
      const onShard = () =>
        Object.fromEntries(ok('gateway', 'list').gateways.map((g: Json) => [g.name, g.instances]))
      const mainCount = onShard().main as number
      expect(onShard()['gw-2']).toBe(1)
      expect(ok('instance', 'list').instances.find((i: Json) => i.id === ids.i).gateway).toBe('gw-2')
      const answers = () => {
        const r = clawops(['instance', 'exec', ids.i!, '--json', '--', 'uptime'], env)
        expect(r.code, r.stdout + r.stderr).toBe(0)
        return (r.json as Json).data.steps[0].result.exitCode
      }
      expect(answers()).toBe(0)
      // gw-2 is retired: marked drain, its node moves back onto its partner's gateway, the only other.
      const config = JSON.parse(readFileSync(file, 'utf8'))
      config.gateways[0].drain = true
      writeFileSync(file, JSON.stringify(config), { mode: 0o600 })
      const back = ok('gateway', 'move', ids.i!, '--to', 'main', '--yes')
      expect(back.steps[0].result).toMatchObject({
        from: 'gw-2',
        to: 'main',
        moved: true,
        unpairedFromOld: true,
      })
      expect(onShard()).toEqual({ main: mainCount + 1, 'gw-2': 0 })
      expect(answers()).toBe(0)
      writeFileSync(file, unsharded, { mode: 0o600 })
    },
    'clawops config push --merge kimi-k2.5.json --as commander --confirm plan-3fz8k1qa2b --json --stream': (
      r,
    ) => {
      // The fleet-wide push is the version the rollback example names (v12).
      version = String(answerOf(r.stdout).data.rollout.version)
    },
    'clawops config push rollback v12 --as commander --confirm plan-3fz8k1qa2b --json': (r) => {
      expect(answerOf(r.stdout).data.rollout).toMatchObject({ kind: 'rollback', status: 'complete' })
    },
    'clawops clawnode upgrade --to 0.1.1 --canary 1 --batch-size 20': (_r, confirmed) => {
      ids.cu = /rollout (u-\w+)/.exec(confirmed!.stderr)?.[1] ?? ''
      expect(ids.cu, confirmed!.stderr).toMatch(/^u-/)
    },
    'clawops provision --count 2 --tier pro --region eu --users u-ana,u-ben --json --stream': (r) => {
      for (const p of answerOf(r.stdout).data.pairs) byUser[p.userId] = p.pairId
    },
    'clawops resize --tier nano -l pair=p-7k2m9x4q1d': () => {
      const inst: Json[] = ok('instance', 'list', '-l', `pair=${byUser['u-ana']}`).instances
      expect(inst.map((i) => i.tier)).toEqual(['nano', 'nano'])
    },
    'clawops failover p-7k2m9x4q1d --confirm plan-3fz8k1qa2b': () => {
      const inst: Json[] = ok('instance', 'list', '-l', `pair=${spare[2]}`).instances
      expect(inst.map((i) => `${i.role} ${i.state}`).sort()).toEqual([
        'primary ACTIVE',
        'standby QUARANTINED',
      ])
    },
    'clawops teardown -l pair=p-7k2m9x4q1d --confirm plan-3fz8k1qa2b --json': () => {
      expect(ok('instance', 'list', '-l', `pair=${byUser['u-ana']}`).instances).toEqual([])
      expect(ok('archive', 'list').archives.length).toBeGreaterThanOrEqual(2)
    },
    'clawops lab down --json': () => expect(ok('lab', 'status').running).toBe(false),
  }

  it.each(changes)(
    '%s',
    async (_line, c, e) => {
      if (c.daemon) {
        for (const signal of ['SIGTERM', 'SIGINT'] as const) {
          const r = await runDaemon(e, signal)
          // A cycle finished (a full sweep of this fleet), healing on its own; stopped, it says so
          // and exits 0, nothing of it left running, its lease released for the next watch.
          expect(r.health.heal).toBe(true)
          expect(r.health.lastCycle.sweep.swept, JSON.stringify(r.health)).toBeGreaterThan(0)
          expect(r.code, `${signal}\n${r.stdout}${r.stderr}`).toBe(0)
          expect(r.stdout).toMatch(new RegExp(`^watch stopped \\(${signal}\\) after [1-9]\\d* cycle\\(s\\)`))
          expect(groupAlive(-r.pid)).toBe(false)
          expect(ok('watch', 'status').leader).toBeNull()
        }
        return
      }
      before[e.line]?.()
      if (e.argv.includes('--confirm')) ids.plan = planFor(e, c.planAs)
      const r = runExample(e)
      expect(r.status, `${e.line}\n${r.stdout.slice(0, 500)}\n${r.stderr}`).toBe(e.exit)
      if (e.argv.includes('--json')) expect(answerOf(r.stdout)).toMatchObject({ ok: e.exit === 0 })
      let confirmed: Run | undefined
      if (c.confirm) {
        // Run as written it waits for a confirmation; confirmed, the change itself happens.
        const plan = /plan (plan-\w+)/.exec(r.stderr)?.[1]
        expect(plan, r.stderr).toBeTruthy()
        confirmed = runExample(e, [...e.argv, '--confirm', plan!])
        expect(confirmed.status, confirmed.stderr).toBe(c.confirmExit ?? 0)
      }
      after[e.line]?.(r, confirmed)
    },
    150_000,
  )
})
