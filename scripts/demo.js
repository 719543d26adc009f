// The README's main job on the embedded default: a synthetic lab fleet in a project-local home
// (.clawops-demo), then what an operator or an agent would look at first.
import { execFileSync } from 'node:child_process'
import { join } from 'node:path'

const root = join(import.meta.dirname, '..')
const env = { ...process.env, CLAWOPS_HOME: process.env.CLAWOPS_HOME ?? join(root, '.clawops-demo') }
const run = (...args) => {
  process.stdout.write(`\n$ clawops ${args.join(' ')}\n`)
  execFileSync(process.execPath, [join(root, 'bin', 'clawops.js'), ...args], { env, stdio: 'inherit' })
}

run('lab', 'seed', '--pairs', '50', '--seed', '7', '--replace')
run('fleet', 'status')
run('instance', 'list', '--state', 'DEGRADED', '--state', 'FAILED')
run('audit', 'verify')
process.stdout.write(
  `\nThe fleet store is ${join(env.CLAWOPS_HOME, 'fleet.db')}; try: CLAWOPS_HOME=${env.CLAWOPS_HOME} npx clawops fleet status --json\n`,
)
