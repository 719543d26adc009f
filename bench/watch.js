// Benchmarks of `clawops watch` that need no gateway (issue 6): a full cycle and the process RSS at
// 10,000 instances, and the time from a node dropping to detection, to the event accepted by a
// /hooks/agent over HTTP, and to failover complete.
//
//   node bench/watch.js [--pairs 5000] [--latency 20] [--concurrency 32] [--trials 5] [--json]
//
// esbuild bundles bench/watch-driver.ts (the code in src/, plus the gf-clawnode and gateway fakes of
// test/support/watch-fakes.ts that follow the documented wire shapes) into node_modules/.cache; each
// measurement runs in a fresh process, whose peak RSS is also taken from /usr/bin/time when present.
// What the fakes stand in for: node.invoke through a real gateway (modelled by --latency per call)
// and real gateway presence events. The lab-and-gateway numbers come with the integration bench.
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
    pairs: { type: 'string', default: '5000' },
    latency: { type: 'string', default: '20' },
    concurrency: { type: 'string', default: '32' },
    trials: { type: 'string', default: '5' },
    json: { type: 'boolean', default: false },
  },
})

const outDir = join(root, 'node_modules', '.cache', 'clawops-bench')
const driver = join(outDir, 'watch-driver.mjs')
await build({
  entryPoints: [join(root, 'bench/watch-driver.ts')],
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

function runDriver(args, home) {
  {
    const time = spawnSync(
      '/usr/bin/time',
      ['-f', 'MAXRSS %M', process.execPath, driver, args[0], home, ...args.slice(1)],
      {
        encoding: 'utf8',
        env: { ...process.env, CLAWOPS_LOG: 'off' },
        maxBuffer: 64 * 2 ** 20,
      },
    )
    const viaTime = !time.error
    const r = viaTime
      ? time
      : spawnSync(process.execPath, [driver, args[0], home, ...args.slice(1)], {
          encoding: 'utf8',
          env: { ...process.env, CLAWOPS_LOG: 'off' },
        })
    if (r.status !== 0) throw new Error(`driver ${args[0]} failed: ${r.stderr}`)
    const result = JSON.parse(r.stdout.trim().split('\n').pop())
    const kb = viaTime ? Number(/MAXRSS (\d+)/.exec(r.stderr)?.[1]) : Number.NaN
    if (Number.isFinite(kb)) result.maxRssMb = Math.round(kb / 1024)
    return result
  }
}

const sweepHome = mkdtempSync(join(tmpdir(), 'clawops-bench-watch-'))
const latencyHome = mkdtempSync(join(tmpdir(), 'clawops-bench-watch-'))
let sweep
let latency
try {
  // The fleet is seeded by its own process, so the watch process measured starts from a cold store.
  runDriver(['seed', values.pairs], sweepHome)
  sweep = runDriver(['sweep', values.pairs, values.latency, values.concurrency], sweepHome)
  latency = runDriver(['latency', values.trials], latencyHome)
} finally {
  rmSync(sweepHome, { recursive: true, force: true })
  rmSync(latencyHome, { recursive: true, force: true })
}
const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]
const summary = {
  sweep,
  latency: {
    ...latency,
    median: {
      detectionMs: median(latency.trials.map((t) => t.detectionMs)),
      eventAcceptedAfterDetectionMs: median(latency.trials.map((t) => t.eventAcceptedAfterDetectionMs)),
      failoverMs: median(latency.trials.map((t) => t.failoverMs)),
    },
    max: {
      detectionMs: Math.max(...latency.trials.map((t) => t.detectionMs)),
      eventAcceptedAfterDetectionMs: Math.max(...latency.trials.map((t) => t.eventAcceptedAfterDetectionMs)),
      failoverMs: Math.max(...latency.trials.map((t) => t.failoverMs)),
    },
  },
}
if (values.json) process.stdout.write(`${JSON.stringify(summary)}\n`)
else {
  const s = sweep
  console.log(
    `Cycle at ${s.instances} instances (${s.pairs} pairs), node.invoke ${s.latencyMs} ms, concurrency ${s.concurrency}:`,
  )
  console.log(
    `  first cycle ${s.firstCycleMs} ms (sweep ${s.sweepMs} ms), second ${s.secondCycleMs} ms; ${s.nodeCalls} node calls`,
  )
  console.log(
    `  RSS: at start ${s.baselineRssMb} MB, peak ${s.peakRssMb} MB sampled, ${s.maxRssMb ?? '?'} MB max (time), heap ${s.heapUsedMb} MB`,
  )
  const m = summary.latency.median
  const x = summary.latency.max
  console.log(
    `Node drop (presence grace ${latency.graceMs} ms), ${latency.trials.length} trials, median / max:`,
  )
  console.log(`  detection ${m.detectionMs} / ${x.detectionMs} ms (target ≤ 10 s)`)
  console.log(
    `  event accepted after detection ${m.eventAcceptedAfterDetectionMs} / ${x.eventAcceptedAfterDetectionMs} ms (target ≤ 5 s)`,
  )
  console.log(`  failover complete ${m.failoverMs} / ${x.failoverMs} ms (target ≤ 30 s)`)
}
