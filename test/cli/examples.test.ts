/**
 * Every example in `--help` runs as written: each one parses against its command's own definition,
 * and the ones that need no gateway run against a lab-seeded home (ids from the home put in place of
 * the examples' placeholders). The examples that need the gateway or the cloud, those that change the
 * fleet included, run in test/integration/lab/examples.test.ts; `brief --deliver` in
 * test/integration/brief/delivery.test.ts; the PostgreSQL ones in test/cli/store-engines.test.ts
 * (cli-pg). Any that could not run here would be listed with the reason they only parse.
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { type Interfaces, Parser } from '@oclif/core'
import { beforeAll, describe, expect, it } from 'vitest'
import { clawops } from '../support/cli.js'
import { tempHome } from '../support/context.js'
import { allExamples, CHANGES, type Example, PARSE_ONLY, ROOT, substitute } from '../support/examples.js'
import { onPostgres, sqliteHome } from '../support/store-engine.js'

const examples = allExamples()

interface Loadable {
  flags: Interfaces.FlagInput
  baseFlags?: Interfaces.FlagInput
  args: Interfaces.ArgInput
  strict?: boolean
  enableJsonFlag?: boolean
}

let config: Promise<import('@oclif/core').Config> | undefined

async function commandClass(id: string): Promise<Loadable> {
  const { Config } = await import('@oclif/core')
  config ??= Config.load(ROOT)
  const cmd = (await config).findCommand(id)
  if (!cmd) throw new Error(`no command ${id}`)
  return (await cmd.load()) as unknown as Loadable
}

describe('the --help examples', () => {
  it('cover every command, and each says how it is tried', () => {
    expect(examples.length).toBeGreaterThan(100)
    const modes = Object.groupBy(examples, (e) => e.mode)
    expect(modes.offline?.length).toBeGreaterThan(40)
    expect(modes.live?.length).toBeGreaterThan(10)
    // Only what cannot run here is left to parse, each with its reason: a new example that changes
    // the fleet fails here until it is in CHANGES (or, with the reason, in PARSE_ONLY).
    for (const e of modes.parse ?? []) expect(PARSE_ONLY[e.line], `${e.line}: ${e.why}`).toBeTruthy()
    // The ones run elsewhere: every --deliver example by the brief delivery test, the PostgreSQL
    // ones by store-engines in the cli-pg project.
    expect(modes.deliver?.every((e) => e.argv.includes('--deliver'))).toBe(true)
    expect(modes.postgres?.length).toBe(2)
    // Every example the tables name is one of today's examples (an edited example is not dropped).
    const lines = new Set(examples.map((e) => e.line))
    for (const line of [...CHANGES.map((c) => c.line), ...Object.keys(PARSE_ONLY)])
      expect(lines).toContain(line)
  })

  it('the parse check itself refuses an unknown flag, a missing argument and a bad value', async () => {
    const c = await commandClass('instance:show')
    await expect(Parser.parse([], { flags: c.flags, args: c.args, strict: true })).rejects.toThrow(/required/)
    const l = await commandClass('instance:list')
    await expect(
      Parser.parse(['--colour', 'red'], { flags: l.flags, args: l.args, strict: true }),
    ).rejects.toThrow()
    await expect(
      Parser.parse(['--tier', 'huge'], { flags: l.flags, args: l.args, strict: true }),
    ).rejects.toThrow()
  })

  it.each(examples.map((e) => [e.line, e] as const))('parses: %s', async (_line, e: Example) => {
    const c = await commandClass(e.id)
    const words = e.id.split(':').length
    const argv = e.argv.slice(words)
    const { Flags } = await import('@oclif/core')
    await expect(
      Parser.parse(argv, {
        flags: { ...c.baseFlags, ...c.flags, ...(c.enableJsonFlag ? { json: Flags.boolean() } : {}) },
        args: c.args,
        strict: c.strict ?? true,
      }),
    ).resolves.toBeTruthy()
  })
})

describe('the examples that need no gateway, run against a lab-seeded home', () => {
  let home: string
  const copy = tempHome()
  const ids: Record<string, string> = {}
  const env = () => ({ CLAWOPS_HOME: home })

  beforeAll(() => {
    home = tempHome()
    const seeded = clawops(
      ['lab', 'seed', '--pairs', '30', '--seed', '5', '--history-days', '14', '--briefing-events', '--json'],
      env(),
    )
    expect(seeded.code, seeded.stderr).toBe(0)
    const data = (args: string[]) => (clawops([...args, '--json'], env()).json as { data: never }).data
    const inst = (
      data(['instance', 'list', '--role', 'primary', '--state', 'ACTIVE']) as {
        instances: { id: string; pairId: string; userId: string }[]
      }
    ).instances[0]!
    ids.i = inst.id
    ids.p = inst.pairId
    ids.user = inst.userId
    ids.inc = (data(['incident', 'list']) as { incidents: { id: string }[] }).incidents[0]!.id
    ids.rq = (data(['reprovision', 'list']) as { items: { id: string }[] }).items[0]!.id
  }, 120_000)

  // Silences first (they journal an operation the ops examples read); routing changes before the
  // routing versions are read; the store's own examples last: a backup, a copy, then a restore of
  // that backup.
  const order = ['silence:add', 'provider:routing:set', '', 'store:backup', 'store:copy', 'store:restore']
  const rank = (e: Example) => (order.indexOf(e.id) + 1 || 3) as number
  // `store backup` and `store restore` are the SQLite file's (on PostgreSQL they answer
  // ENGINE_UNSUPPORTED, proven in store-engines.test.ts): their examples run on the SQLite project.
  const sqliteOnly = (e: Example) => onPostgres() && (e.id === 'store:backup' || e.id === 'store:restore')
  const offline = examples
    .filter((e) => e.mode === 'offline' && !sqliteOnly(e))
    .sort((a, b) => rank(a) - rank(b))

  it.each(offline.map((e) => [e.line, e] as const))('%s', (_line, e: Example) => {
    // lab seed examples fill a home of their own (a seed replaces nothing unless --replace).
    const where = e.id === 'lab:seed' ? { CLAWOPS_HOME: tempHome() } : env()
    if (e.id === 'silence:remove') {
      clawops(['silence', 'add', '--provider', 'vultr', '--for', '1h', '--reason', 'example'], env())
      const list = clawops(['silence', 'list', '--json'], env()).json as {
        data: { silences: { id: string }[] }
      }
      ids.sil = list.data.silences.at(-1)!.id
    }
    // The gateway config file the --file examples name (~/.openclaw/openclaw.json), a new gateway's.
    if (e.argv.includes('--file')) {
      mkdirSync(join(home, '.openclaw'), { recursive: true })
      if (!existsSync(join(home, '.openclaw', 'openclaw.json')))
        writeFileSync(join(home, '.openclaw', 'openclaw.json'), '{}\n')
    }
    // The target the --to-file example reads (a new SQLite file; a postgres:// URL works the same).
    if (e.id === 'store:copy')
      writeFileSync(join(home, 'database-url'), join(copy, 'fleet.db'), { mode: 0o600 })
    const r = clawops(substitute(e.argv, ids, home), where)
    expect(r.code, `${e.line}\n${r.stderr}`).toBe(e.exit)
    if (e.argv.includes('--json')) expect(r.json, r.stdout.slice(0, 300)).toMatchObject({ ok: e.exit === 0 })
    if (e.id === 'silence:add') {
      const list = clawops(['silence', 'list', '--json'], env()).json as {
        data: { silences: { id: string }[] }
      }
      ids.sil = list.data.silences[0]!.id
      const ops = clawops(['ops', 'list', '--json'], env()).json as { data: { operations: { id: string }[] } }
      ids.op = ops.data.operations[0]!.id
    }
    if (e.id === 'store:backup' && !e.argv.includes('--to'))
      ids.backup = readdirSync(join(home, 'backups'))[0]!
    if (e.id === 'store:backup' && e.argv.includes('--to'))
      expect(existsSync(join(home, 'clawops-fleet.db'))).toBe(true)
    if (e.id === 'store:copy') {
      const list = (where: Record<string, string>) => clawops(['instance', 'list', '--json'], where).json
      expect(list(sqliteHome(copy))).toEqual(list(env()))
    }
    if (e.id === 'store:restore')
      expect(readdirSync(home).some((f) => f.startsWith('fleet.db.replaced-'))).toBe(true)
  })
})
