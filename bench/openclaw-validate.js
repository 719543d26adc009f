// What OpenClaw's validation of a pushed config costs per instance (issue 14): a new
// `openclaw config validate --json` process per candidate, against gf-clawnode's long-lived validator
// (dist/clawnode/validator.main.js, the same code the nodes start): its start, its first answer, the
// answers after, and its memory.
//
//   npm run build && node bench/openclaw-validate.js          # RUNS=5 CLI runs, 50 warm validations
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'

const root = join(import.meta.dirname, '..')
const openclaw = join(root, 'runtime', 'openclaw', 'node_modules', '.bin', 'openclaw')
const RUNS = Number(process.env.RUNS ?? 5)
const WARM = Number(process.env.WARM ?? 50)
const dir = mkdtempSync(join(tmpdir(), 'clawops-bench-validate-'))
const env = { ...process.env, OPENCLAW_STATE_DIR: dir, OPENCLAW_HOME: join(dir, 'home') }
for (const k of Object.keys(env)) if (/^(VITEST|NODE_ENV$)/.test(k)) delete env[k]
const configs = [
  { agents: { defaults: { model: { primary: 'moonshot/kimi-k2.5' } } } },
  { agents: { defaults: { model: { primary: 42 } } } },
]
const files = configs.map((c, i) => {
  const f = join(dir, `c${i}.json`)
  writeFileSync(f, JSON.stringify(c, null, 2))
  return f
})
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

// 1. A new process per candidate: wall time and CPU time (user + system) from /usr/bin/time.
const cli = []
for (let i = 0; i < RUNS; i++) {
  const t0 = performance.now()
  const r = spawnSync(
    '/usr/bin/time',
    ['-f', '%U %S %M', process.execPath, openclaw, 'config', 'validate', '--json'],
    {
      env: { ...env, OPENCLAW_CONFIG_PATH: files[i % 2] },
      encoding: 'utf8',
    },
  )
  const wall = performance.now() - t0
  const [u, s, kb] = r.stderr.trim().split('\n').pop().split(' ').map(Number)
  cli.push({ wall, cpu: (u + s) * 1000, rssMb: kb / 1024 })
}

// 2. The long-lived validator.
const source = readFileSync(join(root, 'dist', 'clawnode', 'validator.main.js'), 'utf8')
const t0 = performance.now()
const child = spawn(process.execPath, ['--input-type=module', '-e', source, '--', openclaw], {
  env,
  stdio: ['pipe', 'pipe', 'inherit'],
})
const lines = createInterface({ input: child.stdout })
const waiting = []
lines.on('line', (l) => waiting.shift()?.(JSON.parse(l)))
const next = () => new Promise((r) => waiting.push(r))
const ready = await next()
if (!ready.ready) throw new Error(`validator did not start: ${JSON.stringify(ready)}`)
const startMs = performance.now() - t0
const ask = async (id) => {
  const t = performance.now()
  child.stdin.write(`${JSON.stringify({ id, path: files[id % 2], stateDir: dir })}\n`)
  const r = await next()
  if (r.error) throw new Error(r.error)
  return performance.now() - t
}
/** CPU milliseconds the validator process has used so far (utime + stime, 100 ticks a second). */
const cpuMs = () => {
  const f = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1].split(' ')
  return (Number(f[11]) + Number(f[12])) * 10
}
const firstMs = await ask(0)
const startCpu = cpuMs()
const warm = []
for (let i = 1; i <= WARM; i++) warm.push(await ask(i))
const warmCpu = cpuMs() - startCpu
const rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1])
child.stdin.end()
rmSync(dir, { recursive: true, force: true })

console.table([
  {
    way: 'openclaw config validate --json, a process per candidate',
    perInstanceWallMs: Math.round(median(cli.map((c) => c.wall))),
    perInstanceCpuMs: Math.round(median(cli.map((c) => c.cpu))),
    rssMb: Math.round(median(cli.map((c) => c.rssMb))),
  },
  {
    way: "gf-clawnode's validator: start + first answer",
    perInstanceWallMs: Math.round(startMs + firstMs),
    perInstanceCpuMs: startCpu,
    rssMb: null,
  },
  {
    way: `gf-clawnode's validator: the next ${WARM} answers (median)`,
    perInstanceWallMs: +median(warm).toFixed(1),
    perInstanceCpuMs: +(warmCpu / WARM).toFixed(1),
    rssMb: Math.round(rssKb / 1024),
  },
])
console.log(`load average: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`)
