/**
 * Every error the lab answers is in the provider's own body shape: unknown paths (404), wrong
 * methods (405), the statuses fault injection produces (403, 409, 422, 5xx) and the rate limit
 * (429, with the provider's rate-limit headers where it sends them).
 */
import { randomUUID } from 'node:crypto'
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Provider } from '../../src/lib/domain/provider.js'
import { DIGITALOCEAN } from './support/digitalocean-spec.js'
import { type ContractLab, contractLab } from './support/lab.js'
import { expectValid } from './support/schema.js'

let fx: ContractLab
let contaboToken = ''

/** The provider's error body, per its SDK or document. */
const SHAPE: Record<Provider, object> = {
  hetzner: {
    type: 'object',
    properties: {
      error: {
        type: 'object',
        properties: { code: { type: 'string' }, message: { type: 'string' }, details: {} },
        required: ['code', 'message', 'details'],
      },
    },
    required: ['error'],
    additionalProperties: false,
  },
  digitalocean: { ...DIGITALOCEAN.error, additionalProperties: false },
  vultr: {
    type: 'object',
    properties: { error: { type: 'string' }, status: { type: 'integer' } },
    required: ['error', 'status'],
    additionalProperties: false,
  },
  contabo: {
    type: 'object',
    properties: { statusCode: { type: 'integer' }, message: { type: 'string' } },
    required: ['statusCode', 'message'],
  },
  hostinger: {
    type: 'object',
    properties: {
      message: { type: 'string' },
      correlation_id: { type: 'string' },
      errors: { type: 'object' },
    },
    required: ['message', 'correlation_id'],
    additionalProperties: false,
  },
}

/** A read each provider serves, below its prefix. */
const READ: Record<Provider, string> = {
  hetzner: '/servers',
  vultr: '/instances',
  digitalocean: '/droplets',
  contabo: '/compute/instances',
  hostinger: '/api/vps/v1/virtual-machines',
}
const PROVIDERS = Object.keys(READ) as Provider[]

function headers(p: Provider): Record<string, string> {
  const c = fx.creds
  const token =
    p === 'contabo'
      ? contaboToken
      : p === 'vultr'
        ? c.vultr.apiKey
        : p === 'hetzner'
          ? c.hetzner.token
          : p === 'digitalocean'
            ? c.digitalocean.token
            : c.hostinger.token
  return { authorization: `Bearer ${token}`, ...(p === 'contabo' ? { 'x-request-id': randomUUID() } : {}) }
}

async function call(p: Provider, method: 'GET' | 'PUT', path: string) {
  const res = await request(`${fx.lab.endpoints[p].baseUrl}${path}`, { method, headers: headers(p) })
  return { status: res.statusCode, headers: res.headers, body: await res.body.json() }
}

beforeAll(async () => {
  fx = await contractLab({
    quotas: Object.fromEntries(PROVIDERS.map((p) => [p, { capacity: 40, refillPerSec: 0.01 }])),
  })
  const c = fx.creds.contabo
  const res = await request(fx.lab.endpoints.contabo.authUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      client_id: c.clientId,
      client_secret: c.clientSecret,
      username: c.username,
      password: c.password,
      grant_type: 'password',
    }).toString(),
  })
  contaboToken = ((await res.body.json()) as { access_token: string }).access_token
})
afterAll(() => fx?.stop())

describe.each(PROVIDERS)('%s errors', (p) => {
  it('404 for an unknown path and 405 for a wrong method, in the provider’s shape', async () => {
    const missing = await call(p, 'GET', '/no-such-thing')
    expect(missing.status).toBe(404)
    expectValid(SHAPE[p], missing.body, `${p} 404`)
    const wrong = await call(p, 'PUT', READ[p])
    expect(wrong.status).toBe(405)
    expect(wrong.headers.allow).toMatch(/GET/)
    expectValid(SHAPE[p], wrong.body, `${p} 405`)
  })

  it.each([403, 409, 422, 500, 503])('%i from fault injection, in the provider’s shape', async (status) => {
    fx.lab.addFault({ provider: p, errorRate: 1, errorStatus: status, count: 1 })
    const r = await call(p, 'GET', READ[p])
    expect(r.status).toBe(status)
    expectValid(SHAPE[p], r.body, `${p} ${status}`)
  })

  it('429 once the quota is used up, with the provider’s rate-limit headers', async () => {
    let r = await call(p, 'GET', READ[p])
    for (let i = 0; i < 60 && r.status !== 429; i++) r = await call(p, 'GET', READ[p])
    expect(r.status).toBe(429)
    expectValid(SHAPE[p], r.body, `${p} 429`)
    expect(Number(r.headers['retry-after'])).toBeGreaterThan(0)
    if (p === 'hetzner') expect(r.headers['ratelimit-remaining']).toBe('0')
    if (p === 'digitalocean') expect(r.headers['ratelimit-remaining']).toBe('0')
  })
})
