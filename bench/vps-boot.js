// What a lab server's first boot costs now that the lab runs its user data for real: clawops' setup
// rendered as cloud-init (Hetzner, Vultr, DigitalOcean, Contabo) and as Hostinger's post-install
// script, each run by the lab's first boot (sh/bash with the lab's system commands) in a fresh
// server directory, with a Tailscale join against the lab's tailnet, then a reboot (the enabled units
// started again). Reported: median and p90 wall time per boot, and boots per second with --parallel
// boots in flight.
//
//   node bench/vps-boot.js [--boots 20] [--parallel 4] [--json]
//
// esbuild bundles src/lib/lab/vps/boot.ts, the renderings and the lab cloud (for its tailnet) into
// node_modules/.cache/clawops-bench/, so the code measured is the code in src/.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { build } from 'esbuild'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const { values } = parseArgs({
  options: {
    boots: { type: 'string', default: '20' },
    parallel: { type: 'string', default: '4' },
    json: { type: 'boolean', default: false },
  },
})
const boots = Number(values.boots)
const parallel = Number(values.parallel)

const out = join(root, 'node_modules', '.cache', 'clawops-bench')
await build({
  entryPoints: { 'vps-boot': join(root, 'bench', 'vps-boot-entry.ts') },
  outdir: out,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node24',
  outExtension: { '.js': '.mjs' },
  banner: { js: "import { createRequire as __r } from 'node:module'; const require = __r(import.meta.url);" },
  logLevel: 'warning',
})
const m = await import(pathToFileURL(join(out, 'vps-boot.mjs')).href)

const dir = mkdtempSync(join(tmpdir(), 'clawops-bench-vps-'))
const lab = await m.startLabCloud({
  dir,
  credentials: m.generateCredentials(),
  tailscale: { apiKey: 'tskey-api-bench' },
})
const shims = m.installShims(join(dir, 'shims'))

async function mint() {
  const res = await fetch(`${lab.endpoints.tailscale.baseUrl}/api/v2/tailnet/-/keys`, {
    method: 'POST',
    headers: { authorization: 'Bearer tskey-api-bench', 'content-type': 'application/json' },
    body: JSON.stringify({
      capabilities: { devices: { create: { preauthorized: true, tags: ['tag:bench'] } } },
    }),
  })
  return (await res.json()).key
}

const input = (i, authKey) => ({
  instanceId: `i-bench${String(i).padStart(5, '0')}`,
  hostname: `claw-bench-${i}`,
  operatorGatewayUrl: 'ws://127.0.0.1:9',
  firstContact: { bootstrapToken: 'bootstrap-token-0123456789' },
  joinSecret: 'join-secret-0123456789abcdef',
  tailscale: { authKey, tags: ['tag:bench'] },
  openclaw: { image: 'ghcr.io/openclaw/openclaw:2026.9.6', userConfig: { gateway: { mode: 'local' } } },
  clawnodePackage: 'clawops@0.1.0',
})

const q = (xs, p) => xs.toSorted((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]
const result = {}
for (const [name, provider, render] of [
  ['cloud-init', 'hetzner', m.renderCloudInit],
  ['post-install script', 'hostinger', m.renderPostInstallScript],
]) {
  const first = []
  const again = []
  let next = 0
  const t0 = performance.now()
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      for (let i = next++; i < boots; i = next++) {
        const server = {
          provider,
          id: `${provider}-${i}`,
          name: `claw-bench-${i}`,
          region: 'x',
          plan: 'x',
          image: 'x',
          ipv4: '198.18.0.1',
          ipv6: '2001:db8::1',
          userData: render(input(i, await mint())),
          labels: {},
        }
        const env = { shims, tailscaleUrl: lab.endpoints.tailscale.registerUrl }
        let t = performance.now()
        const b = await m.bootVps(dir, server, env)
        first.push(performance.now() - t)
        if (!b.clawnode) throw new Error(`${name}: boot ${i} started no gf-clawnode`)
        t = performance.now()
        await m.bootVps(dir, server, env)
        again.push(performance.now() - t)
      }
    }),
  )
  const wall = performance.now() - t0
  result[name] = {
    boots,
    firstBootMedianMs: Math.round(q(first, 0.5)),
    firstBootP90Ms: Math.round(q(first, 0.9)),
    rebootMedianMs: Math.round(q(again, 0.5)),
    bootsPerSecond: Math.round((boots / (wall / 1000)) * 10) / 10,
  }
}
await lab.close()
rmSync(dir, { recursive: true, force: true })

if (values.json) process.stdout.write(`${JSON.stringify({ parallel, result })}\n`)
else {
  for (const [name, r] of Object.entries(result))
    console.log(
      `${name}: first boot median ${r.firstBootMedianMs} ms (p90 ${r.firstBootP90Ms} ms), reboot ${r.rebootMedianMs} ms, ${r.bootsPerSecond} boots/s with ${parallel} in flight`,
    )
}
