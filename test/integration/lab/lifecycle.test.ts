// The pair lifecycle end to end in the lab, through the built CLI as an agent or a shell runs it:
// `lab up` (a real OpenClaw gateway, the provider APIs on loopback, servers booting real gf-clawnode
// processes from their cloud-init), provision, every instance command of issue 4, the safety
// refusals, resize in place and by replacement, teardown with the archive, and lab down/up.

import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { verifyWebhook } from '../../../src/lib/events/webhook-signature.js'
import { clawops, clawopsAsync } from '../../support/cli.js'
import { tempHome } from '../../support/context.js'

// biome-ignore lint/suspicious/noExplicitAny: JSON envelopes, checked by the assertions
type Json = any

const home = tempHome()
const SECRET = `whsec_${Buffer.from('companion-test-secret-0123456789').toString('base64')}`
const env = { CLAWOPS_HOME: home, CLAWOPS_COMPANION_SECRET: SECRET }
const run = (...args: string[]) => clawops([...args, '--json'], env)
const ok = (...args: string[]): Json => {
  const r = run(...args)
  expect(r.code, `${args.join(' ')}: ${r.stdout}${r.stderr}`).toBe(0)
  return (r.json as Json).data
}
const fails = (code: string, ...args: string[]): Json => {
  const r = run(...args)
  expect((r.json as Json)?.error?.code, `${args.join(' ')}: ${r.stdout}${r.stderr}`).toBe(code)
  return (r.json as Json).error
}

let companion: Server
const received: { verified: boolean; body: Json }[] = []
let pairs: { pairId: string; userId: string }[] = []
const members = (pairId: string): Json[] => ok('instance', 'list', '-l', `pair=${pairId}`).instances
/** `lab up` starts a real gateway: on a busy machine that takes longer than the CLI helper's minute. */
const labUp = async (...args: string[]): Promise<Json> => {
  const res = await clawopsAsync(['lab', 'up', ...args, '--json'], env)
  expect(res.code, `lab up: ${res.stdout}${res.stderr}`).toBe(0)
  return (res.json as Json).data
}

beforeAll(async () => {
  companion = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c) => chunks.push(c))
    req.on('end', () => {
      const raw = Buffer.concat(chunks)
      const v = verifyWebhook(raw, req.headers, { current: SECRET, previous: null })
      received.push({ verified: v.ok, body: JSON.parse(raw.toString('utf8')) })
      res.writeHead(v.ok ? 200 : 401).end()
    })
  })
  await new Promise<void>((r) => companion.listen(0, '127.0.0.1', () => r()))
  const port = (companion.address() as { port: number }).port
  writeFileSync(
    join(home, 'config.json'),
    JSON.stringify({ companion: { webhookUrl: `http://127.0.0.1:${port}/hooks/clawops` } }),
  )
  const up = await labUp('--boot-seconds', '1')
  expect(up).toMatchObject({
    running: true,
    gateway: { alive: true },
    cloud: { alive: true, driver: 'clawnode' },
  })
})

afterAll(async () => {
  clawops(['lab', 'down'], env)
  companion?.close()
})

