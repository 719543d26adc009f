import { randomUUID } from 'node:crypto'
import { Agent, request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PRICES_AS_OF } from '../../../src/lib/domain/catalog.js'
import { UserError } from '../../../src/lib/errors.js'
import { ContaboAdapter } from '../../../src/lib/providers/contabo.js'
import { serverName } from '../../../src/lib/providers/names.js'
import { CREDS as LAB_CREDS, type LabFixture, startLab, TUNING } from './lab-fixture.js'

/** The client-side bucket (5 requests/s) would make 10 ms polls crawl; tests lift it. */
const FAST = { ...TUNING, rateLimit: { capacity: 1000, refillPerSec: 1000 } }
const CREDS = LAB_CREDS.contabo

let fx: LabFixture
let ct: ContaboAdapter

function adapter(): ContaboAdapter {
  const e = fx.lab.endpoints.contabo
  return new ContaboAdapter({ ...CREDS, baseUrl: e.baseUrl, authUrl: e.authUrl, ...FAST })
}

beforeAll(async () => {
  fx = await startLab()
  ct = adapter()
})
afterAll(() => fx.stop())

const nameFor = (pair: string, op: string) => serverName({ fleet: 'ct', pair, role: 'standby', opId: op })

async function running(pair: string) {
  const op = `op-ct-${pair}`
  const r = await ct.create({ name: nameFor(pair, op), plan: 'V91', region: 'EU', opId: op })
  return (await ct.waitFor(r.pending, { timeoutMs: 3000 }))!
}

