/** Fault injection through the lab's control API, as tests and `clawops lab` use it over HTTP. */
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { BootDriver, StopReason } from '../../../src/lib/lab/cloud/boot-driver.js'
import type { statusPage } from '../../../src/lib/lab/cloud/status-page.js'
import { HetznerAdapter } from '../../../src/lib/providers/hetzner.js'
import { VultrAdapter } from '../../../src/lib/providers/vultr.js'
import { CREDS, type LabFixture, startLab, TUNING } from '../providers/lab-fixture.js'

type StatusPage = ReturnType<typeof statusPage>
const readStatus = (url: string) => request(url).then((x) => x.body.json() as Promise<StatusPage>)

const events: Array<{ kind: 'start' | 'stop'; name: string; reason: string }> = []
const driver: BootDriver = {
  name: 'recording',
  start(server, signals, ctx) {
    events.push({ kind: 'start', name: server.name, reason: ctx.reason })
    setTimeout(() => signals.ready(), 10)
  },
  stop(server, ctx: { reason: StopReason }) {
    events.push({ kind: 'stop', name: server.name, reason: ctx.reason })
  },
}

let fx: LabFixture
let hz: HetznerAdapter
let control: string

async function api(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown) {
  const res = await request(control + path, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await res.body.text()
  return { status: res.statusCode, headers: res.headers, body: text ? JSON.parse(text) : undefined }
}

beforeAll(async () => {
  fx = await startLab({ driver })
  control = fx.lab.endpoints.control
  hz = new HetznerAdapter({
    token: CREDS.hetzner.token,
    baseUrl: fx.lab.endpoints.hetzner.baseUrl,
    ...TUNING,
    retry: { maxRetries: 0 },
  })
})
afterAll(() => fx.stop())

describe('lab fault injection', () => {
  it('validates fault rules', async () => {
    expect((await api('POST', '/faults', { provider: 'hetzner' })).status).toBe(400)
    expect((await api('POST', '/faults', { provider: 'nope', latencyMs: 5 })).status).toBe(400)
    expect((await api('POST', '/faults', { outage: true, provider: 'hetzner' })).status).toBe(400)
    expect((await api('POST', '/faults', { latencyMs: 5, match: '(' })).status).toBe(400)
  })

  it('adds latency to matching requests only', async () => {
    const rule = await api('POST', '/faults', {
      provider: 'hetzner',
      match: '^GET /locations$',
      latencyMs: 400,
    })
    expect(rule.status).toBe(201)
    try {
      let t = Date.now()
      await hz.regions()
      expect(Date.now() - t).toBeGreaterThanOrEqual(390)
      t = Date.now()
      await hz.list()
      expect(Date.now() - t).toBeLessThan(390)
    } finally {
      expect((await api('DELETE', `/faults/${rule.body.id}`)).status).toBe(204)
    }
  })

  it('answers a share of requests with provider-shaped errors', async () => {
    const rule = await api('POST', '/faults', {
      provider: 'vultr',
      errorRate: 1,
      errorStatus: 503,
      retryAfterSec: 2,
    })
    try {
      const res = await request(`${fx.lab.endpoints.vultr.baseUrl}/regions`, {
        headers: { authorization: `Bearer ${CREDS.vultr.apiKey}` },
      })
      expect(res.statusCode).toBe(503)
      expect(res.headers['retry-after']).toBe('2')
      expect(await res.body.json()).toEqual({ error: 'injected fault (lab)', status: 503 })
      // Other providers are untouched.
      expect(await hz.regions()).toHaveLength(6)
    } finally {
      await api('DELETE', `/faults/${rule.body.id}`)
    }
  })

  it('injects errors at roughly the requested rate', async () => {
    const rule = await api('POST', '/faults', {
      provider: 'hetzner',
      match: '^GET /locations$',
      errorRate: 0.5,
    })
    try {
      let failed = 0
      for (let i = 0; i < 200; i++)
        if (
          await hz.regions().then(
            () => false,
            () => true,
          )
        )
          failed++
      expect(failed).toBeGreaterThan(60)
      expect(failed).toBeLessThan(140)
    } finally {
      await api('DELETE', `/faults/${rule.body.id}`)
    }
  })

  it('expires counted faults', async () => {
    const rule = await api('POST', '/faults', {
      provider: 'hetzner',
      match: '^GET /locations$',
      errorRate: 1,
      count: 2,
    })
    await expect(hz.regions()).rejects.toMatchObject({ code: 'PROVIDER_ERROR' })
    await expect(hz.regions()).rejects.toMatchObject({ code: 'PROVIDER_ERROR' })
    expect(await hz.regions()).toHaveLength(6)
    expect((await api('GET', '/faults')).body.faults.map((f: { id: string }) => f.id)).not.toContain(
      rule.body.id,
    )
  })

  it('takes a region down: its calls fail, its nodes stop, the status page says so, and it comes back', async () => {
    const r = await hz.create({ name: 'claw-outage-1', plan: 'cx23', region: 'hel1' })
    await hz.waitFor(r.pending, { timeoutMs: 3000 })
    const other = await hz.create({ name: 'claw-outage-2', plan: 'cx23', region: 'nbg1' })
    await hz.waitFor(other.pending, { timeoutMs: 3000 })
    events.length = 0
    const rule = await api('POST', '/faults', { provider: 'hetzner', region: 'hel1', outage: true })
    try {
      expect(events).toContainEqual({ kind: 'stop', name: 'claw-outage-1', reason: 'outage' })
      expect(events.some((e) => e.name === 'claw-outage-2')).toBe(false)
      const err = await hz.create({ name: 'claw-outage-3', plan: 'cx23', region: 'hel1' }).catch((e) => e)
      expect(err.details).toMatchObject({ provider: 'hetzner', status: 503, providerCode: 'unavailable' })
      await expect(hz.reboot(r.server.id)).rejects.toMatchObject({ code: 'PROVIDER_ERROR' })
      expect((await hz.get(other.server.id))?.status).toBe('running')
      const status = await readStatus(fx.lab.endpoints.hetzner.statusUrl)
      expect(status.status.indicator).toBe('major')
      expect(status.components.find((c) => c.region === 'hel1')?.status).toBe('major_outage')
      expect(status.components.find((c) => c.region === 'nbg1')?.status).toBe('operational')
      expect(status.incidents[0]).toMatchObject({ impact: 'major', regions: ['hel1'] })
      const vultrStatus = await readStatus(fx.lab.endpoints.vultr.statusUrl)
      expect(vultrStatus.status.indicator).toBe('none')
    } finally {
      await api('DELETE', `/faults/${rule.body.id}`)
    }
    expect(events).toContainEqual({ kind: 'start', name: 'claw-outage-1', reason: 'recover' })
    const after = await readStatus(fx.lab.endpoints.hetzner.statusUrl)
    expect(after.status).toEqual({ indicator: 'none', description: 'All Systems Operational' })
  })

  it('makes servers hang in boot while the rule lasts', async () => {
    const rule = await api('POST', '/faults', { provider: 'vultr', region: 'lax', hangBoot: true, count: 1 })
    expect(rule.status).toBe(201)
    const vu = new VultrAdapter({
      apiKey: CREDS.vultr.apiKey,
      baseUrl: fx.lab.endpoints.vultr.baseUrl,
      ...TUNING,
    })
    const hung = await vu.create({ name: 'claw-hang-1', plan: 'vc2-1c-2gb', region: 'lax' })
    await expect(vu.waitFor(hung.pending, { timeoutMs: 150 })).rejects.toMatchObject({ code: 'TIMEOUT' })
    expect((await vu.get(hung.server.id))?.providerStatus).toBe('pending/running/none')
    // count: 1 — the next server boots normally.
    const fine = await vu.create({ name: 'claw-hang-2', plan: 'vc2-1c-2gb', region: 'lax' })
    expect((await vu.waitFor(fine.pending, { timeoutMs: 3000 }))?.status).toBe('running')
  })

  it('seeds servers and reports stats over HTTP', async () => {
    const seeded = await api('POST', '/seed', {
      provider: 'digitalocean',
      count: 25,
      region: 'sgp1',
      labels: { 'clawops/fleet': 's' },
    })
    expect(seeded.status).toBe(201)
    expect(seeded.body.created).toBe(25)
    const stats = await api('GET', '/stats')
    expect(stats.body.servers.digitalocean.running).toBeGreaterThanOrEqual(25)
    expect(stats.body.requests.hetzner).toBeGreaterThan(0)
    const list = await api('GET', '/servers?provider=digitalocean')
    expect(list.body.servers[0].tags).toEqual(['clawops:fleet:s'])
    expect(list.body.servers[0]).not.toHaveProperty('userData')
    expect((await api('DELETE', '/servers?provider=digitalocean')).body.removed).toBeGreaterThanOrEqual(25)
    expect((await api('GET', '/endpoints')).body.hetzner.baseUrl).toBe(fx.lab.endpoints.hetzner.baseUrl)
  })
})
