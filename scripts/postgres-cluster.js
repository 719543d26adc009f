// A throwaway PostgreSQL cluster for the tests and benchmarks: Debian's server binaries, a data
// directory in a temporary folder, a Unix socket there and a loopback port, trust authentication for
// local connections only, fsync off (nothing in it outlives the run). As root the server runs as the
// `postgres` user (it refuses root). CI and `npm test` start one when CLAWOPS_TEST_DATABASE_URL does
// not name a server already running.
//
//   node scripts/postgres-cluster.js start   prints `export CLAWOPS_TEST_DATABASE_URL=…; export CLAWOPS_TEST_PGDATA=…`
//   node scripts/postgres-cluster.js stop DIR
import { spawnSync } from 'node:child_process'
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** The directory of Debian's PostgreSQL binaries (the newest installed), or undefined. */
export function postgresBin() {
  const base = '/usr/lib/postgresql'
  if (!existsSync(base)) return undefined
  const versions = readdirSync(base)
    .filter((v) => existsSync(join(base, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a))
  return versions.length ? join(base, versions[0], 'bin') : undefined
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address()
      s.close(() => resolve(port))
    })
  })
}

function run(cmd, args, asPostgres) {
  const root = process.getuid?.() === 0
  const r =
    root && asPostgres
      ? spawnSync('runuser', ['-u', 'postgres', '--', cmd, ...args], { encoding: 'utf8' })
      : spawnSync(cmd, args, { encoding: 'utf8' })
  if (r.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr || r.stdout || r.error?.message}`)
  }
  return r.stdout
}

/** Starts a cluster; returns { url, dir }. */
export async function startCluster() {
  const bin = postgresBin()
  if (!bin) throw new Error('PostgreSQL is not installed (Debian: apt-get install postgresql)')
  const dir = mkdtempSync(join(tmpdir(), 'clawops-pg-'))
  const root = process.getuid?.() === 0
  if (root) {
    const id = (what) => Number(run('id', [what, 'postgres']).trim())
    chownSync(dir, id('-u'), id('-g'))
  }
  chmodSync(dir, 0o700)
  const data = join(dir, 'data')
  run(
    join(bin, 'initdb'),
    ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--locale=C', '--no-sync'],
    true,
  )
  const port = await freePort()
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300`
  run(join(bin, 'pg_ctl'), ['-D', data, '-o', options, '-l', join(dir, 'log'), '-w', 'start'], true)
  return { url: `postgresql://postgres@127.0.0.1:${port}/postgres`, dir }
}

export function stopCluster(dir) {
  const bin = postgresBin()
  if (bin && existsSync(join(dir, 'data'))) {
    try {
      run(join(bin, 'pg_ctl'), ['-D', join(dir, 'data'), '-m', 'immediate', '-w', 'stop'], true)
    } catch {
      // Already stopped: the folder goes all the same.
    }
  }
  rmSync(dir, { recursive: true, force: true })
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [cmd, dir] = process.argv.slice(2)
  if (cmd === 'start') {
    const c = await startCluster()
    console.log(`export CLAWOPS_TEST_DATABASE_URL=${c.url}; export CLAWOPS_TEST_PGDATA=${c.dir}`)
  } else if (cmd === 'stop' && dir) {
    stopCluster(dir)
  } else {
    console.error('usage: postgres-cluster.js start | stop DIR')
    process.exit(2)
  }
}
