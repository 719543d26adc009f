// Benchmark of a rolling OpenClaw upgrade (issue P15), per instance: the node's own time for one
// upgrade (gf-clawnode's real openclaw.update on a host that installs releases, with the lab's
// stand-in packed as OpenClaw) and clawops' own cost per instance (the openclaw.upgrade kind through
// the engine on a real store, against nodes that answer at once). See the driver's header.
//
//   npm run build && node bench/upgrade.js [--upgrades 6] [--instances 1000] [--json]
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
    upgrades: { type: 'string', default: '6' },
    instances: { type: 'string', default: '1000' },
    json: { type: 'boolean', default: false },
  },
})

const outDir = join(root, 'node_modules', '.cache', 'clawops-bench')
const driver = join(outDir, 'upgrade-driver.mjs')
await build({
  entryPoints: [join(root, 'bench/upgrade-driver.ts')],
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

const dir = mkdtempSync(join(tmpdir(), 'clawops-bench-upgrade-'))
let result
try {
  const r = spawnSync(process.execPath, [driver, 'run', dir, values.upgrades, values.instances], {
    encoding: 'utf8',
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, CLAWOPS_LOG: 'off' },
  })
  if (r.status !== 0) throw new Error(`driver failed with ${r.status}`)
  result = JSON.parse(r.stdout.trim().split('\n').pop())
} finally {
  rmSync(dir, { recursive: true, force: true })
}
if (values.json) process.stdout.write(`${JSON.stringify(result)}\n`)
else {
  const { node, clawops } = result
  console.log(
    `node: ${node.upgrades} OpenClaw upgrades on one host: median ${node.medianMs} ms, slowest ${node.maxMs} ms per instance`,
  )
  console.log(
    `clawops: ${clawops.instances} instances through the engine in ${clawops.wallMs} ms: ${clawops.perInstanceMs} ms per instance`,
  )
  console.log(`clawops' cost per instance / the node's time per instance: ${result.overheadPct} %`)
}
