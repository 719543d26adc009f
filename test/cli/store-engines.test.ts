/**
 * `store copy` and `store migrate` end to end, through the built binary. In the `cli` project the
 * target is a new SQLite file; in `cli-pg` a SQLite fleet moves to PostgreSQL, and a PostgreSQL fleet
 * back to a SQLite file (the verified copy the backup refusal points to); there the --help examples
 * that name a PostgreSQL server run as written, on the run's server.
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { SCHEMA_VERSION } from '../../src/lib/store/migrations.js'
import { clawops } from '../support/cli.js'
import { tempHome } from '../support/context.js'
import { allExamples, EXAMPLE_POSTGRES_URL, substitute, substituteEnv } from '../support/examples.js'
import { freshSchemaUrl, onPostgres, sqliteHome, storeEnv } from '../support/store-engine.js'

// biome-ignore lint/suspicious/noExplicitAny: JSON envelopes read in assertions
type Json = any

/** Copies the fleet of `from` to `to` (a URL or a new file) and checks clawops runs on it unchanged. */
function copyAndCheck(from: Record<string, string>, to: string): void {
  const before = clawops(['fleet', 'status', '--json'], from)
  expect(before.code).toBe(0)
  const trailBefore = clawops(['audit', 'verify', '--json'], from).json as Json
  const copy = clawops(['store', 'copy', '--to', to, '--json'], from)
  expect(copy.code, copy.stdout + copy.stderr).toBe(0)
  const data = (copy.json as Json).data
  expect(data.to.engine).toBe(to.startsWith('postgres') ? 'postgres' : 'sqlite')
  expect(data.schemaVersion).toBe(SCHEMA_VERSION)
  expect(data.audit.ok).toBe(true)
  expect(data.tables.find((t: Json) => t.name === 'instances').rows).toBeGreaterThanOrEqual(60)

  const target = to.startsWith('postgres')
    ? { CLAWOPS_HOME: tempHome(), CLAWOPS_DATABASE_URL: to }
    : sqliteHome(join(to, '..'))
  const after = clawops(['fleet', 'status', '--json'], target)
  expect(after.code).toBe(0)
  const was = (before.json as Json).data
  const now = (after.json as Json).data
  for (const k of ['pairs', 'instances', 'byState', 'byProvider', 'byRegion', 'byTier', 'monthlyCost']) {
    expect(now[k]).toEqual(was[k])
  }
  // Every entry and link of the trail, plus the copy's own entry on the target.
  const verified = clawops(['audit', 'verify', '--json'], target)
  expect(verified.code).toBe(0)
  expect((verified.json as Json).data.entries).toBe(trailBefore.data.entries + 1)
  const migrate = clawops(['store', 'migrate', '--json'], target)
  expect((migrate.json as Json).data).toMatchObject({
    engine: data.to.engine,
    schemaVersion: SCHEMA_VERSION,
    applied: [],
  })
  // A target that holds a fleet is never written over.
  const again = clawops(['store', 'copy', '--to', to, '--json'], from)
  expect((again.json as Json).error.code).toBe('CONFLICT')
  expect((clawops(['audit', 'verify', '--json'], target).json as Json).data.entries).toBe(
    trailBefore.data.entries + 1,
  )
}

describe('store copy and store migrate', () => {
  it('moves a SQLite fleet without loss, verified on the target, which clawops then runs on', () => {
    const env = sqliteHome(tempHome())
    expect(clawops(['lab', 'seed', '--pairs', '30', '--seed', '4', '--json'], env).code).toBe(0)
    copyAndCheck(env, onPostgres() ? freshSchemaUrl() : join(tempHome(), 'fleet.db'))
  })

  it.runIf(onPostgres())(
    'moves a PostgreSQL fleet to a SQLite file; backup and restore are refused there with ENGINE_UNSUPPORTED',
    () => {
      const home = tempHome()
      const env = { CLAWOPS_HOME: home, ...storeEnv(home) }
      expect(clawops(['lab', 'seed', '--pairs', '30', '--seed', '4', '--json'], env).code).toBe(0)
      copyAndCheck(env, join(tempHome(), 'fleet.db'))
      for (const argv of [
        ['store', 'backup', '--json'],
        ['store', 'restore', join(home, 'backups', 'fleet-x.db'), '--yes', '--json'],
      ]) {
        const r = clawops(argv, env)
        expect(r.code).toBe(17)
        expect((r.json as Json).error.code).toBe('ENGINE_UNSUPPORTED')
        expect((r.json as Json).error.hint).toMatch(/store copy --to/)
      }
    },
  )
})

