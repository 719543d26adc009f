// The fleet store on PostgreSQL vs SQLite, same run, same fleet (issue 19):
//
//   npm run build && node bench/store-engines.js [--pairs 10000] [--push-pairs 500] [--runs 5] [--json]
//
// Seeds one SQLite home with `clawops lab seed --pairs (PAIRS - PUSH_PAIRS)` plus PUSH_PAIRS ACTIVE
// pairs labelled bench=push (the targets of the config push; PAIRS in all), copies it to PostgreSQL
// with `clawops store copy --to` (timed: that is the move a team makes), then on each engine times
// `clawops fleet status --json` and `clawops cost report --json` (fresh CLI processes, RUNS each,
// alternating engines; the first run of each is shown apart: it computes the hourly glance rows), a
// rolling config push to the 2 × PUSH_PAIRS bench=push instances (in one process, real gf-clawnode
// config commands per instance, see the driver) and the cost of one statement. PostgreSQL is a
// throwaway cluster on this machine (scripts/postgres-cluster.js), or CLAWOPS_BENCH_DATABASE_URL.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { build } from 'esbuild'
import { startCluster, stopCluster } from '../scripts/postgres-cluster.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const { values } = parseArgs({
  options: {
    pairs: { type: 'string', default: '10000' },
    'push-pairs': { type: 'string', default: '500' },
    runs: { type: 'string', default: '5' },
    json: { type: 'boolean', default: false },
  },
})
const pairs = Number(values.pairs)
const pushPairs = Number(values['push-pairs'])
const runs = Number(values.runs)

const outDir = join(root, 'node_modules', '.cache', 'clawops-bench')
const driver = join(outDir, 'store-engines-driver.mjs')
await build({
  entryPoints: [join(root, 'bench/store-engines-driver.ts')],
  outfile: driver,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node24',
  external: ['pg', 'synckit'],
  banner: {
    js: "import { createRequire as __benchRequire } from 'node:module'; const require = __benchRequire(import.meta.url);",
  },
  logLevel: 'warning',
})

const bin = join(root, 'bin', 'clawops.js')
const median = (xs) => {
  const s = [...xs].sort((x, y) => x - y)
  return s[Math.floor(s.length / 2)]
}
function run(cmd, args, env = {}) {
  const t = performance.now()
  const r = spawnSync(cmd, args, {
    encoding: 'utf8',
    maxBuffer: 256 * 2 ** 20,
    env: { ...process.env, CLAWOPS_LOG: 'off', NO_COLOR: '1', ...env },
  })
  const ms = performance.now() - t
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed (${r.status}): ${r.stderr || r.stdout}`)
  return { ms, stdout: r.stdout }
}
const clawops = (args, env) => run(process.execPath, [bin, ...args], env)
const drive = (args) =>
  JSON.parse(
    run(process.execPath, [driver, ...args])
      .stdout.trim()
      .split('\n')
      .pop(),
  )

let cluster
let server = process.env.CLAWOPS_BENCH_DATABASE_URL
if (!server) {
  cluster = await startCluster()
  server = cluster.url
}
const home = mkdtempSync(join(tmpdir(), 'clawops-bench-engines-'))
const pgUrl = (() => {
  const u = new URL(server)
  u.pathname = `/clawops_bench_${process.pid}`
  return u.toString()
})()
const result = { pairs, pushInstances: 2 * pushPairs, runs }
try {
  const admin = new URL(server)
  run('psql', [
    admin.toString(),
    '-q',
    '-c',
    `CREATE DATABASE clawops_bench_${process.pid} TEMPLATE template0`,
  ])
  const env = {
    sqlite: { CLAWOPS_HOME: home },
    postgres: { CLAWOPS_HOME: home, CLAWOPS_DATABASE_URL: pgUrl },
  }

  result.seedMs = Math.round(
    clawops(['lab', 'seed', '--pairs', String(pairs - pushPairs), '--json'], env.sqlite).ms,
  )
  drive(['seed', home, String(pairs), String(pushPairs)])
  const copy = clawops(['store', 'copy', '--to', pgUrl, '--json'], env.sqlite)
  const copied = JSON.parse(copy.stdout).data
  result.copy = { ms: Math.round(copy.ms), rows: copied.rows, auditEntries: copied.audit.entries }

  for (const [name, args] of [
    ['fleetStatus', ['fleet', 'status', '--json']],
    ['costReport', ['cost', 'report', '--json']],
  ]) {
    result[name] = {}
    const times = { sqlite: [], postgres: [] }
    for (const e of ['sqlite', 'postgres'])
      result[name][e] = { firstMs: Math.round(clawops(args, env[e]).ms) }
    for (let i = 0; i < runs; i++) {
      for (const e of i % 2 ? ['postgres', 'sqlite'] : ['sqlite', 'postgres'])
        times[e].push(clawops(args, env[e]).ms)
    }
    for (const e of ['sqlite', 'postgres']) result[name][e].medianMs = Math.round(median(times[e]))
  }

  result.configPush = {
    sqlite: drive(['push', join(home, 'fleet.db'), home]),
    postgres: drive(['push', pgUrl, home]),
  }
  result.statements = {
    sqlite: drive(['statements', join(home, 'fleet.db'), '5000']),
    postgres: drive(['statements', pgUrl, '5000']),
  }
} finally {
  rmSync(home, { recursive: true, force: true })
  if (cluster) stopCluster(cluster.dir)
}

if (values.json) process.stdout.write(`${JSON.stringify(result)}\n`)
else {
  console.log(`store engines, ${result.pairs} pairs (seeded in ${result.seedMs} ms on SQLite)`)
  console.log(
    `  store copy SQLite → PostgreSQL: ${result.copy.ms} ms, ${result.copy.rows} rows, audit verified (${result.copy.auditEntries} entries)`,
  )
  for (const k of ['fleetStatus', 'costReport'])
    console.log(
      `  ${k}: SQLite first ${result[k].sqlite.firstMs} ms, median ${result[k].sqlite.medianMs} ms; PostgreSQL first ${result[k].postgres.firstMs} ms, median ${result[k].postgres.medianMs} ms`,
    )
  const p = result.configPush
  console.log(
    `  config push to ${p.sqlite.instances} instances: SQLite ${p.sqlite.ms} ms (CPU ${p.sqlite.cpuMs} ms), PostgreSQL ${p.postgres.ms} ms (CPU ${p.postgres.cpuMs} ms)`,
  )
  const s = result.statements
  console.log(
    `  one statement: read SQLite ${s.sqlite.readUs} µs / PostgreSQL ${s.postgres.readUs} µs; update ${s.sqlite.writeUs} / ${s.postgres.writeUs} µs; updates in one transaction ${s.sqlite.batchUs} / ${s.postgres.batchUs} µs per row`,
  )
}
