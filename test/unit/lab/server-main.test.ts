/**
 * server.main.ts as its own process: bundled the way scripts/build.js bundles it, started with a
 * state directory, reporting its addresses as one JSON line, serving, and stopping cleanly on
 * SIGTERM with its state on disk.
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { build } from 'esbuild'
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { STATE_FILE } from '../../../src/lib/lab/cloud/state-file.js'

const root = join(import.meta.dirname, '..', '..', '..')
// Inside node_modules so the bundle's external imports (pino) resolve like dist/ does.
const out = join(root, 'node_modules', '.cache', 'clawops-test', `lab-cloud-${process.pid}`)
const dir = mkdtempSync(join(tmpdir(), 'clawops-lab-main-'))

beforeAll(async () => {
  await build({
    entryPoints: [join(root, 'src/lib/lab/cloud/server.main.ts')],
    outdir: out,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node24',
    external: ['pino'],
    banner: {
      js: "import { createRequire as __r } from 'node:module'; const require = __r(import.meta.url);",
    },
    logLevel: 'silent',
  })
}, 30_000)
afterAll(() => {
  rmSync(out, { recursive: true, force: true })
  rmSync(dir, { recursive: true, force: true })
})

describe('lab cloud process', () => {
  it('prints one ready line, serves the APIs and exits 0 on SIGTERM with state saved', async () => {
    const child = spawn(
      process.execPath,
      [join(out, 'server.main.js'), '--dir', dir, '--port', '0', '--boot-ms', '20'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, CLAWOPS_LOG: 'off' },
      },
    )
    let stderr = ''
    child.stderr.on('data', (d) => {
      stderr += String(d)
    })
    const lines = createInterface({ input: child.stdout })
    const [first] = (await once(lines, 'line')) as [string]
    const ready = JSON.parse(first)
    expect(ready).toMatchObject({ event: 'ready', pid: child.pid, dir })
    expect(ready.hetzner.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/hetzner\/v1$/)
    expect(ready.contabo.authUrl).toMatch(/openid-connect\/token$/)

    // No credentials file given: the process generated one (mode 0600) and checks requests against it.
    const credsFile = join(dir, 'credentials.json')
    expect(statSync(credsFile).mode & 0o777).toBe(0o600)
    const creds = JSON.parse(readFileSync(credsFile, 'utf8'))
    expect(first).not.toContain(creds.hetzner.token)
    const wrong = await request(`${ready.hetzner.baseUrl}/servers`, {
      headers: { authorization: 'Bearer t' },
    })
    expect(wrong.statusCode).toBe(401)
    expect(await wrong.body.json()).toMatchObject({ error: { code: 'unauthorized' } })

    const res = await request(`${ready.hetzner.baseUrl}/servers`, {
      method: 'POST',
      headers: { authorization: `Bearer ${creds.hetzner.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'claw-proc-1',
        server_type: 'cx23',
        image: 'ubuntu-24.04',
        location: 'nbg1',
      }),
    })
    expect(res.statusCode).toBe(201)
    await res.body.dump()

    child.kill('SIGTERM')
    const [code] = (await once(child, 'exit')) as [number]
    expect(code, stderr).toBe(0)
    expect(existsSync(join(dir, STATE_FILE))).toBe(true)
    const state = JSON.parse(readFileSync(join(dir, STATE_FILE), 'utf8'))
    expect(state.servers.map((s: { name: string }) => s.name)).toEqual(['claw-proc-1'])
  }, 20_000)

  it.each([
    [['--port', 'abc'], /--port must be a non-negative integer/],
    [['--driver', 'nope'], /unknown boot driver "nope" \(known: instant, clawnode, clawnode-virtual\)/],
  ])('fails with a message on a bad argument %j', async (args, message) => {
    const child = spawn(process.execPath, [join(out, 'server.main.js'), '--dir', dir, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, CLAWOPS_LOG: 'off' },
    })
    let stderr = ''
    child.stderr.on('data', (d) => {
      stderr += String(d)
    })
    const [code] = (await once(child, 'exit')) as [number]
    expect(code).toBe(1)
    expect(stderr).toMatch(message)
  })
})
