// Lab benchmarks of issues 4 and 5, through the built CLI against a real OpenClaw gateway:
//   - provision PAIRS pairs (default 50) with instant boots and virtual gf-clawnodes: wall time, the
//     per-pair time from the journal, and clawops' own CPU time per pair (user+sys of the clawops
//     process, from /usr/bin/time);
//   - single invoke: `clawops instance health <id>` against `openclaw nodes invoke --command
//     vps.health` for the same node, interleaved, median of RUNS;
//   - sweep: `clawops health sweep` over every node (3 node commands each);
//   - memory: the gateway's RSS with 2×PAIRS nodes connected, the lab process hosting them; and, in a
//     second lab with the process driver, the RSS of idle gf-clawnode processes.
//
//   npm run build && node bench/lab-fleet.js            # PAIRS=50 RUNS=7
//   PAIRS=150 node bench/lab-fleet.js
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'

const root = join(import.meta.dirname, '..')
const bin = join(root, 'bin', 'clawops.js')
const PAIRS = Number(process.env.PAIRS ?? 50)
const RUNS = Number(process.env.RUNS ?? 7)
const home = mkdtempSync(join(tmpdir(), 'clawops-bench-lab-'))
const env = { ...process.env, CLAWOPS_HOME: home, CLAWOPS_LOG: 'off' }
delete env.VITEST
delete env.NODE_ENV

const cli = (...args) =>
  JSON.parse(
    execFileSync(process.execPath, [bin, ...args, '--json'], { env, encoding: 'utf8', maxBuffer: 64 << 20 }),
  ).data
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const rssMb = (pid) => {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return m ? Math.round(Number(m[1]) / 1024) : null
}
function timed(cmd, args, extraEnv = env) {
  const t0 = performance.now()
  const r = spawnSync(cmd, args, { env: extraEnv, encoding: 'utf8', maxBuffer: 64 << 20 })
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`)
  return performance.now() - t0
}

const out = { pairs: PAIRS, runs: RUNS }
try {
  cli('lab', 'up', '--driver', 'clawnode-virtual', '--boot-seconds', '0')
  const lab = JSON.parse(readFileSync(join(home, 'lab', 'lab.json'), 'utf8'))

  // Provisioning, with clawops' CPU time measured by /usr/bin/time.
  const t0 = performance.now()
  const p = spawnSync(
    '/usr/bin/time',
    [
      '-f',
      '%U %S %M',
      process.execPath,
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
  const wallMs = performance.now() - t0
  const [user, sys, maxKb] = p.stderr.trim().split('\n').pop().split(' ').map(Number)
  const res = JSON.parse(p.stdout)
  if (!res.ok) throw new Error(`provision failed: ${JSON.stringify(res.error)}`)
  const perPair = res.data.pairs.map((x) => x.totalMs)
  out.provision = {
    wallSeconds: +(wallMs / 1000).toFixed(1),
    pairMsMedian: Math.round(median(perPair)),
    pairMsMax: Math.max(...perPair),
    clawopsCpuMsPerPair: Math.round(((user + sys) * 1000) / PAIRS),
    clawopsPeakRssMb: Math.round(maxKb / 1024),
  }

  // One invoke: clawops against the openclaw CLI, same node, interleaved.
  const [inst] = cli('instance', 'list', '--role', 'primary', '--limit', '1').instances
  const token = readFileSync(join(home, 'lab', 'secrets', 'gateway.token'), 'utf8')
  const ocEnv = {
    ...env,
    OPENCLAW_HOME: join(home, 'oc-cli'),
    OPENCLAW_STATE_DIR: join(home, 'oc-cli'),
    OPENCLAW_CONFIG_PATH: join(home, 'oc-cli', 'openclaw.json'),
  }
  execFileSync('mkdir', ['-p', join(home, 'oc-cli')])
  writeFileSync(
    ocEnv.OPENCLAW_CONFIG_PATH,
    JSON.stringify({ gateway: { mode: 'remote', remote: { url: lab.gateway.url, token } } }),
  )
  const openclaw = join(root, 'runtime', 'openclaw', 'node_modules', 'openclaw', 'openclaw.mjs')
  const ocArgs = [
    openclaw,
    'nodes',
    'invoke',
    '--node',
    inst.nodeId,
    '--command',
    'vps.health',
    '--params',
    '{}',
    '--url',
    lab.gateway.url,
    '--token',
    token,
    '--json',
  ]
  const ours = []
  const theirs = []
  timed(process.execPath, [bin, 'instance', 'health', inst.id, '--json'])
  timed(process.execPath, ocArgs, ocEnv)
  for (let i = 0; i < RUNS; i++) {
    ours.push(timed(process.execPath, [bin, 'instance', 'health', inst.id, '--json']))
    theirs.push(timed(process.execPath, ocArgs, ocEnv))
  }
  out.singleInvoke = {
    clawopsInstanceHealthMs: Math.round(median(ours)),
    openclawNodesInvokeMs: Math.round(median(theirs)),
    ratio: +(median(ours) / median(theirs)).toFixed(2),
  }

  // Sweep every node.
  const sweepMs = timed(process.execPath, [bin, 'health', 'sweep', '--json'])
  out.sweep = { nodes: PAIRS * 2, seconds: +(sweepMs / 1000).toFixed(2), commandsPerNode: 3 }

  // Memory.
  const gwPid = Number(readFileSync(lab.gateway.pidFile, 'utf8'))
  out.memory = {
    gatewayRssMbWithNodes: rssMb(gwPid),
    labCloudRssMb: rssMb(lab.cloud.pid),
    nodesConnected: PAIRS * 2,
  }
} finally {
  spawnSync(process.execPath, [bin, 'lab', 'down'], { env })
  rmSync(home, { recursive: true, force: true })
}

// Idle gf-clawnode processes: one pair in a lab whose servers run real node processes.
const home2 = mkdtempSync(join(tmpdir(), 'clawops-bench-node-'))
const env2 = { ...env, CLAWOPS_HOME: home2 }
try {
  execFileSync(process.execPath, [bin, 'lab', 'up', '--json'], { env: env2 })
  execFileSync(
    process.execPath,
    [bin, 'provision', '--count', '1', '--tier', 'nano', '--region', 'eu', '--json'],
    { env: env2 },
  )
  await sleep(15_000)
  const pids = execFileSync('pgrep', ['-f', `${home2}.*gf-clawnode|gf-clawnode.js run --config ${home2}`], {
    encoding: 'utf8',
  })
    .trim()
    .split('\n')
    .map(Number)
  out.memory.clawnodeIdleRssMb = pids.map(rssMb)
} finally {
  spawnSync(process.execPath, [bin, 'lab', 'down'], { env: env2 })
  rmSync(home2, { recursive: true, force: true })
}
console.log(JSON.stringify(out, null, 2))
