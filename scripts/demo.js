// The README's main job on the embedded default: the lab (a real OpenClaw gateway, the five provider
// APIs on loopback, servers that boot real gf-clawnode processes), three user pairs provisioned through
// it, and what an operator or an agent looks at next. The fleet lives in ./.clawops-demo; the lab is
// stopped at the end unless --keep is given (then try: CLAWOPS_HOME=.clawops-demo npx clawops ...).
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'

const root = join(import.meta.dirname, '..')
const home = process.env.CLAWOPS_HOME ?? join(root, '.clawops-demo')
const env = { ...process.env, CLAWOPS_HOME: home }
const keep = process.argv.includes('--keep')
const bin = join(root, 'bin', 'clawops.js')
const run = (...args) => {
  process.stdout.write(`\n$ clawops ${args.join(' ')}\n`)
  execFileSync(process.execPath, [bin, ...args], { env, stdio: 'inherit' })
}
const json = (...args) =>
  JSON.parse(execFileSync(process.execPath, [bin, ...args, '--json'], { env, encoding: 'utf8' })).data

// A fresh demo every time: stop an earlier demo's lab, then start from an empty home.
if (existsSync(join(home, 'lab', 'lab.json')))
  execFileSync(process.execPath, [bin, 'lab', 'down'], { env, stdio: 'ignore' })
rmSync(home, { recursive: true, force: true })

try {
  run('lab', 'up')
  run(
    'provision',
    '--count',
    '3',
    '--tier',
    'standard',
    '--region',
    'eu',
    '--primary',
    'hetzner',
    '--standby',
    'vultr',
  )
  run('fleet', 'status')
  run('node', 'list')
  const [first] = json('instance', 'list', '--role', 'primary').instances
  run('instance', 'health', first.id)
  run('pair', 'status', first.pairId)
  run('audit', 'verify')
} finally {
  if (!keep) run('lab', 'down')
}
process.stdout.write(
  keep
    ? `\nThe lab keeps running. Try: CLAWOPS_HOME=${home} npx clawops fleet status --json   (stop it with: CLAWOPS_HOME=${home} npx clawops lab down)\n${fleetTab()}`
    : `\nDone. Run again with: npm run demo -- --keep   to keep the lab up and explore (CLAWOPS_HOME=${home}).\n`,
)

/**
 * The Control UI of the lab gateway on its Fleet tab, and OpenClaw's own one-time owner sign-in link
 * for this machine's browser (what `openclaw dashboard` prints; single use, valid a few minutes).
 */
function fleetTab() {
  const lab = JSON.parse(readFileSync(join(home, 'lab', 'lab.json'), 'utf8'))
  const url = `${lab.gateway.httpUrl}/fleet`
  const dir = lab.gateway.dir
  const gatewayEnv = {
    ...process.env,
    OPENCLAW_HOME: join(dir, 'home'),
    OPENCLAW_STATE_DIR: join(dir, 'state'),
    OPENCLAW_CONFIG_PATH: join(dir, 'state', 'openclaw.json'),
    XDG_CACHE_HOME: join(dir, 'cache'),
  }
  let signIn = ''
  try {
    const openclaw = join(root, 'runtime', 'openclaw', 'node_modules', 'openclaw', 'openclaw.mjs')
    const out = JSON.parse(
      execFileSync(process.execPath, [openclaw, 'dashboard', '--no-open', '--json'], {
        env: gatewayEnv,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }),
    )
    const link = new URL(out.browserUrl)
    link.pathname = '/fleet'
    signIn = `First visit from this machine's browser: open this one-time sign-in link (OpenClaw's own, valid a few minutes):\n  ${link}\n`
  } catch {
    signIn = `Sign in with the lab gateway's token (${join(home, 'lab', 'secrets', 'gateway.token')}).\n`
  }
  return `\nThe fleet in the gateway's Control UI (Fleet tab): ${url}\n${signIn}`
}
