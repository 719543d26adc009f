// Benchmark of `clawops config push` (issue 8): a rolling push to a real gf-clawnode swarm through a
// real OpenClaw gateway, batches of 50, instant validation on the nodes; clawops' orchestration
// overhead as a share of the total, and the wall time.
//
//   npm run build && node bench/config-push.js [--nodes 1000] [--batch 50] [--trials 3] [--ramp 8] [--json]
//
// esbuild bundles bench/config-push-driver.ts into node_modules/.cache; the driver starts the gateway,
// the swarm (one process, one identity and one openclaw.json per node), a stand-in user gateway for
// the health probes and the fleet store, then per trial times two fresh processes: the built
// `clawops config push` and a baseline that makes the same node calls in the same batches and nothing
// else (see the driver's header). Overhead = (push − baseline) / push, median over the trials.
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
    nodes: { type: 'string', default: '1000' },
    batch: { type: 'string', default: '50' },
    trials: { type: 'string', default: '3' },
    ramp: { type: 'string', default: '8' },
    json: { type: 'boolean', default: false },
  },
})

const outDir = join(root, 'node_modules', '.cache', 'clawops-bench')
const driver = join(outDir, 'config-push-driver.mjs')
await build({
  entryPoints: [join(root, 'bench/config-push-driver.ts')],
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

const dir = mkdtempSync(join(tmpdir(), 'clawops-bench-push-'))
let result
try {
  const r = spawnSync(
    process.execPath,
    [driver, 'run', dir, values.nodes, values.batch, values.trials, values.ramp],
    {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 64 * 2 ** 20,
      env: { ...process.env, CLAWOPS_LOG: 'off' },
    },
  )
  if (r.status !== 0) throw new Error(`driver failed with ${r.status}`)
  result = JSON.parse(r.stdout.trim().split('\n').pop())
} finally {
  rmSync(dir, { recursive: true, force: true })
}
if (values.json) process.stdout.write(`${JSON.stringify(result)}\n`)
else {
  const pct = (x) => `${(100 * x).toFixed(1)} %`
  console.log(
    `config push to ${result.nodes} of ${result.swarmNodes} swarm nodes, batches of ${result.batchSize} (${result.batches} batches):`,
  )
  for (const t of result.trials)
    console.log(
      `  trial ${t.trial}: clawops ${t.pushMs} ms (CPU ${t.pushCpuMs ?? '?'} ms, ${t.applied} applied), baseline ${t.baselineMs} ms`,
    )
  console.log(
    `  median wall: clawops ${result.median.pushMs} ms, baseline ${result.median.baselineMs} ms; orchestration overhead ${pct(result.overheadShare.median)} (min ${pct(result.overheadShare.min)}, max ${pct(result.overheadShare.max)}; target ≤ 5 %)`,
  )
  if (result.cpuShare !== null)
    console.log(`  clawops CPU / wall: ${pct(result.cpuShare)} (median; an upper bound of its overhead)`)
  console.log(`  gateway RSS after: ${result.gatewayRssMb} MB`)
  for (const s of result.sweeps)
    console.log(
      `  vps.health sweep of ${s.nodes} nodes at concurrency ${s.concurrency}: ${s.ms.join(', ')} ms (${s.failed} failed)`,
    )
}
