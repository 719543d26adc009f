// The store as an operator meets it from a shell: damaged files refused untouched, a backup and a
// restore through the built binary. All of it is about the SQLite file, so none of it runs on
// PostgreSQL, which has no file: its refusals are in test/unit/store/postgres.test.ts, and its
// `store backup` / `store restore` refusal (ENGINE_UNSUPPORTED: the server's own tools back it up) in
// test/cli/store-engines.test.ts.
import { createHash } from 'node:crypto'
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { ERROR_CODES } from '../../src/lib/errors.js'
import { clawops } from '../support/cli.js'
import { tempHome } from '../support/context.js'
import { onPostgres } from '../support/store-engine.js'

// biome-ignore lint/suspicious/noExplicitAny: JSON from the CLI, checked by the assertions
type Json = any
const digest = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex')
let seeded: Buffer

beforeAll(() => {
  if (onPostgres()) return
  const h = tempHome()
  expect(clawops(['lab', 'seed', '--pairs', '12', '--json'], { CLAWOPS_HOME: h }).code).toBe(0)
  seeded = readFileSync(join(h, 'fleet.db'))
})

describe.skipIf(onPostgres())('a damaged fleet.db', () => {
  it('is refused by every command, with the file left exactly as it was (empty, cut to 100 bytes, cut mid-file)', () => {
    for (const bytes of [Buffer.alloc(0), seeded.subarray(0, 100), seeded.subarray(0, 3 * 4096 + 7)]) {
      const h = tempHome()
      writeFileSync(join(h, 'fleet.db'), bytes)
      for (const args of [
        ['fleet', 'status'],
        ['instance', 'list'],
        ['audit', 'verify'],
        ['store', 'backup'],
      ]) {
        const r = clawops([...args, '--json'], { CLAWOPS_HOME: h })
        expect(r.code, `${args.join(' ')} on ${bytes.length} bytes`).toBe(ERROR_CODES.STORE_CORRUPT.exit)
        expect((r.json as Json).error.hint).toMatch(/store restore/)
      }
      expect(readFileSync(join(h, 'fleet.db')).equals(bytes)).toBe(true)
      expect(readdirSync(h).sort()).toEqual(['fleet.db'])
    }
  })

  it('gives clear errors for a fleet.db that is a directory and a CLAWOPS_HOME that is a file', () => {
    const h = tempHome()
    mkdirSync(join(h, 'fleet.db'))
    const dir = clawops(['fleet', 'status', '--json'], { CLAWOPS_HOME: h })
    expect(dir.code).toBe(ERROR_CODES.STORE_CORRUPT.exit)
    expect((dir.json as Json).error.message).toMatch(/is a directory/)
    const file = join(tempHome(), 'home-file')
    writeFileSync(file, '')
    for (const home of [file, join(file, 'below')]) {
      const r = clawops(['fleet', 'status', '--json'], { CLAWOPS_HOME: home })
      expect(r.code).toBe(ERROR_CODES.CONFIG_INVALID.exit)
      expect((r.json as Json).error.message).toMatch(/is not a directory/)
    }
  })
})

describe.skipIf(onPostgres())('store backup and restore', () => {
  it('backs up, restores over a damaged store (kept aside), and only for the operator', () => {
    const h = tempHome()
    writeFileSync(join(h, 'fleet.db'), seeded)
    const b = clawops(['store', 'backup', '--json'], { CLAWOPS_HOME: h })
    expect(b.code, b.stdout).toBe(0)
    const backup = (b.json as Json).data
    expect(backup).toMatchObject({ check: { kind: 'quick_check', ok: true }, pruned: [] })
    expect(digest(backup.path)).toBe(backup.sha256)

    writeFileSync(join(h, 'fleet.db'), seeded.subarray(0, 100))
    expect(clawops(['fleet', 'status', '--json'], { CLAWOPS_HOME: h }).code).toBe(
      ERROR_CODES.STORE_CORRUPT.exit,
    )
    const agent = clawops(['store', 'restore', backup.path, '--yes', '--as', 'commander', '--json'], {
      CLAWOPS_HOME: h,
    })
    expect(agent.code).toBe(ERROR_CODES.POLICY_DENIED.exit)
    const noYes = clawops(['store', 'restore', backup.path, '--json'], { CLAWOPS_HOME: h })
    expect(noYes.code).toBe(ERROR_CODES.CONFIRMATION_REQUIRED.exit)

    const r = clawops(['store', 'restore', backup.path, '--yes', '--json'], { CLAWOPS_HOME: h })
    expect(r.code, r.stdout).toBe(0)
    const restored = (r.json as Json).data
    expect(restored).toMatchObject({ pairs: 12, check: { kind: 'integrity_check' } })
    expect(readFileSync(restored.replacedBy)).toHaveLength(100)
    const status = clawops(['fleet', 'status', '--json'], { CLAWOPS_HOME: h })
    expect((status.json as Json).data.pairs).toBe(12)
    const verify = clawops(['audit', 'verify', '--json'], { CLAWOPS_HOME: h })
    expect((verify.json as Json).data).toMatchObject({
      ok: true,
      integrity: { ok: true, check: 'integrity_check' },
    })
    const log = clawops(['audit', 'log', '--action', 'store', '--json'], { CLAWOPS_HOME: h })
    expect((log.json as Json).data.entries.map((e: Json) => e.action)).toEqual(['store.restore'])
  })
})
