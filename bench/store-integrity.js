// What the store's integrity checks cost (issue 14): SQLite's quick_check (as `store backup` runs it
// on its copy) and integrity_check (as `audit verify` runs it) on stores of three sizes, the
// header/size check every open makes, and the commands that run them (`fleet status` with the
// on-open quick_check, `store backup`, `audit verify`, `store restore`). Measured through the
// commands: nothing here opens SQLite itself.
//
//   node bench/store-integrity.js                       # seeds 1,000 and 10,000 pairs (+30 days of history)
//   BIG=/path/to/fleet.db node bench/store-integrity.js # use an existing large store instead of seeding it
import { spawnSync } from 'node:child_process'
import { closeSync, copyFileSync, mkdtempSync, openSync, readSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const root = join(import.meta.dirname, '..')
const bin = join(root, 'bin', 'clawops.js')
const node = process.execPath
const work = mkdtempSync(join(tmpdir(), 'clawops-bench-store-'))
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

function cli(home, args) {
  const t0 = performance.now()
  const r = spawnSync(node, [bin, ...args, '--json'], {
    env: { ...process.env, CLAWOPS_HOME: home, CLAWOPS_LOG: 'off' },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  })
  const ms = performance.now() - t0
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stdout.slice(0, 400)}`)
  return { ms, json: JSON.parse(r.stdout) }
}

function seed(pairs, historyDays) {
  const home = join(work, `s${pairs}-${historyDays}`)
  const args = ['lab', 'seed', '--pairs', String(pairs)]
  if (historyDays) args.push('--history-days', String(historyDays))
  cli(home, args)
  return join(home, 'fleet.db')
}

/** The check times the commands report: `store backup` quick-checks its copy, `audit verify` runs integrity_check. */
function checks(path) {
  const home = mkdtempSync(join(work, 'checks-'))
  copyFileSync(path, join(home, 'fleet.db'))
  const quick = [0, 1, 2].map(
    (i) => cli(home, ['store', 'backup', '--to', join(home, `copy-${i}.db`)]).json.data.check.ms,
  )
  const integrity = cli(home, ['audit', 'verify']).json.data.integrity.ms
  rmSync(home, { recursive: true, force: true })
  return { quick: median(quick), integrity }
}

/** The header and size check of every open, in microseconds (stat + a 100-byte read). */
function headerCheckUs(path, n = 2000) {
  const buf = Buffer.alloc(100)
  const t0 = performance.now()
  for (let i = 0; i < n; i++) {
    statSync(path)
    statSync(`${path}-wal`, { throwIfNoEntry: false })
    const fd = openSync(path, 'r')
    readSync(fd, buf, 0, 100, 0)
    closeSync(fd)
  }
  return ((performance.now() - t0) / n) * 1000
}

const mb = (path) => +(statSync(path).size / 1024 / 1024).toFixed(1)

const stores = [
  { label: '1,000 pairs', path: seed(1000, 0) },
  { label: '10,000 pairs', path: seed(10000, 0) },
  { label: '10,000 pairs, 30 days of history', path: process.env.BIG ?? seed(10000, 30) },
]

const rows = []
for (const s of stores) {
  const c = checks(s.path)
  rows.push({
    store: s.label,
    mb: mb(s.path),
    headerCheckUs: +headerCheckUs(s.path).toFixed(1),
    quickCheckMs: c.quick,
    integrityCheckMs: c.integrity,
  })
}
console.table(rows)

// The commands, on the 1,000-pair store (quick_check on open) and the large one.
const small = join(work, 'cmd-small')
const big = join(work, 'cmd-big')
for (const [home, src] of [
  [small, stores[0].path],
  [big, stores[2].path],
]) {
  spawnSync('mkdir', ['-p', home])
  copyFileSync(src, join(home, 'fleet.db'))
}
const fleetStatus = median(Array.from({ length: 9 }, () => cli(small, ['fleet', 'status']).ms))
const nodeBaseline = median(
  Array.from({ length: 9 }, () => {
    const t0 = performance.now()
    spawnSync(node, ['-e', '0'])
    return performance.now() - t0
  }),
)
const backup = cli(big, ['store', 'backup'])
const verify = cli(big, ['audit', 'verify'])
const restore = cli(big, ['store', 'restore', backup.json.data.path, '--yes'])
console.table([
  {
    command: 'fleet status (1,000 pairs, quick_check on open)',
    ms: Math.round(fleetStatus),
    nodeMs: Math.round(nodeBaseline),
  },
  {
    command: `store backup (${mb(stores[2].path)} MB)`,
    ms: Math.round(backup.ms),
    inner: backup.json.data.ms,
    checkMs: backup.json.data.check.ms,
  },
  {
    command: 'audit verify (integrity_check + chain)',
    ms: Math.round(verify.ms),
    checkMs: verify.json.data.integrity.ms,
  },
  {
    command: 'store restore (integrity_check of the backup, swap)',
    ms: Math.round(restore.ms),
    checkMs: restore.json.data.check.ms,
  },
])
rmSync(work, { recursive: true, force: true })
