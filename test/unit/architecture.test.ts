/**
 * Architecture rules the code base keeps, checked on every run.
 *
 * SQL lives in src/lib/store: one repository per table family, reached as ctx.store().repo(X). No
 * other file (src, bench, bin, clawnode, scripts) writes SQL, reaches the store's `db` handle, or
 * opens SQLite itself. There is no exception: the lab cloud (src/lib/lab/cloud) keeps its emulated
 * providers' state in a JSON file of its own and never touches the fleet store, and the benches
 * measure through the repositories.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { type Import, importsOf, libImports, upwardImports, valueCycles } from '../support/layers.js'
import { scanSource, sqlOutsideStore } from '../support/sql-outside-store.js'

const root = join(import.meta.dirname, '..', '..')

describe('SQL lives in src/lib/store', () => {
  // Parsing the candidate files takes a few seconds on a loaded machine.
  it('no file outside src/lib/store writes SQL or reaches the database handle', { timeout: 60_000 }, () => {
    const { scanned, findings } = sqlOutsideStore(root)
    expect(scanned).toBeGreaterThan(300)
    // Each entry names the file and line: move that statement into a repository method.
    expect(findings.map((f) => `${f.file}:${f.line}: ${f.reason}`)).toEqual([])
  })

  it('the check finds each kind of violation, with its line, and nothing in look-alikes', () => {
    const planted = [
      "import { DatabaseSync } from 'node:sqlite'",
      "import { cached } from '../store/statement-cache.js'",
      'const rows = ctx.store().db.prepare(q).all()',
      'const { db } = store',
      "const n = store['db']",
      "run('SELECT id FROM instances WHERE node_id = ?')",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: source text with a template literal in it
      'run(`UPDATE plans SET status = ${s} WHERE id = ?`)',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: source text with a template literal in it
      'run(`SELECT ${cols}',
      '  FROM pairs`)',
      'x.exec("INSERT INTO archives (id) VALUES (?)")',
      "const m = await import('node:sqlite')",
      // Look-alikes that are not database access:
      "const file = join(home, 'fleet.db')",
      'const m = /(\\d+) MB/.exec(text)',
      'await this.prepare()',
      "say('select a region from the list, then update the set of pairs')",
      'const dbPath = opts.dbFile',
    ].join('\n')
    expect(scanSource('planted.ts', planted).map((f) => `${f.line}: ${f.reason}`)).toEqual([
      '1: imports node:sqlite',
      '2: imports ../store/statement-cache.js',
      '3: reaches the database handle: ctx.store().db',
      '4: destructures the database handle: { db }',
      "5: reaches the database handle: store['db']",
      '6: SQL in a string: SELECT id FROM instances WHERE node_id = ?',
      '7: SQL in a template: UPDATE plans SET status = ? WHERE id = ?',
      '8: SQL in a template: SELECT ? FROM pairs',
      '10: SQL in a string: INSERT INTO archives (id) VALUES (?)',
      '11: imports node:sqlite',
    ])
  })

  it('the lab cloud keeps its own state and imports nothing of the fleet store or the Context', () => {
    const dir = join(root, 'src/lib/lab/cloud')
    const imports = readdirSync(dir)
      .filter((f) => f.endsWith('.ts'))
      .flatMap((f) =>
        [...readFileSync(join(dir, f), 'utf8').matchAll(/\bfrom\s+'([^']+)'|import\(\s*'([^']+)'/g)].map(
          (m) => `${f}: ${m[1] ?? m[2]}`,
        ),
      )
    expect(imports.length).toBeGreaterThan(20)
    expect(imports.filter((i) => /\/store\/|\/context\.js$/.test(i))).toEqual([])
  })
})

describe('layers point one way', () => {
  const imports = libImports(join(root, 'src', 'lib'))

  it('no file of src/lib imports a layer above its own, and no code import closes a cycle', () => {
    expect(imports.length).toBeGreaterThan(500)
    expect(upwardImports(imports)).toEqual([])
    expect(valueCycles(imports).map((c) => c.join(' -> '))).toEqual([])
  })

  it('the check finds an upward import and a cycle, and ignores type-only ones', () => {
    expect(importsOf("import type { A } from '../engine/types.js'\nimport { b } from './b.js'")).toEqual([
      { spec: '../engine/types.js', typeOnly: true },
      { spec: './b.js', typeOnly: false },
    ])
    const planted: Import[] = [
      { from: 'output/x.ts', to: 'config-push/view.ts', typeOnly: true },
      { from: 'store/a.ts', to: 'store/b.ts', typeOnly: false },
      { from: 'store/b.ts', to: 'store/a.ts', typeOnly: false },
      { from: 'heal/a.ts', to: 'heal/b.ts', typeOnly: true },
      { from: 'heal/b.ts', to: 'heal/a.ts', typeOnly: false },
    ]
    expect(upwardImports(planted)).toEqual(['output/x.ts (layer 1) imports config-push/view.ts (layer 3)'])
    expect(valueCycles(planted)).toEqual([['store/a.ts', 'store/b.ts', 'store/a.ts']])
  })
})
