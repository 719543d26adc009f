/**
 * The CLI as a person new to it meets it, through the built binary: errors that say what to do (the
 * missing flag with an example, the accepted range, the nearest command or flag), lists that say how
 * many there are, a closed pipe that ends quietly, help and man pages that fit 80 columns and list
 * every command once.
 */
import { spawnSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { ERROR_CODES } from '../../src/lib/errors.js'
import { BIN, clawops, clawopsAsync } from '../support/cli.js'
import { tempHome } from '../support/context.js'

const root = join(import.meta.dirname, '..', '..')
let home: string
const env = () => ({ CLAWOPS_HOME: home })
const INVALID = ERROR_CODES.INVALID_INPUT.exit

beforeAll(() => {
  home = tempHome()
  expect(clawops(['lab', 'seed', '--pairs', '120', '--seed', '9', '--json'], env()).code).toBe(0)
})

/** Both modes: the JSON error body, and the human lines on stderr. */
function fails(args: string[]) {
  const j = clawops([...args, '--json'], env())
  const h = clawops(args, env())
  expect(j.code, j.stdout).toBe(INVALID)
  expect(h.code, h.stderr).toBe(INVALID)
  expect(h.stdout).toBe('')
  const error = (j.json as { error: { code: string; message: string; hint?: string; details?: unknown } })
    .error
  expect(error.code).toBe('INVALID_INPUT')
  expect(h.stderr).toContain(error.message)
  if (error.hint) expect(h.stderr).toContain(error.hint)
  return error
}

describe('errors that say what to do', () => {
  it('names every missing flag with the values it takes and a working example', () => {
    const e = fails(['provision'])
    expect(e.message).toBe('missing required flags --count <n>, --region eu|us|ap, --tier nano|standard|pro')
    expect(e.hint).toMatch(/^For example: clawops provision --count \d+ --tier \w+ --region \w+/)
    expect(e.details).toEqual({ missing: ['count', 'region', 'tier'] })
    expect(fails(['incident', 'exposure']).message).toMatch(/missing required flag --provider/)
    expect(fails(['silence', 'add']).message).toMatch(/--for .*--reason|--reason.*--for/)
    expect(fails(['lab', 'seed']).hint).toMatch(/clawops lab seed --pairs \d+/)
    expect(fails(['resize', 'p-x']).message).toMatch(/missing required flag --tier nano\|standard\|pro/)
  })

  it('names a missing argument with what it is', () => {
    const e = fails(['instance', 'show'])
    expect(e.message).toMatch(/missing argument for clawops instance show: <id>/)
    expect(e.hint).toMatch(/clawops instance show i-/)
  })

  it('gives the accepted range of a bad number', () => {
    expect(fails(['provision', '--count', '0', '--tier', 'nano', '--region', 'us']).message).toBe(
      '--count must be a whole number from 1 to 1,000 (got "0")',
    )
    expect(fails(['provision', '--count', 'abc']).message).toMatch(
      /--count must be a whole number .* \(got "abc"\)/,
    )
    expect(fails(['provider', 'health', '--days', '0']).message).toMatch(
      /--days must be a whole number from 1/,
    )
    expect(fails(['provision', '--count']).message).toMatch(/--count <n>: the value is missing/)
  })

  it('suggests the nearest command, flag and value', () => {
    const cmd = fails(['fleet', 'staus'])
    expect(cmd.message).toBe('unknown command "clawops fleet staus"')
    expect(cmd.hint).toMatch(/Did you mean clawops fleet status\?/)
    expect(cmd.details).toMatchObject({ suggestion: 'clawops fleet status' })
    expect(fails(['instanse', 'list']).hint).toMatch(/Did you mean clawops instance list\?/)
    expect(fails(['xyzzy']).hint).toMatch(/clawops --help/)
    expect(fails(['instance', 'list', '--stat', 'ACTIVE']).hint).toMatch(/Did you mean --state\?/)
    const value = fails(['provision', '--tier', 'NANO', '--count', '1', '--region', 'eu'])
    expect(value.message).toMatch(/--tier "NANO" is not one of: nano, standard, pro/)
    expect(value.hint).toBe('Did you mean --tier nano?')
  })

  it('names words after a command that takes none as unexpected arguments', () => {
    const e = fails(['fleet', 'status', 'extra-arg'])
    expect(e.message).toBe('unexpected argument "extra-arg": clawops fleet status takes no arguments')
  })

  it('says flags that exclude each other plainly', () => {
    expect(fails(['cost', 'waste', '--all', '--limit', '3']).message).toBe(
      '--limit cannot be used with --all',
    )
  })

  it('refuses a label value no instance can have, naming the accepted values', () => {
    const tier = fails(['instance', 'list', '-l', 'tier=huge'])
    expect(tier.message).toMatch(/no tier "huge".*tier is one of: nano, standard, pro/)
    const state = fails(['instance', 'list', '-l', 'state=FOO'])
    expect(state.message).toMatch(/state is one of: CREATING, BOOTSTRAPPING, ACTIVE/)
    expect(fails(['instance', 'list', '--region', 'mars1']).hint).toMatch(/--region nbg1/)
    expect(fails(['teardown', '-l', 'provider=aws', '--dry-run']).message).toMatch(/no provider "aws"/)
  })
})

describe('lists', () => {
  it('show 50 by default, say how many there are, and take --limit and --all', () => {
    const j = clawops(['instance', 'list', '--json'], env()).json as {
      data: { total: number; truncated: boolean; instances: unknown[] }
    }
    expect(j.data).toMatchObject({ total: 240, truncated: true })
    expect(j.data.instances).toHaveLength(50)
    const all = clawops(['instance', 'list', '--all', '--json'], env()).json as typeof j
    expect(all.data).toMatchObject({ total: 240, truncated: false })
    expect(all.data.instances).toHaveLength(240)
    const some = clawops(['instance', 'list', '--limit', '7', '--json'], env()).json as typeof j
    expect(some.data.instances).toHaveLength(7)
    // Piped: rows only on stdout, the footer on stderr.
    const piped = clawops(['instance', 'list'], env())
    expect(piped.stdout.trim().split('\n')).toHaveLength(51)
    expect(piped.stderr).toContain('showing 50 of 240 instances (use --limit N or --all)')
    const ops = clawops(['ops', 'list', '--json'], env()).json as {
      data: { total: number; truncated: boolean }
    }
    expect(ops.data).toMatchObject({ total: 0, truncated: false })
    const audit = clawops(['audit', 'log', '--limit', '1', '--json'], env()).json as {
      data: { total: number; truncated: boolean; entries: unknown[] }
    }
    expect(audit.data.entries).toHaveLength(1)
    expect(audit.data.total).toBeGreaterThanOrEqual(1)
    const incidents = clawops(['incident', 'list', '--json'], env()).json as { data: { total: number } }
    expect(incidents.data.total).toBe(0)
  })

  it('count what cost waste found beyond what it lists', () => {
    const r = clawops(['cost', 'waste', '--limit', '1', '--json'], env()).json as {
      data: { cheaperElsewhere: { count: number; truncated: boolean; items: unknown[] } }
    }
    const c = r.data.cheaperElsewhere
    expect(c.items.length).toBeLessThanOrEqual(1)
    expect(c.truncated).toBe(c.count > c.items.length)
    if (c.count > 1) {
      const h = clawops(['cost', 'waste', '--limit', '1'], env())
      expect(h.stderr).toContain(`showing 1 of ${c.count} findings`)
    }
  })

  it('fleet status counts by region too', () => {
    const h = clawops(['fleet', 'status'], env())
    expect(h.code).toBe(0)
    expect(h.stdout).toMatch(/^Region\t.*hetzner\/\w+ \d+/m)
  })
})

describe('progress', () => {
  it('is NDJSON only with --stream; without it JSON mode writes the one envelope', () => {
    // --yes: silencing a provider touches more than 10 users' events, which asks the operator.
    const args = ['silence', 'add', '--provider', 'vultr', '--for', '1h', '--reason', 'stream', '--yes']
    const plain = clawops([...args, '--json'], env())
    expect(plain.code).toBe(0)
    expect(plain.stdout.trim().split('\n')).toHaveLength(1)
    const streamed = clawops([...args, '--json', '--stream'], env())
    const lines = streamed.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
    expect(lines.length).toBeGreaterThan(1)
    expect(lines.slice(0, -1).every((l) => l.type === 'progress')).toBe(true)
    expect(lines.at(-1)).toMatchObject({ ok: true })
    // Human mode off a terminal: no spinner, nothing on stderr.
    expect(clawops(args, env()).stderr).toBe('')
  })
})

describe('a closed pipe', () => {
  it.each([
    ['--help | head -3', 'node "$BIN" --help | head -3'],
    ['a JSON list cut at 100 bytes', 'node "$BIN" instance list --all --json | head -c 100'],
    ['a table cut at one line', 'node "$BIN" instance list --all | head -1'],
  ])('%s: exits 0 with nothing on stderr', (_name, line) => {
    const r = spawnSync('bash', ['-c', `${line} >/dev/null; echo "\${PIPESTATUS[0]}" >&2`], {
      encoding: 'utf8',
      env: { ...process.env, BIN, CLAWOPS_HOME: home, CLAWOPS_LOG: 'off', NO_COLOR: '1' },
    })
    expect(r.stderr.trim()).toBe('0')
  })
})

describe('help and man pages', () => {
  const manifest = JSON.parse(readFileSync(join(root, 'oclif.manifest.json'), 'utf8')) as {
    commands: Record<string, { id: string; pluginName?: string; hidden?: boolean }>
    topics?: unknown
  }
  const ids = Object.values(manifest.commands)
    .filter((c) => c.pluginName === 'clawops' && !c.hidden)
    .map((c) => c.id)
  const width = (text: string) => Math.max(...text.split('\n').map((l) => [...l].length))

  it('lists each root command once and names every command of a topic in its text', () => {
    const rootHelp = clawops(['--help']).stdout
    for (const id of ids.filter((i) => !i.includes(':'))) {
      const listed = rootHelp.split('\n').filter((l) => new RegExp(`^  ${id}\\s`).test(l))
      expect(listed, id).toHaveLength(1)
    }
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
    const topics = pkg.oclif.topics as Record<
      string,
      { description: string; subtopics?: Record<string, { description: string }> }
    >
    const flat: [string, string][] = Object.entries(topics).flatMap(([name, t]) => [
      [name, t.description] as [string, string],
      ...Object.entries(t.subtopics ?? {}).map(
        ([sub, s]) => [`${name}:${sub}`, s.description] as [string, string],
      ),
    ])
    for (const [topic, text] of flat) {
      const children = ids
        .filter((i) => i.startsWith(`${topic}:`))
        .map((i) => i.slice(topic.length + 1).split(':')[0]!)
      expect(children.length, topic).toBeGreaterThan(0)
      for (const child of new Set(children))
        expect(text, `${topic} names ${child}`).toMatch(new RegExp(`\\b${child}\\b`))
    }
    // A topic of the root help that is really a command (oclif took provision for one) is gone.
    expect(rootHelp.split('\n').filter((l) => /^\s+provision\s/.test(l))).toHaveLength(1)
  })

  it('fits --help of every command, and the root help, in 80 columns', async () => {
    expect(width(clawops(['--help']).stdout)).toBeLessThanOrEqual(80)
    // Four at a time: each is a process that mostly waits on loading its modules.
    const queue = [...ids]
    const worker = async () => {
      for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
        const r = await clawopsAsync([...id.split(':'), '--help'])
        expect(r.code, id).toBe(0)
        expect(width(r.stdout), id).toBeLessThanOrEqual(80)
      }
    }
    await Promise.all([worker(), worker(), worker(), worker()])
  }, 300_000)

  const man = spawnSync('sh', ['-c', 'command -v man && command -v groff'], { encoding: 'utf8' }).status === 0
  if (!man && !process.env.CI)
    process.stderr.write('man page test not run: man missing (apt-get install man-db groff-base)\n')
  it.runIf(man || process.env.CI)(
    'renders every man page within 80 columns, without repeating "Repeatable"',
    () => {
      expect(man, 'man is missing: apt-get install man-db groff-base').toBe(true)
      const pages = readdirSync(join(root, 'man')).filter((f) => f.endsWith('.1'))
      expect(pages.length).toBeGreaterThan(50)
      for (const page of pages) {
        const r = spawnSync('man', ['-l', join(root, 'man', page)], {
          encoding: 'utf8',
          env: { ...process.env, MANWIDTH: '80', MANPAGER: 'cat', PAGER: 'cat' },
        })
        expect(r.status, page).toBe(0)
        expect(width(r.stdout), page).toBeLessThanOrEqual(80)
        expect(r.stdout, page).not.toMatch(/\(repeatable\)\. Repeatable/i)
      }
    },
    120_000,
  )
})