// The examples' server (postgresql://clawops@db.internal/fleet) is the run's, in a new schema each.
describe.runIf(onPostgres())('the --help examples that name a PostgreSQL server', () => {
  const examples = allExamples().filter((e) => e.mode === 'postgres')
  const run = (line: string, home: string, ids: Record<string, string>) => {
    const e = examples.find((x) => x.line === line)
    expect(e, `${line}: no longer an example (examples.ts)`).toBeDefined()
    // The home is a SQLite one (the examples' source); an example's own environment may name the server.
    const r = clawops(substitute(e!.argv, ids, home), {
      ...sqliteHome(home),
      ...substituteEnv(e!.env, ids, home),
    })
    expect(r.code, `${line}\n${r.stdout}${r.stderr}`).toBe(e!.exit)
    return r
  }

  it(`store copy --to ${EXAMPLE_POSTGRES_URL}: the whole fleet, verified on the server`, () => {
    const home = tempHome()
    const seeded = clawops(['lab', 'seed', '--pairs', '10', '--seed', '4', '--json'], sqliteHome(home))
    expect(seeded.code).toBe(0)
    const ids = { postgres: freshSchemaUrl() }
    const r = run(`clawops store copy --to ${EXAMPLE_POSTGRES_URL}`, home, ids)
    const copied =
      /Copied \d+ rows from sqlite .* to postgres .*; audit trail verified there \((\d+) entries\)/.exec(
        r.stdout,
      )
    expect(copied, r.stdout).toBeTruthy()
    // clawops pointed at the server runs the same fleet; its trail holds there, the copy's own entry
    // after the ones copied.
    const there = { CLAWOPS_HOME: tempHome(), CLAWOPS_DATABASE_URL: ids.postgres }
    const status = (env: Record<string, string>) =>
      (clawops(['fleet', 'status', '--json'], env).json as Json).data
    const was = status(sqliteHome(home))
    const now = status(there)
    for (const k of ['pairs', 'instances', 'byState', 'byProvider', 'byRegion', 'monthlyCost'])
      expect(now[k], k).toEqual(was[k])
    expect(now.pairs).toBe(10)
    expect((clawops(['audit', 'verify', '--json'], there).json as Json).data).toMatchObject({
      ok: true,
      entries: Number(copied![1]) + 1,
    })
  })

  it('CLAWOPS_DATABASE_URL=… store migrate --json: a new team store, every migration applied', () => {
    const home = tempHome()
    const ids = { postgres: freshSchemaUrl() }
    const line = `CLAWOPS_DATABASE_URL=${EXAMPLE_POSTGRES_URL} clawops store migrate --json`
    const data = (run(line, home, ids).json as Json).data
    expect(data).toMatchObject({ engine: 'postgres', schemaVersion: SCHEMA_VERSION })
    expect(data.applied).toEqual(Array.from({ length: SCHEMA_VERSION }, (_, i) => i + 1))
    // The password-less URL of the server, never the home's SQLite file.
    expect(data.location).toMatch(/^postgres(ql)?:\/\//)
    expect(run(line, home, ids).json).toMatchObject({ ok: true, data: { applied: [] } })
  })
})

describe('operators as identities on one shared store', () => {
  // Two machines: two homes, each its own operator (one named by CLAWOPS_OPERATOR, one by the
  // config's operator.name), both on one PostgreSQL database.
  it.runIf(onPostgres())('names who acted, and audit log --actor finds them from either machine', () => {
    const url = freshSchemaUrl()
    const homeB = tempHome()
    writeFileSync(join(homeB, 'config.json'), JSON.stringify({ operator: { name: 'bob@host-b' } }))
    const a = { CLAWOPS_HOME: tempHome(), CLAWOPS_DATABASE_URL: url, CLAWOPS_OPERATOR: 'ada@host-a' }
    const b = { CLAWOPS_HOME: homeB, CLAWOPS_DATABASE_URL: url }
    const silence = (env: Record<string, string>, reason: string) =>
      clawops(['silence', 'add', '--provider', 'hetzner', '--for', '30m', '--reason', reason, '--json'], env)
    expect(silence(a, 'from a').code).toBe(0)
    expect(silence(b, 'from b').code).toBe(0)
    const log = (env: Record<string, string>, actor: string) =>
      (clawops(['audit', 'log', '--actor', actor, '--json'], env).json as Json).data.entries as Json[]
    // Each machine sees what the other did, under the other's name; the role matches both.
    const ada = log(b, 'ada@host-a')
    const bob = log(a, 'bob@host-b')
    expect(ada.length).toBeGreaterThan(0)
    expect(bob.length).toBeGreaterThan(0)
    expect(ada.every((e) => e.actor === 'operator' && e.identity === 'ada@host-a')).toBe(true)
    expect(bob.every((e) => e.actor === 'operator' && e.identity === 'bob@host-b')).toBe(true)
    expect(new Set(log(b, 'operator').map((e) => e.identity))).toEqual(new Set(['ada@host-a', 'bob@host-b']))
    // The identities are in the hash chain, and the chain holds.
    expect((clawops(['audit', 'verify', '--json'], a).json as Json).data.ok).toBe(true)
    const ops = (clawops(['ops', 'list', '--json'], b).json as Json).data.operations as Json[]
    expect(ops.map((o) => o.identity).sort()).toEqual(['ada@host-a', 'bob@host-b'])
  })
})
