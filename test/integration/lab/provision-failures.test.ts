// Provisioning that reports its failures, against the lab's fault injection: a server that never
// boots is replaced (its deletion audited first), the tries and create calls are counted per member
// and each phase is timed; a region outage ends in PROVISION_FAILED through watch's outbox after three
// tries and a signed `provision.failed` to COMPANION; progress carries an ETA. The lab boots virtual
// gf-clawnodes (the real node code, one process).
import { writeFileSync } from 'node:fs'
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
const SECRET = `whsec_${Buffer.from('companion-failures-secret-0123456').toString('base64')}`
const env = { CLAWOPS_HOME: home, CLAWOPS_COMPANION_SECRET: SECRET }
const ok = (...args: string[]): Json => {
  const r = clawops([...args, '--json'], env)
  expect(r.code, `${args.join(' ')}: ${r.stdout}${r.stderr}`).toBe(0)
  return (r.json as Json).data
}
let companion: Server
const received: { verified: boolean; body: Json }[] = []
let labUrl: string

async function fault(body: Record<string, unknown>): Promise<void> {
  const r = await fetch(`${labUrl}/_lab/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  expect(r.status).toBeLessThan(300)
}

function ndjson(stdout: string): Json[] {
  return stdout
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l))
}

const db = () => new DatabaseSync(join(home, 'fleet.db'), { readOnly: true })

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
    JSON.stringify({
      companion: { webhookUrl: `http://127.0.0.1:${port}/hooks/clawops` },
      provisioning: { bootTimeoutSeconds: 8 },
    }),
  )
  // Without the 60 s limit of a plain run: on a loaded machine the lab's gateway can take longer.
  const up = await clawopsAsync(
    ['lab', 'up', '--driver', 'clawnode-virtual', '--boot-seconds', '1', '--json'],
    env,
  )
  expect(up.code, up.stdout + up.stderr).toBe(0)
  labUrl = ok('lab', 'status').cloud.url
})

afterAll(() => {
  clawops(['lab', 'down'], env)
  companion?.close()
})

describe('provisioning that reports its failures', () => {
  it('replaces a server that never boots, counts the tries, times each phase and streams an ETA', async () => {
    await fault({ provider: 'hetzner', hangBoot: true, count: 1 })
    const r = await clawopsAsync(
      [
        'provision',
        '--count',
        '2',
        '--tier',
        'nano',
        '--region',
        'eu',
        '--primary',
        'hetzner',
        '--standby',
        'digitalocean',
        '--stream',
        '--json',
      ],
      env,
    )
    expect(r.code, r.stdout + r.stderr).toBe(0)
    const lines = ndjson(r.stdout)
    const result = lines.at(-1).data
    expect(result.status).toBe('done')
    const members: Json[] = result.steps
      .filter((s: Json) => s.name === 'pair')
      .flatMap((s: Json) => s.result.members)
    const replaced = members.filter((m) => m.tries === 2)
    expect(replaced).toHaveLength(1)
    expect(replaced[0]).toMatchObject({ provider: 'hetzner', createCalls: 2, active: true })
    for (const m of members) {
      expect(m.timings).toMatchObject({
        create: expect.any(Number),
        boot: expect.any(Number),
        join: expect.any(Number),
        health: expect.any(Number),
        totalMs: expect.any(Number),
      })
    }
    // Progress said which phase each member was in and how long it should still take.
    const progress = lines.filter((l) => l.type === 'progress')
    expect(progress.some((p) => p.phase === 'boot' && typeof p.etaMs === 'number')).toBe(true)
    expect(progress.some((p) => /try 1 failed while booting/.test(p.message))).toBe(true)

    // The hung server is gone, deleted after its audit entry; every server the lab holds is an instance's.
    const instances: Json[] = ok('instance', 'list').instances
    const labServers = ((await (await fetch(`${labUrl}/_lab/servers`)).json()) as Json).servers as Json[]
    const owned = new Set(instances.map((i) => `${i.provider}/${i.providerId}`))
    expect(labServers.filter((s) => !owned.has(`${s.provider}/${s.id}`))).toEqual([])
    const deletes = ok('audit', 'log', '--action', 'provider.delete').entries
    expect(deletes).toHaveLength(1)
    expect(deletes[0].details).toMatchObject({ provider: 'hetzner', reason: 'provisioning try 1 failed' })

    // The provider health score sees the retry and the phases.
    const d = db()
    const rows = d
      .prepare('SELECT provider, attempts, tries, outcome, boot_ms FROM provision_attempts ORDER BY provider')
      .all() as Json[]
    d.close()
    expect(rows).toHaveLength(4)
    expect(rows.filter((x) => x.tries === 2)).toEqual([
      expect.objectContaining({ provider: 'hetzner', attempts: 2, outcome: 'ok' }),
    ])
    expect(rows.every((x) => typeof x.boot_ms === 'number')).toBe(true)
    const health = ok('provider', 'health')
    const hz = health.providers.find((p: Json) => p.provider === 'hetzner')
    expect(hz.inputs.provisions).toMatchObject({ total: 2, retried: 1, failed: 0 })
    expect(hz.inputs.provisions.phases.boot).toEqual(expect.any(Number))
    expect(received.at(-1)).toMatchObject({ verified: true, body: { type: 'provision.completed' } })
  })

  it('gives up after three tries in a region outage: PROVISION_FAILED in the outbox, provision.failed to COMPANION', async () => {
    // The first pair's vultr standby goes to fra (the first of vultr's EU regions).
    await fault({ provider: 'vultr', region: 'fra', outage: true })
    // Asynchronously: COMPANION is served from this process, which must keep answering meanwhile.
    const r = await clawopsAsync(
      [
        'provision',
        '--count',
        '1',
        '--tier',
        'nano',
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
    expect(r.code, r.stdout).toBe(68)
    const err = (r.json as Json).error
    const failed = err.details.steps.find((s: Json) => s.name === 'pair' && s.state === 'failed')
    expect(failed.error).toMatchObject({ code: 'PROVIDER_ERROR', details: { tries: 3, phase: 'create' } })
    expect(failed.error.details.createCalls).toBeGreaterThanOrEqual(3)

    const d = db()
    const events = d
      .prepare("SELECT id, provider, region, payload FROM events WHERE type = 'PROVISION_FAILED'")
      .all() as Json[]
    expect(events).toHaveLength(1)
    const payload = JSON.parse(events[0].payload)
    expect(events[0]).toMatchObject({ provider: 'vultr', region: 'fra' })
    expect(payload.data).toMatchObject({ attempts: 3, phase: 'create', source: 'clawops' })
    expect(payload.data.earlierTries).toHaveLength(2)
    const outbox = d
      .prepare('SELECT target, state FROM watch_outbox WHERE event_id = ?')
      .all(events[0].id) as Json[]
    expect(outbox.map((o) => o.target).sort()).toEqual(['commander', 'forge'])
    const row = d
      .prepare(
        "SELECT attempts, tries, outcome, failed_phase FROM provision_attempts WHERE outcome = 'failed'",
      )
      .get() as Json
    d.close()
    expect(row).toMatchObject({ tries: 3, outcome: 'failed', failed_phase: 'create' })

    const hook = received.at(-1)!
    expect(hook).toMatchObject({ verified: true, body: { type: 'provision.failed' } })
    expect(hook.body.data.failed).toHaveLength(1)
    const instances: Json[] = ok('instance', 'list', '--provider', 'vultr', '--state', 'FAILED').instances
    expect(instances).toHaveLength(1)
  })
})
