/**
 * Against one lab started for this file: every --help example that needs the gateway or the cloud
 * (live reads from gf-clawnode and the status pages, dry runs whose plans read the providers) runs
 * as written, with ids from this fleet in place of the placeholders; and Ctrl-C in a real terminal
 * (tmux) during a provision: the first stops it after the step in flight (journaled, INTERRUPTED,
 * the `ops resume` command named), a second stops at once; both are resumed by the `ops resume`
 * examples to the end, without a second server.
 */
import { spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BIN, clawops } from '../../support/cli.js'
import { tempHome } from '../../support/context.js'
import { allExamples, type Example, substitute } from '../../support/examples.js'
import { hasTmux, Tmux } from '../../support/tmux.js'

// biome-ignore lint/suspicious/noExplicitAny: JSON envelopes, checked by the assertions
type Json = any

const home = tempHome()
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
  // One pair at a time, so an interrupted provision has steps left to resume.
  writeFileSync(join(home, 'config.json'), JSON.stringify({ provisioning: { concurrency: 1 } }))
  ok('lab', 'up', '--driver', 'clawnode-virtual', '--boot-seconds', '1')
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

function runExample(e: Example) {
  const argv = substitute(e.argv, ids, home).map((a) =>
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
  const live = allExamples().filter((e) => e.mode === 'live' && e.id !== 'ops:resume')
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
