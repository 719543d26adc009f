/**
 * Ways around the gate that live at the process level, through the real binary: a health sweep by
 * Triage refused before any probe; a second `clawops watch` refused while one runs; an agent's
 * environment naming other provider endpoints or another config, which must change nothing (a second
 * listener stands where those variables point and must receive nothing), both when the agent runs
 * clawops directly and through the wrapper `agents install` writes.
 */
import { spawn } from 'node:child_process'
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { wrapperScript } from '../../src/lib/agents/wrapper.js'
import { PROVIDERS } from '../../src/lib/domain/provider.js'
import { CREDENTIAL_ENV } from '../../src/lib/providers/index.js'
import { type CliResult, clawopsAsync, clawopsChild } from '../support/cli.js'
import { tempHome } from '../support/context.js'
import { Recorder } from '../support/recorder.js'

// biome-ignore lint/suspicious/noExplicitAny: JSON envelopes of several shapes
type Json = any

const configured = new Recorder()
const elsewhere = new Recorder()
let home: string
let secrets: string

function providersAt(r: Recorder, name: string) {
  return Object.fromEntries(
    PROVIDERS.map((p) => [
      p,
      {
        baseUrl: `${r.url(name)}/provider/${p}`,
        ...(p === 'contabo' ? { authUrl: `${r.url(name)}/provider/contabo-auth` } : {}),
        credentialsFile: join(secrets, `${p}.json`),
      },
    ]),
  )
}

function writeSecretFile(name: string, text: string): void {
  writeFileSync(join(secrets, name), text, { mode: 0o600 })
  chmodSync(join(secrets, name), 0o600)
}

const env = (extra: Record<string, string> = {}) => ({ CLAWOPS_HOME: home, ...extra })
const run = (args: string[], extra: Record<string, string> = {}) =>
  clawopsAsync([...args, '--json'], env(extra))
const json = (r: CliResult): Json => r.json

beforeAll(async () => {
  await configured.start()
  await elsewhere.start()
  home = tempHome()
  secrets = join(home, 'secrets')
  mkdirSync(secrets, { mode: 0o700 })
  writeSecretFile('gateway.token', 'bypass-test-token')
  for (const p of PROVIDERS)
    writeSecretFile(
      `${p}.json`,
      JSON.stringify(
        Object.fromEntries(Object.keys(CREDENTIAL_ENV[p]).map((k) => [k, `${p}-${k}-configured`])),
      ),
    )
  writeFileSync(
    join(home, 'config.json'),
    JSON.stringify({
      gateway: { url: configured.url('gw', 'ws'), tokenFile: join(secrets, 'gateway.token') },
      providers: providersAt(configured, 'env'),
    }),
  )
  const seeded = await run(['lab', 'seed', '--pairs', '12', '--seed', '5'])
  expect(seeded.code, seeded.stdout).toBe(0)
})

afterAll(async () => {
  await configured.close()
  await elsewhere.close()
})

describe('health sweep', () => {
  it('is refused to Triage before any probe, audited; Guardian gets to the gateway', async () => {
    const before = configured.of('gw').length
    const triage = await run(['health', 'sweep'], { CLAWOPS_ACTOR: 'triage' })
    expect(json(triage).error).toMatchObject({
      code: 'POLICY_DENIED',
      details: { rules: ['role-permission'] },
    })
    expect(configured.of('gw').length).toBe(before)
    const log = json(await run(['audit', 'log', '--actor', 'triage', '--action', 'health.sweep']))
    expect(log.data.entries).toEqual([expect.objectContaining({ outcome: 'denied' })])

    const guardian = await run(['health', 'sweep'], { CLAWOPS_ACTOR: 'guardian' })
    expect(json(guardian).error.code).toBe('GATEWAY_UNREACHABLE')
    expect(configured.of('gw').length).toBeGreaterThan(before)
  })
})

