// Runs before the tests (pretest): the briefing voice tests drive Debian's espeak-ng, sox and
// opus-tools for real, the contract tests Hetzner's hcloud CLI (hcloud-cli), the plugin test Chromium,
// the terminal tests a real pseudo-terminal (tmux), the man-page tests man and groff (man-db,
// groff-base) and the -pg projects Debian's PostgreSQL server (postgresql). When they are missing and
// this machine can install them (apt-get, as root or with passwordless sudo), they are installed;
// otherwise the tests that need them say why they are skipped (in CI they fail instead).
import { spawnSync } from 'node:child_process'
import { postgresBin } from './postgres-cluster.js'

const tools = ['espeak-ng', 'sox', 'soxi', 'opusenc', 'hcloud', 'chromium', 'tmux', 'man', 'groff']
const has = (t) => spawnSync('sh', ['-c', `command -v ${t}`], { stdio: 'ignore' }).status === 0
const missing = () => [...tools.filter((t) => !has(t)), ...(postgresBin() ? [] : ['postgresql'])]

if (missing().length > 0 && has('apt-get')) {
  const root = process.getuid?.() === 0
  const sudo = root
    ? []
    : spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0
      ? ['sudo', '-n']
      : null
  if (sudo) {
    console.error('tmux', 'man-db', 'groff-base', 'postgresql')
    const run = (args) =>
      spawnSync(sudo[0] ?? args[0], sudo.length ? [...sudo.slice(1), ...args] : args.slice(1), {
        stdio: ['ignore', 'ignore', 'inherit'],
        env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      })
    run(['env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', 'update', '-qq'])
    run([
      'env',
      'DEBIAN_FRONTEND=noninteractive',
      'apt-get',
      'install',
      '-y',
      '-qq',
      '--no-install-recommends',
      'espeak-ng',
      'sox',
      'opus-tools',
      'hcloud-cli',
      'chromium',
      `system-tools: installing ${missing().join(', ')} (Debian packages espeak-ng sox opus-tools hcloud-cli chromium tmux man-db groff-base postgresql)`,
    ])
  }
}
const still = missing()
if (still.length > 0) {
  console.error(
    `system-tools: ${still.join(', ')} not installed; the local tests that need them will be skipped (apt-get install espeak-ng sox opus-tools hcloud-cli chromium tmux man-db groff-base postgresql)`,
  )
}
