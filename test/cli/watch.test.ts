// biome-ignore-all lint/suspicious/noExplicitAny: the tests read JSON envelopes of many shapes
import { writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ERROR_CODES } from '../../src/lib/errors.js'
import { clawops, clawopsChild } from '../support/cli.js'
import { tempHome } from '../support/context.js'
import { freePort } from '../support/gateway-process.js'
import { FakeHooksGateway } from '../support/watch-fakes.js'

const TOKEN = 'cli-hooks-token'
let home: string
let gw: FakeHooksGateway
let status: Server
const env = (extra: Record<string, string> = {}) => ({
  CLAWOPS_HOME: home,
  OPENCLAW_GATEWAY_TOKEN: '',
  ...extra,
})

/** Runs the CLI without blocking this process (the fake servers live here). */
function run(
  args: string[],
  extra: Record<string, string> = {},
): Promise<{ code: number; json: any; stderr: string }> {
  return new Promise((resolve) => {
    const p = clawopsChild(args, env(extra))
    let out = ''
    let err = ''
    p.stdout.on('data', (d) => {
      out += d
    })
    p.stderr.on('data', (d) => {
      err += d
    })
    p.on('exit', (code) => {
      let json: unknown
      try {
        json = JSON.parse(out)
      } catch {
        json = undefined
      }
      resolve({ code: code ?? -1, json, stderr: err })
    })
  })
}

beforeAll(async () => {
  home = tempHome()
  gw = await new FakeHooksGateway({ token: TOKEN }).start()
  status = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(
      JSON.stringify({
        status: { indicator: 'minor', description: 'Minor Service Outage' },
        components: [{ name: 'Nuremberg (nbg1)', status: 'partial_outage' }],
        incidents: [
          { id: 'x1', name: 'Network issues in Nuremberg', status: 'investigating', impact: 'minor' },
        ],
      }),
    )
  })
  await new Promise<void>((r) => status.listen(0, '127.0.0.1', () => r()))
  const statusUrl = `http://127.0.0.1:${(status.address() as AddressInfo).port}/summary.json`
  writeFileSync(
    join(home, 'config.json'),
    JSON.stringify({
      gateway: { url: gw.url.replace('http:', 'ws:'), hooksTokenEnv: 'CLAWOPS_HOOKS_TOKEN' },
      // Every provider's page is this one (a test must not read the real providers' pages).
      watch: {
        statusPages: { hetzner: statusUrl },
        statusPageBase: statusUrl.replace('/summary.json', '/base'),
      },
    }),
  )
  expect(clawops(['lab', 'seed', '--pairs', '40', '--seed', '7', '--json'], env()).code).toBe(0)
})

afterAll(async () => {
  await gw.close()
  await new Promise<void>((r) => status.close(() => r()))
})