describe('contabo adapter against the lab', () => {
  it('logs in once and reuses the token, renewing it before it expires', async () => {
    const short = await startLab({ contabo: { accessTtlSec: 1, refreshTtlSec: 60 } })
    try {
      const e = short.lab.endpoints.contabo
      const a = new ContaboAdapter({ ...CREDS, baseUrl: e.baseUrl, authUrl: e.authUrl, ...FAST })
      await a.list()
      await a.list()
      expect(a.tokenGrants()).toBe(1)
      // Tokens live 1 s here; the adapter renews a fifth of the lifetime early, before the lab would refuse it.
      await new Promise((r) => setTimeout(r, 850))
      await a.list()
      expect(a.tokenGrants()).toBe(2)
      expect(a.stats().retries).toBe(0)
    } finally {
      await short.stop()
    }
  })

  it('gets a new token after a 401 and retries once', async () => {
    const a = adapter()
    await a.list()
    const rule = fx.lab.addFault({
      provider: 'contabo',
      match: '^GET /compute/instances$',
      errorRate: 1,
      errorStatus: 401,
      count: 1,
    })
    try {
      await a.list()
      expect(a.tokenGrants()).toBe(2)
    } finally {
      fx.lab.removeFault(rule.id)
    }
  })

  it('maps wrong credentials to PROVIDER_ERROR without echoing them', async () => {
    const e = fx.lab.endpoints.contabo
    const bad = new ContaboAdapter({
      ...CREDS,
      password: 'wrong-password-9',
      baseUrl: e.baseUrl,
      authUrl: e.authUrl,
      ...FAST,
    })
    const err = await bad.list().catch((x) => x)
    expect(err).toBeInstanceOf(UserError)
    expect(err.details).toMatchObject({ provider: 'contabo', status: 401, providerCode: 'invalid_grant' })
    expect(JSON.stringify(err.toBody())).not.toContain('wrong-password-9')
  })

  it('lab rejects calls without a UUID4 x-request-id', async () => {
    const url = `${fx.lab.endpoints.contabo.baseUrl}/compute/instances`
    const none = await request(url, { headers: { authorization: 'Bearer whatever' } })
    expect(none.statusCode).toBe(400)
    expect(await none.body.json()).toEqual({ statusCode: 400, message: 'x-request-id header is missing' })
    const bad = await request(url, {
      headers: { authorization: 'Bearer whatever', 'x-request-id': 'not-a-uuid' },
    })
    expect(bad.statusCode).toBe(400)
    await bad.body.dump()
    const unauth = await request(url, {
      headers: { authorization: 'Bearer whatever', 'x-request-id': randomUUID() },
    })
    expect(unauth.statusCode).toBe(401)
    await unauth.body.dump()
  })

  it('creates an instance whose display name carries the op marker, and waits until running', async () => {
    const op = 'op-ct-create'
    const r = await ct.create({
      name: nameFor('p1', op),
      plan: 'V92',
      region: 'EU',
      userData: '#cloud-config\n',
      opId: op,
    })
    expect(r.server).toMatchObject({
      name: nameFor('p1', op),
      plan: 'V92',
      providerStatus: 'provisioning',
      labels: {},
    })
    const up = await ct.waitFor(r.pending, { timeoutMs: 3000 })
    expect(up?.status).toBe('running')
    expect(fx.lab.servers('contabo').find((s) => s.id === r.server.id)?.userData).toBe('#cloud-config\n')
    expect((await ct.findByOpLabel(op)).map((s) => s.id)).toEqual([r.server.id])
  })

  it('refuses a name without the op marker (the op id could not be found again)', async () => {
    const err = await ct
      .create({ name: 'claw-plain', plan: 'V91', region: 'EU', opId: 'op-x' })
      .catch((e) => e)
    expect(err.code).toBe('INVALID_INPUT')
  })

  it('sends a fresh UUID4 x-request-id on every call and the op id as x-trace-id', async () => {
    const seen: Record<string, string>[] = []
    const dispatcher = new Agent().compose((dispatch) => (opts, handler) => {
      seen.push(
        Object.fromEntries(
          Object.entries(opts.headers as Record<string, string>).map(([k, v]) => [k.toLowerCase(), v]),
        ),
      )
      return dispatch(opts, handler)
    })
    const e = fx.lab.endpoints.contabo
    const a = new ContaboAdapter(
      { ...CREDS, baseUrl: e.baseUrl, authUrl: e.authUrl, ...FAST },
      { dispatcher },
    )
    const s = await running('p2')
    await a.get(s.id, { opId: 'op-trace-1' })
    await a.get(s.id, { opId: 'op-trace-1' })
    const api = seen.filter((h) => h.authorization)
    expect(api).toHaveLength(2)
    expect(api.map((h) => h['x-trace-id'])).toEqual(['op-trace-1', 'op-trace-1'])
    expect(api[0]!['x-request-id']).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    )
    expect(api[0]!['x-request-id']).not.toBe(api[1]!['x-request-id'])
  })

  it('pages through _pagination (100 per page)', async () => {
    fx.lab.seed({ provider: 'contabo', count: 230, region: 'US-east', namePrefix: 'ctseed' })
    const before = ct.stats().requests
    const all = await ct.list({ region: 'US-east' })
    expect(all).toHaveLength(230)
    expect(ct.stats().requests - before).toBe(3)
  })

  it('refuses a label query: Contabo servers carry no labels', async () => {
    await expect(ct.list({ labels: { 'clawops/fleet': 'x' } })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    })
  })

  it('restarts, shuts down and starts by status polling', async () => {
    const s = await running('p3')
    expect((await ct.waitFor(await ct.powerOff(s.id), { timeoutMs: 3000 }))?.status).toBe('off')
    expect((await ct.waitFor(await ct.powerOn(s.id), { timeoutMs: 3000 }))?.status).toBe('running')
    expect((await ct.waitFor(await ct.reboot(s.id), { timeoutMs: 3000 }))?.status).toBe('running')
  })

  it('cancels instead of deleting: the contract runs to its end date', async () => {
    const s = await running('p4')
    const d = await ct.delete(s.id)
    expect(d.mode).toBe('end-of-term')
    expect(d.effectiveAt).toMatch(/^\d{4}-\d{2}-\d{2}$/)
    expect(d.pending).toBeNull()
    const after = await ct.get(s.id)
    expect(after).toMatchObject({ status: 'running', endsAt: d.effectiveAt })
    expect(ct.capabilities.delete).toBe('end-of-term')
  })

  it('has no resize: replace is the strategy', async () => {
    const s = await running('p5')
    expect(ct.capabilities.resize).toBe('replace')
    await expect(ct.resize(s.id, 'V92')).rejects.toMatchObject({ code: 'INVALID_INPUT' })
  })

  it('prices come from the dated static table', async () => {
    const prices = await ct.prices()
    expect(prices.map((p) => p.plan)).toEqual(['V91', 'V92', 'V93'])
    expect(prices[0]).toMatchObject({
      monthly: { amount: '4.50', currency: 'EUR', cents: 450 },
      source: 'static',
      asOf: PRICES_AS_OF,
    })
    expect(ct.capabilities.prices).toBe('static')
    expect((await ct.regions()).map((r) => r.code)).toContain('SIN')
  })
})
