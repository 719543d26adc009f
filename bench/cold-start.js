// Cold start of the clawops CLI, as a ratio to `node -e 0` measured in the same run (issue 3).
// Runs are interleaved (node, clawops, node, clawops, ...) so machine noise hits both alike; each
// figure is the median wall time of RUNS runs. Peak memory is the largest max RSS seen (from
// /usr/bin/time when present, else the child's resource usage).
//
//   node bench/cold-start.js            # default: 25 runs, 1,000- and 10,000-pair stores
//   RUNS=50 node bench/cold-start.js
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const root = join(import.meta.dirname, '..')
const bin = join(root, 'bin', 'clawops.js')
const RUNS = Number(process.env.RUNS ?? 25)
const node = process.execPath

function timeOnce(args, env) {
  const start = process.hrtime.bigint()
  const r = spawnSync(node, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] })
  const ms = Number(process.hrtime.bigint() - start) / 1e6
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`)
  return ms
}

function peakRss(args, env) {
  const r = spawnSync('/usr/bin/time', ['-f', '%M', node, ...args], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
  })
  const kb = Number(r.stderr.trim().split('\n').pop())
  return Number.isFinite(kb) ? kb / 1024 : null
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]
}

function measure(label, args, env = {}) {
  const base = []
  const cmd = []
  timeOnce(['-e', '0'], env)
  timeOnce(args, env) // warm the compile cache and the page cache
  for (let i = 0; i < RUNS; i++) {
    base.push(timeOnce(['-e', '0'], env))
    cmd.push(timeOnce(args, env))
  }
  const b = median(base)
  const c = median(cmd)
  return {
    label,
    nodeMs: +b.toFixed(1),
    clawopsMs: +c.toFixed(1),
    ratio: +(c / b).toFixed(2),
    peakRssMb: peakRss(args, env),
  }
}

const results = [measure('clawops --version', [bin, '--version'])]
for (const pairs of [1000, 10000]) {
  const home = mkdtempSync(join(tmpdir(), `clawops-bench-${pairs}-`))
  try {
    execFileSync(node, [bin, 'lab', 'seed', '--pairs', String(pairs), '--json'], {
      env: { ...process.env, CLAWOPS_HOME: home },
    })
    results.push(
      measure(
        `clawops fleet status --json (${pairs.toLocaleString('en-US')} pairs)`,
        [bin, 'fleet', 'status', '--json'],
        { CLAWOPS_HOME: home },
      ),
    )
  } finally {
    rmSync(home, { recursive: true, force: true })
  }
}
console.log(JSON.stringify({ node: process.version, runs: RUNS, results }, null, 2))
