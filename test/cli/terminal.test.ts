/**
 * The CLI in a real pseudo-terminal (tmux), as a person at a terminal sees it: the confirmation
 * question stays on the screen with what the plan does, costs and affects (no spinner draws over
 * it); Ctrl-C at the question stops before anything ran; a closed pipe ends without a word on the
 * terminal; a terminal nobody gave a size gets no spinner and no cursor codes.
 */
import { spawnSync } from 'node:child_process'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BIN, clawops } from '../support/cli.js'
import { tempHome } from '../support/context.js'
import { hasTmux, Tmux } from '../support/tmux.js'

/** The escape character every cursor code starts with. */
const ESC = String.fromCharCode(27)

let home: string
let term: Tmux

beforeAll(() => {
  home = tempHome()
  expect(
    clawops(['lab', 'seed', '--pairs', '30', '--seed', '5', '--json'], { CLAWOPS_HOME: home }).code,
  ).toBe(0)
})

if (!hasTmux && !process.env.CI)
  process.stderr.write('terminal tests not run: tmux missing (apt-get install tmux)\n')

describe.runIf(hasTmux || process.env.CI)('in a terminal (tmux)', () => {
  beforeAll(() => {
    expect(hasTmux, 'tmux is missing: apt-get install tmux').toBe(true)
    term = new Tmux({
      CLAWOPS_HOME: home,
      CLAWOPS_LOG: 'off',
      NO_COLOR: '1',
      // Plans check that the providers' credentials and the gateway token are there (never used here:
      // every run below stops at its question).
      HCLOUD_TOKEN: 'x',
      VULTR_API_KEY: 'x',
      DIGITALOCEAN_ACCESS_TOKEN: 'x',
      CONTABO_CLIENT_ID: 'x',
      CONTABO_CLIENT_SECRET: 'x',
      CONTABO_API_USER: 'x',
      CONTABO_API_PASSWORD: 'x',
      HOSTINGER_API_TOKEN: 'x',
      OPENCLAW_GATEWAY_TOKEN: 'x',
      BIN,
      // The project's Node 24, as `npm test` runs it.
      PATH: `${process.execPath.replace(/\/node$/, '')}:${process.env.PATH}`,
    })
  })
  afterAll(() => term?.close())

  it('keeps the confirmation question on screen with counts, users and the monthly cost', async () => {
    term.begin()
    term.run('node "$BIN" teardown -l role=standby; echo "exit=$?"')
    await term.waitFor(/Proceed\? \[y\/N\]/)
    // Time for a spinner to have drawn over it, if one were running.
    await new Promise((r) => setTimeout(r, 2500))
    const screen = term.screen()
    expect(screen).toMatch(/^Plan: tear down 30 instances of 30 pairs/m)
    expect(screen).toMatch(/30 targets · 30 steps · 30 users affected · -\$[\d,.]+\/month/)
    expect(screen).toMatch(/! the plan affects 30 users \(more than 10\)/)
    expect(screen).toMatch(/^Proceed\? \[y\/N\]\s*$/m)
    expect(screen).not.toMatch(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/)
    term.run('n')
    const after = await term.waitFor(/exit=\d+/)
    expect(after).toMatch(/CONFIRMATION_REQUIRED/)
    expect(after).toMatch(/exit=8/)
  })

  it('stops at Ctrl-C on the question, before anything ran', async () => {
    term.begin()
    term.run('node "$BIN" restart -l role=primary; echo "exit=$?"')
    await term.waitFor(/Proceed\? \[y\/N\]/)
    term.keys('C-c')
    const s = await term.waitFor(/exit=\d+/)
    expect(s).toMatch(/INTERRUPTED.*nothing was done/)
    expect(s).toMatch(/exit=130/)
    const ops = clawops(['ops', 'list', '--json'], { CLAWOPS_HOME: home }).json as { data: { total: number } }
    expect(ops.data.total).toBe(0)
  })

  it('ends quietly when the reader of its output goes away', async () => {
    term.begin()
    term.run(`node "$BIN" --help | head -2; echo "help=\${PIPESTATUS[0]}"`)
    term.run(`node "$BIN" instance list --all --json | head -c 40; echo; echo "list=\${PIPESTATUS[0]}"`)
    const s = await term.waitFor(/list=\d+/)
    expect(s).toMatch(/help=0/)
    expect(s).toMatch(/list=0/)
    expect(s).not.toMatch(/Warning|EPIPE|top-level await|Error/)
  })
})

describe('colours in a terminal', () => {
  const fleet = (extra: Record<string, string>) =>
    spawnSync(
      'script',
      ['-qfec', `stty cols 100 rows 30; "${process.execPath}" "${BIN}" fleet status`, '/dev/null'],
      {
        encoding: 'utf8',
        input: '',
        env: {
          ...process.env,
          NO_COLOR: undefined,
          FORCE_COLOR: undefined,
          // A human's terminal: supports-color turns colours off wherever CI is set.
          CI: undefined,
          CLAWOPS_HOME: home,
          CLAWOPS_LOG: 'off',
          TERM: 'xterm-256color',
          ...extra,
        },
        timeout: 60_000,
      },
    )

  it('are drawn on a terminal, and not at all with NO_COLOR', () => {
    const coloured = fleet({})
    expect(coloured.status, coloured.stdout).toBe(0)
    expect(coloured.stdout).toContain(`${ESC}[32mACTIVE`)
    const plain = fleet({ NO_COLOR: '1' })
    expect(plain.status).toBe(0)
    expect(plain.stdout).toMatch(/ACTIVE/)
    expect(plain.stdout).not.toContain(ESC)
  })
})

describe('in a pseudo-terminal nobody gave a size (script, 0 columns)', () => {
  const run = (sized: boolean) =>
    spawnSync(
      'script',
      [
        '-qfec',
        `${sized ? 'stty cols 100 rows 30; ' : ''}"${process.execPath}" "${BIN}" silence add --provider vultr --for 1h --reason pty --yes`,
        '/dev/null',
      ],
      {
        encoding: 'utf8',
        input: '',
        env: { ...process.env, CLAWOPS_HOME: home, CLAWOPS_LOG: 'off', NO_COLOR: '1', TERM: 'xterm' },
        timeout: 60_000,
      },
    )

  it('draws no spinner and writes no cursor codes', () => {
    const r = run(false)
    expect(r.status, r.stdout).toBe(0)
    expect(r.stdout).toMatch(/Silence\s+sil-/)
    expect(r.stdout).not.toContain(ESC)
  })

  it('(the check sees them where a terminal has a size)', () => {
    const r = run(true)
    expect(r.status, r.stdout).toBe(0)
    expect(r.stdout).toContain(`${ESC}[?25l`)
  })
})
