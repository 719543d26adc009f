// Lists 2,000 servers through each provider adapter against the lab cloud and reports the time and
// the HTTP requests it took.
//
//   node bench/provider-list.js [--count 2000] [--runs 3] [--json]
//
// How it runs: esbuild (a dev dependency, as in scripts/build.js) bundles the lab cloud's process
// entry (src/lib/lab/cloud/server.main.ts) and the adapters (src/lib/providers/index.ts) into
// node_modules/.cache/clawops-bench/, so no `npm run build` is needed and the code measured is the
// code in src/. The lab runs as its own process on loopback (as `clawops lab up` runs it), is
// seeded with `count` running servers per provider through its control API, and every adapter
// then lists them all with its default settings (page sizes, client-side rate limits) and dummy
// credentials. Each run uses a fresh adapter, so Contabo's runs include its token request.
// Reported per provider: median wall time over the runs, requests the adapter sent, requests the
// lab received, and time spent waiting on the adapter's own rate limiter.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { build } from 'esbuild'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '2000' },
    runs: { type: 'string', default: '3' },
    json: { type: 'boolean', default: false },
  },
})
const count = Number(values.count)
const runs = Number(values.runs)

const out = join(root, 'node_modules', '.cache', 'clawops-bench')
await build({
  entryPoints: {
    'lab-cloud': join(root, 'src/lib/lab/cloud/server.main.ts'),
    providers: join(root, 'src/lib/providers/index.ts'),
  },
  outdir: out,
  outExtension: { '.js': '.mjs' },
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node24',
  external: ['pino'],
  banner: { js: "import { createRequire as __r } from 'node:module'; const require = __r(import.meta.url);" },
  logLevel: 'warning',
})
const { createProvider } = await import(pathToFileURL(join(out, 'providers.mjs')).href)

const dir = mkdtempSync(join(tmpdir(), 'clawops-bench-lab-'))
const lab = spawn(process.execPath, [join(out, 'lab-cloud.mjs'), '--dir', dir, '--port', '0'], {
  stdio: ['ignore', 'pipe', 'inherit'],
  env: { ...process.env, CLAWOPS_LOG: 'off' },
})
const [line] = await once(createInterface({ input: lab.stdout }), 'line')
const ep = JSON.parse(line)

async function control(method, path, body) {
  const res = await fetch(ep.control + path, {
    method,
    headers: body ? { 'content-type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
  })
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`)
  return res.json()
}

// The lab process generated the credentials it accepts into its directory.
const creds = JSON.parse(readFileSync(join(dir, 'credentials.json'), 'utf8'))
const PROVIDERS = ['hetzner', 'vultr', 'digitalocean', 'contabo', 'hostinger']
const options = {
  hetzner: { provider: 'hetzner', ...creds.hetzner, baseUrl: ep.hetzner.baseUrl },
  vultr: { provider: 'vultr', ...creds.vultr, baseUrl: ep.vultr.baseUrl },
  digitalocean: { provider: 'digitalocean', ...creds.digitalocean, baseUrl: ep.digitalocean.baseUrl },
  contabo: {
    provider: 'contabo',
    ...creds.contabo,
    baseUrl: ep.contabo.baseUrl,
    authUrl: ep.contabo.authUrl,
  },
  hostinger: { provider: 'hostinger', ...creds.hostinger, baseUrl: ep.hostinger.baseUrl },
}

const results = []
try {
  for (const p of PROVIDERS) {
    await control('POST', '/seed', {
      provider: p,
      count,
      labels: p === 'contabo' || p === 'hostinger' ? undefined : { 'clawops/fleet': 'bench' },
    })
  }
  for (const p of PROVIDERS) {
    const samples = []
    for (let i = 0; i < runs; i++) {
      const adapter = createProvider(options[p])
      const labBefore = (await control('GET', '/stats')).requests[p]
      const t0 = performance.now()
      const servers = await adapter.list()
      const ms = performance.now() - t0
      const labAfter = (await control('GET', '/stats')).requests[p]
      if (servers.length !== count) throw new Error(`${p}: listed ${servers.length}, expected ${count}`)
      const s = adapter.stats()
      samples.push({
        ms,
        requests: s.requests,
        labRequests: labAfter - labBefore,
        throttledMs: s.throttledMs,
        retries: s.retries,
      })
    }
    samples.sort((a, b) => a.ms - b.ms)
    const median = samples[Math.floor(samples.length / 2)]
    results.push({ provider: p, servers: count, ...median, ms: Math.round(median.ms), runs })
  }
} finally {
  lab.kill('SIGTERM')
  await once(lab, 'exit')
  rmSync(dir, { recursive: true, force: true })
}

if (values.json) {
  console.log(JSON.stringify({ bench: 'provider-list', node: process.version, results }))
} else {
  console.log(`provider-list: ${count} servers per provider, median of ${runs} runs, node ${process.version}`)
  console.log('provider       ms  requests(adapter/lab)  throttled-ms  retries')
  for (const r of results) {
    console.log(
      `${r.provider.padEnd(12)} ${String(r.ms).padStart(5)}  ${`${r.requests}/${r.labRequests}`.padStart(21)}  ${String(r.throttledMs).padStart(12)}  ${String(r.retries).padStart(7)}`,
    )
  }
}
