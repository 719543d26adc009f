// The Ledger on a large fleet (issue 9): `cost report` and `cost waste` on a 10,000-pair store with
// 30 days of health history (about 3.7 million roll-ups), wall time and peak memory. The store is
// seeded once with `clawops lab seed --history-days 30`; each command then runs RUNS times and the
// median wall time is reported (the first, cold run separately), with the largest max RSS seen
// (from /usr/bin/time when present, else the child's resource usage).
//
//   node bench/ledger.js                 # 10,000 pairs, 30 days, 5 runs each
//   PAIRS=2000 RUNS=3 node bench/ledger.js
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'

const root = join(import.meta.dirname, '..')
const bin = join(root, 'bin', 'clawops.js')
const PAIRS = Number(process.env.PAIRS ?? 10_000)
const DAYS = Number(process.env.DAYS ?? 30)
const RUNS = Number(process.env.RUNS ?? 5)
const node = process.execPath
const hasTime = existsSync('/usr/bin/time')

function run(args, env) {
  const start = process.hrtime.bigint()
  const r = hasTime
    ? spawnSync('/usr/bin/time', ['-f', '%M', node, bin, ...args], {
        env,
        encoding: 'utf8',
        maxBuffer: 1 << 30,
      })
    : spawnSync(node, [bin, ...args], { env, encoding: 'utf8', maxBuffer: 1 << 30 })
  const ms = Number(process.hrtime.bigint() - start) / 1e6
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`)
  const kb = hasTime ? Number(r.stderr.trim().split('\n').pop()) : null
  return { ms, rssMb: kb === null || !Number.isFinite(kb) ? null : kb / 1024, stdout: r.stdout }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]
}

const home = mkdtempSync(join(tmpdir(), `clawops-bench-ledger-${PAIRS}-`))
const env = { ...process.env, CLAWOPS_HOME: home, CLAWOPS_LOG: 'off' }
try {
  const seed = run(['lab', 'seed', '--pairs', String(PAIRS), '--history-days', String(DAYS), '--json'], env)
  const seeded = JSON.parse(seed.stdout).data
  const results = []
  const loadBefore = loadavg()[0]
  for (const [label, args] of [
    ['clawops cost report --json', ['cost', 'report', '--json']],
    ['clawops cost report --by user --json', ['cost', 'report', '--by', 'user', '--json']],
    ['clawops cost waste --json', ['cost', 'waste', '--json']],
    ['clawops cost waste --all --json', ['cost', 'waste', '--all', '--json']],
  ]) {
    const runs = [run(args, env)]
    for (let i = 1; i < RUNS; i++) runs.push(run(args, env))
    const data = JSON.parse(runs[0].stdout).data
    results.push({
      label,
      firstMs: +runs[0].ms.toFixed(0),
      medianMs: +median(runs.map((r) => r.ms)).toFixed(0),
      peakRssMb: hasTime ? +Math.max(...runs.map((r) => r.rssMb)).toFixed(0) : null,
      check:
        data.actualUsdCents !== undefined
          ? { actualUsdCents: data.actualUsdCents, groups: data.groupsTotal }
          : {
              idle: data.idle.count,
              oversized: data.oversized.count,
              cheaperElsewhere: data.cheaperElsewhere.count,
              planted: {
                idle: seeded.history.manifest.idlePairs.length,
                oversized: seeded.history.manifest.oversizedPairs.length,
                cheaperElsewhere: seeded.history.manifest.cheaperElsewhere.length,
              },
            },
    })
  }
  console.log(
    JSON.stringify(
      {
        node: process.version,
        pairs: PAIRS,
        instances: seeded.instances,
        historyDays: DAYS,
        rollups: seeded.history.rollups,
        storeMb: +(statSync(join(home, 'fleet.db')).size / 2 ** 20).toFixed(0),
        seedSeconds: +(seed.ms / 1000).toFixed(1),
        runs: RUNS,
        // The build machines are shared: the 1-minute load average before and after the timed runs.
        load: { before: +loadBefore.toFixed(2), after: +loadavg()[0].toFixed(2) },
        results,
      },
      null,
      2,
    ),
  )
} finally {
  rmSync(home, { recursive: true, force: true })
}
