// watch in a group (issue P14): how long a fleet goes unwatched when its leading `clawops watch` is
// killed with SIGKILL while a `clawops watch --standby` waits. Measured from the kill to the
// standby's "watch running" line (its daemon started: lease taken, deps built, first cycle under
// way), ten times; the reference in the same run is a plain restart: the time from starting a
// fresh `clawops watch` on the freed store to the same line (what a service manager restarting the
// dead leader would at best achieve). The leader here is a process of the same host: the standby
// sees it is gone at its next poll (1 s). A leader on another host is taken over once its lease
// lapses, 12 s after its last renewal (test/unit/engine/lease.test.ts proves the bound).
//
//   node bench/watch-takeover.js
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const root = join(import.meta.dirname, '..')
const bin = join(root, 'bin', 'clawops.js')
const work = mkdtempSync(join(tmpdir(), 'clawops-bench-watch-'))
const env = { ...process.env, CLAWOPS_HOME: work, CLAWOPS_LOG: 'off' }
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const RUNS = Number(process.env.RUNS ?? 10)

// No gateway listens here: the watch starts, and its links keep retrying, as on a cut-off host.
writeFileSync(join(work, 'config.json'), JSON.stringify({ gateway: { url: 'ws://127.0.0.1:9' } }))
const seeded = spawnSync(process.execPath, [bin, 'lab', 'seed', '--pairs', '100', '--seed', '3', '--json'], {
  env,
})
if (seeded.status !== 0) throw new Error(`seed failed: ${seeded.stdout}`)

function start(args) {
  const child = spawn(process.execPath, [bin, 'watch', '--no-http', ...args], { env })
  let err = ''
  const running = new Promise((resolve, reject) => {
    child.stderr.on('data', (d) => {
      err += d
      if (/watch running/.test(err)) resolve(performance.now())
    })
    child.on('exit', (c) => reject(new Error(`watch exited ${c}: ${err}`)))
  })
  running.catch(() => {})
  const standing = new Promise((resolve) => {
    const t = setInterval(() => {
      if (/standing by/.test(err)) {
        clearInterval(t)
        resolve()
      }
    }, 20)
    t.unref()
  })
  return { child, running, standing }
}

const stopped = (child) =>
  new Promise((r) => {
    if (child.exitCode !== null || child.signalCode !== null) return r()
    child.once('exit', () => r())
  })

const takeover = []
const restart = []
for (let i = 0; i < RUNS; i++) {
  const leader = start([])
  await leader.running
  const standby = start(['--standby'])
  await standby.standing
  const t0 = performance.now()
  leader.child.kill('SIGKILL')
  takeover.push((await standby.running) - t0)
  standby.child.kill('SIGTERM')
  await stopped(standby.child)
  await stopped(leader.child)

  const t1 = performance.now()
  const fresh = start([])
  restart.push((await fresh.running) - t1)
  fresh.child.kill('SIGTERM')
  await stopped(fresh.child)
}
const fmt = (xs) =>
  `median ${Math.round(median(xs))} ms (min ${Math.round(Math.min(...xs))}, max ${Math.round(Math.max(...xs))})`
console.log(`runs: ${RUNS}, fleet: 100 pairs`)
console.log(`SIGKILL of the leader → standby leading: ${fmt(takeover)}`)
console.log(`reference, a fresh watch started on the free store: ${fmt(restart)}`)
rmSync(work, { recursive: true, force: true })
