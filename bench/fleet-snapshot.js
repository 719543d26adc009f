// The fleet snapshot on 10,000 pairs (issue 17): what the gateway plugin does for each
// `clawops.fleet-status` call and each Fleet tab load (open the store read-only, read the config, take
// the snapshot, close), timed inside one process through the built plugin's own RPC handler; and the
// same snapshot as `clawops fleet status --json` from the CLI, wall time. The store is seeded once with
// `clawops lab seed --history-days 7`; the first `fleet status` computes the Ledger's hourly part
// (cost and the 7-day provider scores) and is reported apart as the cold run.
//
//   node bench/fleet-snapshot.js                      # 10,000 pairs, 25 snapshot runs, 5 CLI runs
//   PAIRS=1000 RUNS=10 node bench/fleet-snapshot.js
//   CLAWOPS_BENCH_HOME=/path/to/seeded/home node bench/fleet-snapshot.js   # reuse a seeded home
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'

const root = join(import.meta.dirname, '..')
const bin = join(root, 'bin', 'clawops.js')
const PAIRS = Number(process.env.PAIRS ?? 10_000)
const RUNS = Number(process.env.RUNS ?? 25)
const CLI_RUNS = Number(process.env.CLI_RUNS ?? 5)
const reuse = process.env.CLAWOPS_BENCH_HOME
const home = reuse ?? mkdtempSync(join(tmpdir(), `clawops-bench-snapshot-${PAIRS}-`))
const env = { ...process.env, CLAWOPS_HOME: home, CLAWOPS_LOG: 'off' }

function cli(args) {
  const start = process.hrtime.bigint()
  const r = spawnSync(process.execPath, [bin, ...args], { env, encoding: 'utf8', maxBuffer: 1 << 30 })
  const ms = Number(process.hrtime.bigint() - start) / 1e6
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`)
  return { ms, stdout: r.stdout }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const p90 = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.9)]

/** The plugin's `clawops.fleet-status` handler, registered as the gateway would register it. */
async function pluginHandler() {
  const { default: plugin } = await import(join(root, 'dist', 'plugin', 'index.js'))
  let handler
  plugin.register({
    pluginConfig: { home },
    registerGatewayMethod: (name, fn) => {
      if (name === 'clawops.fleet-status') handler = fn
    },
    registerHttpRoute: () => {},
    session: { controls: { registerControlUiDescriptor: () => {} } },
  })
  return (params) =>
    new Promise((resolve, reject) => {
      handler({
        params,
        respond: (ok, payload, error) => (ok ? resolve(payload) : reject(new Error(error?.message))),
      }).catch(reject)
    })
}

try {
  if (!reuse) cli(['lab', 'seed', '--pairs', String(PAIRS), '--history-days', '7', '--json'])
  const cold = cli(['fleet', 'status', '--json'])
  const status = JSON.parse(cold.stdout).data
  const call = await pluginHandler()
  const loadBefore = loadavg()[0]
  const rpc = []
  let bytes = 0
  for (let i = 0; i < RUNS + 2; i++) {
    const t = process.hrtime.bigint()
    const snap = await call({})
    const ms = Number(process.hrtime.bigint() - t) / 1e6
    if (i >= 2) rpc.push(ms) // the first two warm the statement caches and the JIT
    bytes = JSON.stringify(snap).length
  }
  const filtered = []
  for (let i = 0; i < RUNS; i++) {
    const t = process.hrtime.bigint()
    await call({ provider: 'hetzner', state: 'DEGRADED' })
    filtered.push(Number(process.hrtime.bigint() - t) / 1e6)
  }
  const warm = []
  for (let i = 0; i < CLI_RUNS; i++) warm.push(cli(['fleet', 'status', '--json']).ms)
  const out = {
    pairs: status.pairs,
    instances: status.instances,
    snapshotBytes: bytes,
    rpcHandlerMs: { median: +median(rpc).toFixed(1), p90: +p90(rpc).toFixed(1), runs: rpc.length },
    rpcHandlerFilteredMs: { median: +median(filtered).toFixed(1), p90: +p90(filtered).toFixed(1) },
    cliColdMs: +cold.ms.toFixed(0),
    cliWarmMs: { median: +median(warm).toFixed(0), runs: warm.length },
    load: { before: +loadBefore.toFixed(2), after: +loadavg()[0].toFixed(2) },
  }
  process.stdout.write(`${JSON.stringify(out, null, 2)}\n`)
} finally {
  if (!reuse) rmSync(home, { recursive: true, force: true })
}
