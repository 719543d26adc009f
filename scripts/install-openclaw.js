// Installs the real OpenClaw gateway that the lab and the integration tests run (runtime/openclaw).
// It is a separate package because OpenClaw refuses to install under Node < 24, and npm itself may be
// running on an older system Node: this script runs after the project's own Node 24 (the `node` dev
// dependency) is in node_modules/.bin, and runs npm for the runtime under that Node.
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { delimiter, dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const runtime = join(root, 'runtime', 'openclaw')
const lock = join(runtime, 'package-lock.json')
const stamp = join(runtime, 'node_modules', '.clawops-installed')

if (!existsSync(join(runtime, 'package.json')) || process.env.CLAWOPS_SKIP_OPENCLAW === '1') process.exit(0)

const want = createHash('sha256').update(readFileSync(lock)).digest('hex')
if (existsSync(stamp) && readFileSync(stamp, 'utf8') === want) process.exit(0)

const bin = join(root, 'node_modules', '.bin')
const node = join(root, 'node_modules', 'node', 'bin', 'node')
const nodeExe = Number(process.versions.node.split('.')[0]) >= 24 ? process.execPath : node
if (!existsSync(nodeExe)) {
  console.error(
    'install-openclaw: Node 24 is not available (node_modules/node missing); skipping the OpenClaw runtime',
  )
  process.exit(1)
}
const npmCli = process.env.npm_execpath
const [cmd, args] = npmCli?.endsWith('.js')
  ? [nodeExe, [npmCli, 'ci', '--no-audit', '--no-fund']]
  : ['npm', ['ci', '--no-audit', '--no-fund']]

console.error('install-openclaw: installing openclaw into runtime/openclaw (this takes a minute)')
const r = spawnSync(cmd, args, {
  cwd: runtime,
  stdio: ['ignore', 'inherit', 'inherit'],
  env: { ...process.env, PATH: `${bin}${delimiter}${dirname(nodeExe)}${delimiter}${process.env.PATH ?? ''}` },
})
if (r.status !== 0) {
  console.error(`install-openclaw: npm ci failed with status ${r.status}`)
  process.exit(r.status ?? 1)
}
writeFileSync(stamp, want)
