// Gateway shards (issue P14): the same fleet on one OpenClaw gateway and spread over three.
//   - join rate: provision PAIRS pairs (2×PAIRS nodes) with instant boots and virtual gf-clawnodes
//     (the real node code in the lab process), nodes joined per second = nodes / wall time;
//   - sweep: `clawops health sweep` over every node (one vps.probe invoke each: vps.health +
//     vps.metrics + openclaw.health run on the node),
//     median of RUNS;
//   - gateway RSS after the join.
// Phase 1: a lab (its gateway is the only shard). Phase 2: a fresh lab plus two more gateways listed in
// `gateways`: the same pairs spread over three. Each phase has its own home; everything started is
// stopped at the end.
//
//   npm run build && PAIRS=150 RUNS=9 node bench/shards.js
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { build } from 'esbuild'

const root = join(import.meta.dirname, '..')
const bin = join(root, 'bin', 'clawops.js')
// The extra gateways are started the way the lab and the tests start theirs (gateway-process.ts),
// bundled by esbuild into node_modules/.cache.
const helpers = join(root, 'node_modules', '.cache', 'clawops-bench', 'gateway-process.mjs')
await build({
  entryPoints: [join(root, 'src/lib/lab/gateway-process.ts')],
  outfile: helpers,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node24',
  packages: 'external',
  logLevel: 'warning',
})
const { prepareGateway, startGateway, stopGateway } = await import(helpers)
const PAIRS = Number(process.env.PAIRS ?? 100)
const RUNS = Number(process.env.RUNS ?? 5)
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const rssMb = (pid) => {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m ? Math.round(Number(m[1]) / 1024) : null
  } catch {
    return null
  }
}
const pidOf = (file) => Number(readFileSync(file, 'utf8').trim())
// CPU seconds (user + system, all threads) a process has used; `self` also counts the clawops
// processes this script waited for (cutime/cstime).
const TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim())
const cpuSeconds = (pid, withChildren = false) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
  const ticks = Number(f[11]) + Number(f[12]) + (withChildren ? Number(f[13]) + Number(f[14]) : 0)
  return ticks / TICKS
}

async function phase(shards) {
  const home = mkdtempSync(join(tmpdir(), `clawops-bench-shards-${shards}-`))
  const env = { ...process.env, CLAWOPS_HOME: home, CLAWOPS_LOG: 'off' }
  delete env.VITEST
  delete env.NODE_ENV
  const cli = (...args) =>
    JSON.parse(
      execFileSync(process.execPath, [bin, ...args, '--json'], {
        env,
        encoding: 'utf8',
        maxBuffer: 64 << 20,
      }),
    ).data
  const extra = []
  try {
    const up = Promise.resolve(cli('lab', 'up', '--driver', 'clawnode-virtual', '--boot-seconds', '0'))
    for (let i = 1; i < shards; i++) {
      const info = await prepareGateway(join(home, `gateway-${i}`), { clawopsHome: home })
      extra.push(info)
    }
    await Promise.all([up, ...extra.map((g) => startGateway(g, 300_000))])
    if (extra.length) {
      const path = join(home, 'config.json')
      const config = JSON.parse(readFileSync(path, 'utf8'))
      config.gateways = extra.map((g, i) => {
        const tokenFile = join(home, `gateway-${i + 1}.token`)
        writeFileSync(tokenFile, g.token, { mode: 0o600 })
        return { name: `gw-${i + 1}`, url: g.url, tokenFile }
      })
      writeFileSync(path, JSON.stringify(config), { mode: 0o600 })
    }
    const lab = JSON.parse(readFileSync(join(home, 'lab', 'lab.json'), 'utf8'))
    const t0 = performance.now()
    const p = spawnSync(
      process.execPath,
      [
        bin,
        'provision',
        '--count',
        String(PAIRS),
        '--tier',
        'nano',
        '--region',
        'eu',
        '--primary',
        'hetzner',
        '--standby',
        'digitalocean',
        '--yes',
        '--json',
      ],
      { env, encoding: 'utf8', maxBuffer: 64 << 20 },
    )
    const joinS = (performance.now() - t0) / 1000
    const res = JSON.parse(p.stdout)
    if (!res.ok) throw new Error(`provision failed: ${JSON.stringify(res.error)}`)
    const sweeps = []
    let swept = 0
    let byGateway = {}
    // Where a sweep's CPU goes: each gateway, the lab process (the cloud and every virtual node),
    // and clawops. A process at ~1 CPU-second per wall second is the bottleneck of its event loop.
    const gatewayPids = [pidOf(lab.gateway.pidFile), ...extra.map((g) => pidOf(g.pidFile))]
    const cpu = { gateways: gatewayPids.map(() => 0), lab: 0, clawops: 0 }
    for (let r = 0; r < RUNS; r++) {
      const g0 = gatewayPids.map((pid) => cpuSeconds(pid))
      const l0 = cpuSeconds(lab.cloud.pid)
      const c0 = cpuSeconds('self', true) - cpuSeconds('self')
      const s0 = performance.now()
      const s = cli('health', 'sweep')
      sweeps.push(performance.now() - s0)
      gatewayPids.forEach((pid, i) => {
        cpu.gateways[i] += cpuSeconds(pid) - g0[i]
      })
      cpu.lab += cpuSeconds(lab.cloud.pid) - l0
      cpu.clawops += cpuSeconds('self', true) - cpuSeconds('self') - c0
      swept = s.swept
      byGateway = Object.fromEntries(s.shards.map((x) => [x.gateway, x.targets]))
    }
    const perSweep = (x) => +(x / RUNS).toFixed(2)
    return {
      gateways: shards,
      nodes: PAIRS * 2,
      byGateway,
      joinSeconds: +joinS.toFixed(1),
      nodesPerSecond: +((PAIRS * 2) / joinS).toFixed(2),
      sweepSecondsMedian: +(median(sweeps) / 1000).toFixed(2),
      sweepSeconds: sweeps.map((x) => +(x / 1000).toFixed(2)),
      swept,
      cpuSecondsPerSweep: {
        gateways: cpu.gateways.map(perSweep),
        lab: perSweep(cpu.lab),
        clawops: perSweep(cpu.clawops),
      },
      gatewayRssMb: [rssMb(pidOf(lab.gateway.pidFile)), ...extra.map((g) => rssMb(pidOf(g.pidFile)))],
    }
  } finally {
    spawnSync(process.execPath, [bin, 'lab', 'down'], { env })
    await Promise.all(extra.map((g) => stopGateway(g, 5_000)))
    rmSync(home, { recursive: true, force: true })
  }
}

const one = await phase(1)
process.stderr.write(`${JSON.stringify(one)}\n`)
const three = await phase(3)
console.log(JSON.stringify({ pairs: PAIRS, runs: RUNS, one, three }, null, 2))