describe('the lab and the pair lifecycle', () => {
  it('provisions pairs on two providers that boot, join the gateway and turn ACTIVE, and tells COMPANION, signed', async () => {
    // Asynchronously: COMPANION is served from this process, which must keep answering meanwhile.
    const res = await clawopsAsync(
      [
        'provision',
        '--count',
        '2',
        '--tier',
        'standard',
        '--region',
        'eu',
        '--primary',
        'hetzner',
        '--standby',
        'vultr',
        '--json',
      ],
      env,
    )
    expect(res.code, res.stdout + res.stderr).toBe(0)
    const r = (res.json as Json).data
    expect(r.status).toBe('done')
    pairs = r.pairs
    expect(pairs).toHaveLength(2)
    const status = ok('fleet', 'status')
    expect(status).toMatchObject({
      pairs: 2,
      instances: 4,
      byState: { ACTIVE: 4 },
      byProvider: { hetzner: 2, vultr: 2 },
    })
    const nodes = ok('node', 'list')
    expect(nodes.counts).toMatchObject({ connected: 4, unknownNodes: 0 })
    expect(received).toHaveLength(1)
    expect(received[0]).toMatchObject({
      verified: true,
      body: { type: 'provision.completed', data: { pairs: [{ state: 'done' }, { state: 'done' }] } },
    })
    // Nothing secret reached the journal or the audit trail.
    const db = new DatabaseSync(join(home, 'fleet.db'))
    const dump = JSON.stringify([
      db.prepare('SELECT * FROM audit').all(),
      db.prepare('SELECT * FROM op_steps').all(),
    ])
    db.close()
    const gwToken = readFileSync(join(home, 'lab', 'secrets', 'gateway.token'), 'utf8')
    expect(dump).not.toContain(gwToken)
    expect(dump).not.toMatch(/bootstrapToken|joinSecret/)
  })

  it('answers the instance commands through gf-clawnode', () => {
    const [primary] = members(pairs[0]!.pairId).filter((i: Json) => i.role === 'primary')
    const health = ok('instance', 'health', primary.id)
    expect(health.probe).toMatchObject({ reached: true, openclaw: { live: true, ready: true }, errors: [] })
    expect(health.score.score).toBeGreaterThan(50)
    expect(ok('instance', 'metrics', primary.id).result.cpu).toBeDefined()
    expect(ok('instance', 'logs', primary.id, '--lines', '5').result.lines).toBeInstanceOf(Array)
    const conf = ok('instance', 'config', 'get', primary.id).result
    expect(conf.config.gateway.auth.token).toBe('[redacted]')
    const candidate = join(home, 'candidate.json')
    writeFileSync(candidate, JSON.stringify({ ...conf.config, model: { primary: 'moonshot/kimi-k2.5' } }))
    const diff = ok('instance', 'config', 'diff', primary.id, '--file', candidate).result
    expect(diff.changes).toEqual([expect.objectContaining({ path: 'model', op: 'add' })])
    const restart = ok('instance', 'restart', primary.id)
    expect(restart.steps[0]).toMatchObject({ state: 'done', result: { healthy: true } })
    const exec = clawops(['instance', 'exec', primary.id, '--json', '--', 'df', '-h'], env).json as Json
    expect(exec.data.steps[0].result.exitCode).toBe(0)
    const bulk = ok('restart', '-l', 'provider=vultr', '--concurrency', '2')
    expect(bulk.steps.map((s: Json) => s.state)).toEqual(['done', 'done'])
    expect(ok('gateway', 'setup', '--dry-run').summary).toMatch(/already set up/)
  })

  it('refuses what is unsafe, and audits the refusal', () => {
    const [primary] = members(pairs[0]!.pairId).filter((i: Json) => i.role === 'primary')
    const execJson = (...argv: string[]) =>
      clawops(['instance', 'exec', primary.id, '--json', '--', ...argv], env).json as Json
    const shell = execJson('ls;rm', '-rf', '/')
    expect(shell.error).toMatchObject({ code: 'POLICY_DENIED', details: { rules: ['exec-argv-only'] } })
    expect(execJson('cat', '/etc/shadow').error.code).toBe('POLICY_DENIED')
    fails('POLICY_DENIED', 'teardown', '-l', `pair=${pairs[0]!.pairId}`, '--as', 'guardian')
    fails('CONFIRMATION_REQUIRED', 'teardown', '-l', `pair=${pairs[0]!.pairId}`, '--as', 'commander')
    fails(
      'CONFIRMATION_REQUIRED',
      'provision',
      '--count',
      '11',
      '--tier',
      'nano',
      '--region',
      'eu',
      '--as',
      'forge',
    )
    // Rule 1: the ACTIVE primary may not go while its standby is not ACTIVE.
    const standby = members(pairs[0]!.pairId).find((i: Json) => i.role === 'standby')
    const db = new DatabaseSync(join(home, 'fleet.db'))
    db.prepare("UPDATE instances SET state = 'DEGRADED' WHERE id = ?").run(standby.id)
    db.close()
    const denied = fails('POLICY_DENIED', 'teardown', primary.id)
    expect(denied.details.rules).toContain('standby-active-before-teardown')
    const db2 = new DatabaseSync(join(home, 'fleet.db'))
    db2.prepare("UPDATE instances SET state = 'ACTIVE' WHERE id = ?").run(standby.id)
    db2.close()
    const log = ok('audit', 'log', '--limit', '50').entries.filter((e: Json) => e.outcome === 'denied')
    expect(log.map((e: Json) => e.actor)).toEqual(expect.arrayContaining(['guardian', 'operator']))
  })

  it('resizes with zero downtime: in place where the provider can, by replacement with the user state moved where not', () => {
    const pairId = pairs[1]!.pairId
    const up = ok('resize', '--tier', 'pro', '-l', `pair=${pairId}`)
    expect(up.status).toBe('done')
    let now = members(pairId)
    expect(now.map((i: Json) => [i.tier, i.state])).toEqual([
      ['pro', 'ACTIVE'],
      ['pro', 'ACTIVE'],
    ])
    // A marker in the Vultr member's user state must survive the move to a new server.
    const vultr = now.find((i: Json) => i.provider === 'vultr')
    const nodeDir = readdirSync(join(home, 'lab', 'cloud', 'nodes')).find(
      (d) => d === `vultr-${vultr.providerId}`,
    )!
    writeFileSync(
      join(home, 'lab', 'cloud', 'nodes', nodeDir, 'root', 'opt', 'openclaw', 'state', 'memory.md'),
      'remember the milk\n',
    )
    const down = ok('resize', '--tier', 'nano', '-l', `pair=${pairId}`)
    expect(down.status).toBe('done')
    now = members(pairId)
    expect(now).toHaveLength(2)
    expect(now.every((i: Json) => i.tier === 'nano' && i.state === 'ACTIVE')).toBe(true)
    const replacement = now.find((i: Json) => i.provider === 'vultr')
    expect(replacement.id).not.toBe(vultr.id)
    const moved = join(
      home,
      'lab',
      'cloud',
      'nodes',
      `vultr-${replacement.providerId}`,
      'root',
      'opt',
      'openclaw',
      'state',
      'memory.md',
    )
    expect(readFileSync(moved, 'utf8')).toBe('remember the milk\n')
    expect(ok('pair', 'status', pairId).pairs[0]).toMatchObject({ serving: true, standbyReady: true })
  })

  it('tears a pair down: archive first, audit before every provider delete, servers gone', () => {
    const pairId = pairs[0]!.pairId
    const before = members(pairId)
    const r = ok('teardown', '-l', `pair=${pairId}`)
    expect(r.status).toBe('done')
    const archive = r.steps[0].result.archive
    expect(existsSync(archive.location)).toBe(true)
    expect(ok('instance', 'list', '-l', `pair=${pairId}`).instances).toHaveLength(0)
    const entries = ok('audit', 'log', '--op', r.opId, '--limit', '50').entries
    for (const i of before) {
      const del = entries.findIndex((e: Json) => e.action === 'provider.delete' && e.target === i.id)
      expect(del).toBeGreaterThan(-1)
    }
    expect(ok('audit', 'verify').ok).toBe(true)
    const status = ok('lab', 'status')
    expect(status.cloud.servers.hetzner ?? 0).toBe(1)
  })

  it('keeps its state across lab down and up: the nodes come back without being paired again', async () => {
    ok('lab', 'down')
    expect(ok('lab', 'status').running).toBe(false)
    await labUp()
    const pairId = pairs[1]!.pairId
    const [primary] = members(pairId).filter((i: Json) => i.role === 'primary')
    let health: Json
    for (let i = 0; i < 40; i++) {
      const r = run('instance', 'health', primary.id)
      health = (r.json as Json)?.data
      if (health?.probe?.reached) break
      await new Promise((res) => setTimeout(res, 1_000))
    }
    expect(health.probe.reached).toBe(true)
    expect(ok('node', 'approve').decisions.filter((d: Json) => d.action === 'approved')).toHaveLength(0)
  })
})
