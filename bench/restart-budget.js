// The cost of the restart budget (rule 5 across heals and restarts): it reads the journal on every
// heal plan and on every restart step a heal or a bulk restart runs.
//
//   node bench/restart-budget.js [--pairs 1000] [--history 20000] [--runs 200]
//
// esbuild bundles bench/restart-budget-driver.ts (the code in src/) into node_modules/.cache and runs
// it in a fresh process on a fresh store: `pairs` pairs and `history` finished heals (4 steps each)
// over the last 30 days. Medians of `runs` runs.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { build } from 'esbuild'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const { values } = parseArgs({
  options: {
    pairs: { type: 'string', default: '1000' },
    history: { type: 'string', default: '20000' },
    runs: { type: 'string', default: '200' },
  },
})
const outDir = join(root, 'node_modules', '.cache', 'clawops-bench')
const driver = join(outDir, 'restart-budget-driver.mjs')
await build({
  entryPoints: [join(root, 'bench/restart-budget-driver.ts')],
  outfile: driver,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node24',
  banner: {
    js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
  },
  logLevel: 'warning',
})
const home = mkdtempSync(join(tmpdir(), 'clawops-bench-budget-'))
try {
  const r = spawnSync(process.execPath, [driver, home, values.pairs, values.history, values.runs], {
    encoding: 'utf8',
    env: { ...process.env, CLAWOPS_LOG: 'off' },
  })
  if (r.status !== 0) throw new Error(`driver failed: ${r.stderr}`)
  const m = JSON.parse(r.stdout.trim().split('\n').pop())
  console.log(
    `restart budget on ${m.pairs} pairs and ${m.historySteps} journal steps (median of ${m.runs}): heal plan ${m.healPlanMs} ms, restart step re-check ${m.recheckMs} ms, plan of a restart of every primary ${m.bulkPlanMs} ms`,
  )
} finally {
  rmSync(home, { recursive: true, force: true })
}