describe('clawops watch and friends, as agents call them', () => {
  it('prints a systemd unit for this home', () => {
    const r = clawops(['watch', '--heal', '--print-systemd'], env())
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^\[Unit\]/)
    expect(r.stdout).toMatch(/ExecStart=.*clawops\.js watch --heal --as guardian --json/)
    expect(r.stdout).toContain(`Environment=CLAWOPS_HOME=${home}`)
    expect(r.stdout).toContain('KillSignal=SIGTERM')
    expect((clawops(['watch', '--print-systemd', '--json'], env()).json as any).data.unit).toMatch(
      /\[Service\]/,
    )
  })

  it('refuses to sweep without the gateway and changes nothing', () => {
    const before = clawops(['fleet', 'status', '--json'], env()).json as any
    const r = clawops(['health', 'sweep', '--json'], env())
    expect(r.code).toBe(ERROR_CODES.GATEWAY_UNREACHABLE.exit)
    expect(r.json).toMatchObject({
      ok: false,
      error: { code: 'GATEWAY_UNREACHABLE', hint: expect.stringMatching(/OPENCLAW_GATEWAY_TOKEN/) },
    })
    expect((clawops(['fleet', 'status', '--json'], env()).json as any).data.byState).toEqual(
      before.data.byState,
    )
  })

  it('plans a heal and a failover with --dry-run, and refuses what policy forbids', () => {
    const list = clawops(['instance', 'list', '--json', '-l', 'role=primary,state=DEGRADED'], env())
      .json as any
    const sick = list.data.instances[0]
    const heal = clawops(['heal', sick.id, '--dry-run', '--as', 'guardian', '--json'], env())
    expect(heal.code).toBe(0)
    expect((heal.json as any).data.plan.steps.map((s: any) => s.name)).toEqual([
      'verify',
      'restart',
      'confirm',
      'escalate',
    ])
    const fo = clawops(['failover', sick.pairId, '--dry-run', '--as', 'guardian', '--json'], env())
    expect(fo.code).toBe(0)
    expect((fo.json as any).data.policy.decision).toBe('allow')
    const triage = clawops(['heal', sick.id, '--as', 'triage', '--json'], env())
    expect(triage.code).toBe(ERROR_CODES.POLICY_DENIED.exit)
    expect(clawops(['heal', 'i-nothere', '--json'], env()).code).toBe(ERROR_CODES.NOT_FOUND.exit)
    const broken = clawops(['instance', 'list', '--json', '-l', 'role=standby,state=FAILED'], env())
      .json as any
    const deny = clawops(['failover', broken.data.instances[0].pairId, '--as', 'guardian', '--json'], env())
    expect(deny.json).toMatchObject({
      error: {
        code: 'POLICY_DENIED',
        details: { rules: expect.arrayContaining(['standby-active-before-failover']) },
      },
    })
  })

  it('adds, lists and removes silences, audited, with policy', () => {
    const add = clawops(
      [
        'silence',
        'add',
        '--provider',
        'hetzner',
        '--region',
        'nbg1',
        '--event',
        'INSTANCE_DEGRADED',
        '--for',
        '30m',
        '--reason',
        'nbg1 incident',
        '--as',
        'guardian',
        '--json',
      ],
      env(),
    )
    expect(add.code).toBe(0)
    const id = (add.json as any).data.silence.id as string
    expect((add.json as any).data.silence).toMatchObject({
      provider: 'hetzner',
      region: 'nbg1',
      eventType: 'INSTANCE_DEGRADED',
      createdBy: 'guardian',
    })
    expect(
      (clawops(['silence', 'list', '--json'], env()).json as any).data.silences.map((s: any) => s.id),
    ).toContain(id)
    expect(clawops(['silence', 'add', '--for', '30m', '--reason', 'x', '--json'], env()).code).toBe(
      ERROR_CODES.INVALID_INPUT.exit,
    )
    expect(
      clawops(['silence', 'add', '--provider', 'hetzner', '--for', '10s', '--reason', 'x', '--json'], env())
        .code,
    ).toBe(ERROR_CODES.INVALID_INPUT.exit)
    expect(clawops(['silence', 'remove', id, '--as', 'triage', '--json'], env()).code).toBe(
      ERROR_CODES.POLICY_DENIED.exit,
    )
    expect(clawops(['silence', 'remove', id, '--as', 'guardian', '--json'], env()).code).toBe(0)
    expect((clawops(['silence', 'list', '--json'], env()).json as any).data.silences).toEqual([])
    expect(
      (clawops(['silence', 'list', '--all', '--json'], env()).json as any).data.silences[0],
    ).toMatchObject({ id, active: false })
    const audit = clawops(['audit', 'log', '--action', 'silence', '--json'], env()).json as any
    expect(audit.data.entries.length).toBeGreaterThan(0)
  })

  it('watch --once delivers what it found to the agents once, and never twice across runs', async () => {
    const first = await run(['watch', '--once', '--json'], { CLAWOPS_HOOKS_TOKEN: TOKEN })
    expect(first.code, first.stderr).toBe(0)
    expect(first.json.data).toMatchObject({
      mode: 'once',
      sweep: { skipped: expect.stringMatching(/no gateway token/) },
    })
    expect(first.json.data.pairsFailed).toBeGreaterThan(0)
    expect(first.json.data.delivery.events).toBeGreaterThan(0)
    const runs = gw.runs.length
    expect(gw.runs.some((r) => r.sessionKey === 'clawops:guardian' && /PAIR_FAILED/.test(r.message))).toBe(
      true,
    )
    const second = await run(['watch', '--once', '--json'], { CLAWOPS_HOOKS_TOKEN: TOKEN })
    expect(second.code).toBe(0)
    expect(second.json.data.delivery.events).toBe(0)
    expect(gw.runs.length).toBe(runs)
  })

  it('shows exposure with the provider status page, and incidents and the queue', async () => {
    const e = await run(['incident', 'exposure', '--provider', 'hetzner', '--region', 'nbg1', '--json'])
    expect(e.code, e.stderr).toBe(0)
    expect(e.json.data).toMatchObject({
      provider: 'hetzner',
      region: 'nbg1',
      providerStatus: { reachable: true, indicator: 'minor', regions: { nbg1: 'partial_outage' } },
    })
    expect(clawops(['incident', 'exposure', '--provider', 'aws', '--json'], env()).code).toBe(
      ERROR_CODES.INVALID_INPUT.exit,
    )
    // The lab fleet has regions with several bad instances: watch --once declared incidents, each after
    // checking the provider's status page.
    const incidents = (clawops(['incident', 'list', '--json'], env()).json as any).data.incidents
    expect(incidents.length).toBeGreaterThan(0)
    const report = clawops(['incident', 'report', incidents[0].id, '--json'], env()).json as any
    expect(report.data.timeline.map((t: any) => t.kind)).toContain('provider-status')
    expect(report.data.suspectedRootCause.summary).toBeTruthy()
    const text = clawops(['incident', 'report', incidents[0].id], env())
    expect(text.stdout).toMatch(/## Timeline[\s\S]*## Action items/)
    expect(clawops(['incident', 'report', 'inc-nothere', '--json'], env()).code).toBe(
      ERROR_CODES.NOT_FOUND.exit,
    )
    expect((clawops(['reprovision', 'list', '--json'], env()).json as any).data).toEqual({
      depth: 0,
      items: [],
    })
  })

  it('runs as a daemon with its own /healthz and stops cleanly on SIGTERM', async () => {
    const port = await freePort()
    const p = clawopsChild(
      ['watch', '--listen', `127.0.0.1:${port}`, '--json'],
      env({ CLAWOPS_HOOKS_TOKEN: TOKEN }),
    )
    let out = ''
    p.stdout.on('data', (d) => {
      out += d
    })
    let health: any
    // Until the first cycle has run (on a loaded machine /healthz answers before it ends).
    for (let i = 0; i < 200 && !health?.body?.lastCycle; i++) {
      await new Promise((r) => setTimeout(r, 100))
      health = await fetch(`http://127.0.0.1:${port}/healthz`)
        .then(async (r) => ({ status: r.status, body: await r.json() }))
        .catch(() => undefined)
    }
    // Without the gateway the sweep cannot run: watch says so instead of claiming health.
    expect(health).toMatchObject({
      status: 503,
      body: { ok: false, problems: expect.arrayContaining([expect.stringMatching(/sweep skipped/)]) },
    })
    const code = await new Promise<number | null>((resolve) => {
      p.on('exit', (c) => resolve(c))
      p.kill('SIGTERM')
    })
    expect(code).toBe(0)
    expect(JSON.parse(out)).toMatchObject({
      ok: true,
      data: { mode: 'daemon', stoppedBy: 'SIGTERM', cycles: 1 },
    })
  })
})
