/**
 * The ways to get a `clawops` command: `bin/` on the PATH (the `bin/clawops` shim, also through a
 * symlink), and the packed tarball (`npm pack`) installed into an empty prefix with the project's
 * Node 24 and npm, as on a fresh machine: it answers --version and reads a seeded home.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { readdirSync, realpathSync, symlinkSync } from 'node:fs'
import { delimiter, dirname, join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { tempHome } from '../support/context.js'

const root = join(import.meta.dirname, '..', '..')
const nodeDir = dirname(process.execPath)

function sh(cmd: string, args: string[], env: Record<string, string>) {
  return spawnSync(cmd, args, {
    encoding: 'utf8',
    timeout: 240_000,
    env: { ...process.env, CLAWOPS_LOG: 'off', NO_COLOR: '1', ...env },
  })
}

describe('bin/ on the PATH', () => {
  it('runs clawops by name, directly and through a symlink', () => {
    const home = tempHome()
    const PATH = [join(root, 'bin'), nodeDir, process.env.PATH].join(delimiter)
    const v = sh('clawops', ['--version'], { PATH })
    expect(v.status, v.stderr).toBe(0)
    expect(v.stdout).toMatch(/^clawops\/\d+\.\d+\.\d+ /)
    const links = tempHome()
    symlinkSync(join(root, 'bin', 'clawops'), join(links, 'clawops'))
    const s = sh('clawops', ['fleet', 'status', '--json'], {
      PATH: [links, nodeDir, process.env.PATH].join(delimiter),
      CLAWOPS_HOME: home,
    })
    expect(s.status, s.stderr).toBe(0)
    expect(JSON.parse(s.stdout)).toMatchObject({ ok: true, data: { pairs: 0 } })
  })
})

describe('the packed tarball', () => {
  it('installs into an empty prefix and runs there', () => {
    const work = tempHome()
    // The build is already in dist/ (npm test builds first); prepack would rebuild it under the
    // other tests' feet.
    execFileSync(process.execPath, [npmCli(), 'pack', '--ignore-scripts', '--pack-destination', work], {
      cwd: root,
      stdio: 'ignore',
    })
    const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'))
    expect(tarball).toMatch(/^clawops-\d+\.\d+\.\d+\.tgz$/)
    const prefix = join(work, 'prefix')
    const PATH = [join(prefix, 'bin'), nodeDir, '/usr/bin', '/bin'].join(delimiter)
    const install = sh(
      process.execPath,
      [npmCli(), 'install', '-g', '--prefix', prefix, join(work, tarball!), '--no-audit', '--no-fund'],
      {
        PATH,
        npm_config_cache: join(work, 'npm-cache'),
      },
    )
    expect(install.status, install.stderr.slice(-3000)).toBe(0)

    const v = sh('clawops', ['--version'], { PATH })
    expect(v.status, v.stderr).toBe(0)
    expect(v.stdout).toMatch(/^clawops\/\d+\.\d+\.\d+ /)
    const home = join(work, 'home')
    expect(
      sh('clawops', ['lab', 'seed', '--pairs', '12', '--json'], { PATH, CLAWOPS_HOME: home }).status,
    ).toBe(0)
    const s = sh('clawops', ['fleet', 'status', '--json'], { PATH, CLAWOPS_HOME: home })
    expect(s.status, s.stderr).toBe(0)
    expect(JSON.parse(s.stdout)).toMatchObject({ ok: true, data: { pairs: 12, instances: 24 } })
    // Its help and man pages came along.
    const h = sh('clawops', ['instance', 'list', '--help'], { PATH })
    expect(h.stdout).toMatch(/EXAMPLES/)
    expect(readdirSync(join(prefix, 'lib', 'node_modules', 'clawops', 'man')).length).toBeGreaterThan(50)
  }, 300_000)
})

/** npm's CLI script: the one running `npm test`, else the npm on the PATH (run under our Node 24). */
function npmCli(): string {
  const running = process.env.npm_execpath
  if (running?.endsWith('.js')) return running
  const onPath = spawnSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).stdout.trim()
  return realpathSync(onPath)
}