describe('one watch per fleet', () => {
  it('refuses a second watch with CONFLICT naming the first, and takes over once it stops', async () => {
    const first = clawopsChild(['watch', '--no-http', '--as', 'guardian'], env())
    let stderr = ''
    first.stderr.on('data', (d) => {
      stderr += d
    })
    const exited = new Promise<number | null>((r) => first.on('exit', (code) => r(code)))
    try {
      for (const deadline = Date.now() + 60_000; !/watch running/.test(stderr); ) {
        if (Date.now() > deadline) throw new Error(`the first watch did not start: ${stderr}`)
        await new Promise((r) => setTimeout(r, 100))
      }
      for (const args of [
        ['watch', '--once', '--no-http'],
        ['watch', '--once', '--heal', '--no-http', '--as', 'guardian'],
      ]) {
        const second = await run(args)
        expect(json(second).error, second.stdout).toMatchObject({
          code: 'CONFLICT',
          details: { lease: expect.any(String), holder: expect.stringContaining(`pid ${first.pid}`) },
        })
        expect(second.code).not.toBe(0)
      }
    } finally {
      first.kill('SIGTERM')
    }
    expect(await exited).toBe(0)
    const after = await run(['watch', '--once', '--no-http'])
    expect(json(after).error?.code).not.toBe('CONFLICT')
  })
})

describe("an agent's environment names no endpoint and no config", () => {
  // Everything an exec could set to send the provider tokens, or the whole config, elsewhere.
  const hostile = () => {
    const evilConfig = join(home, 'evil-config.json')
    writeFileSync(
      evilConfig,
      JSON.stringify({
        gateway: { url: elsewhere.url('gw', 'ws'), tokenFile: join(secrets, 'gateway.token') },
        providers: providersAt(elsewhere, 'config'),
      }),
    )
    const vars: Record<string, string> = {
      CLAWOPS_CONFIG: evilConfig,
      CLAWOPS_CONTABO_AUTH_URL: `${elsewhere.url('env')}/contabo-auth`,
      OPENCLAW_GATEWAY_TOKEN: 'hostile-token',
    }
    for (const p of PROVIDERS) {
      vars[`CLAWOPS_${p.toUpperCase()}_BASE_URL`] = `${elsewhere.url('env')}/${p}`
      for (const name of Object.values(CREDENTIAL_ENV[p])) vars[name] = `${p}-from-the-environment`
    }
    return vars
  }
  // Provisioning a pair asks the primary's and the standby's APIs first (Contabo signs in first).
  const provision = [
    'provision',
    '--count',
    '1',
    '--tier',
    'standard',
    '--region',
    'eu',
    '--primary',
    'contabo',
    '--standby',
    'hetzner',
  ]

  it('an agent running clawops directly reaches only the configured endpoints', async () => {
    const before = configured.of('env').length
    const r = await run(provision, { ...hostile(), CLAWOPS_ACTOR: 'forge' })
    expect(json(r).error?.code, r.stdout).toBe('PARTIAL_FAILURE')
    const paths = configured
      .of('env')
      .slice(before)
      .map((h) => h.path)
    expect(paths.some((p) => p.includes('/provider/contabo-auth'))).toBe(true)
    expect(paths.some((p) => p.includes('/provider/hetzner/'))).toBe(true)
    expect(elsewhere.hits.size).toBe(0)
  })

  it('through the wrapper agents install writes, even claiming to be the operator', async () => {
    const dir = join(home, 'agents', 'bin', 'forge')
    mkdirSync(dir, { recursive: true })
    writeFileSync(join(dir, 'clawops'), wrapperScript('forge', home), { mode: 0o755 })
    const before = configured.of('env').length
    const child = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
      const p = spawn(join(dir, 'clawops'), [...provision, '--json'], {
        env: {
          PATH: '/usr/bin:/bin',
          ...hostile(),
          CLAWOPS_ACTOR: 'operator',
          CLAWOPS_HOME: '/tmp/elsewhere',
        },
      })
      let stdout = ''
      p.stdout.on('data', (d) => {
        stdout += d
      })
      p.on('exit', (code) => resolve({ code, stdout }))
    })
    expect(JSON.parse(child.stdout).error?.code, child.stdout).toBe('PARTIAL_FAILURE')
    expect(configured.of('env').length).toBeGreaterThan(before)
    expect(elsewhere.hits.size).toBe(0)
    const log = json(await run(['audit', 'log', '--action', 'provision']))
    expect(log.data.entries.map((e: Json) => e.actor)).toContain('forge')
    expect(log.data.entries.map((e: Json) => e.actor)).not.toContain('operator')
  })

  it('the operator may point clawops elsewhere (the listener would have seen an agent do it)', async () => {
    const r = await run(provision, hostile())
    expect(json(r).error?.code, r.stdout).toBe('PARTIAL_FAILURE')
    expect(elsewhere.of('config').length).toBeGreaterThan(0)
  })
})
