/**
 * Credentials never leave through errors, JSON output, logs or inspection: every adapter is given
 * a recognisable secret, made to fail, and everything it produced is searched for the secret.
 */
import { Writable } from 'node:stream'
import { inspect } from 'node:util'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { UserError } from '../../../src/lib/errors.js'
import { createProvider, providerOptionsFromEnv } from '../../../src/lib/providers/index.js'
import { providerError } from '../../../src/lib/providers/provider-error.js'
import { Secret } from '../../../src/lib/providers/secret.js'
import type { ProviderAdapter } from '../../../src/lib/providers/types.js'
import { type LabFixture, startLab, TUNING } from './lab-fixture.js'

const SECRETS = {
  hetzner: 'hz-SECRET-token-0001',
  vultr: 'VU-SECRET-key-0002',
  digitalocean: 'dop_v1_SECRET_0003',
  hostinger: 'hs-SECRET-token-0004',
  contaboSecret: 'cb-SECRET-client-0005',
  contaboPassword: 'cb-SECRET-password-0006',
}
const ALL = Object.values(SECRETS)

let fx: LabFixture
const logLines: string[] = []
const logger = pino(
  { level: 'debug' },
  new Writable({
    write(chunk, _enc, cb) {
      logLines.push(String(chunk))
      cb()
    },
  }),
)

beforeAll(async () => {
  // The lab accepts only its own credentials (CREDS), so every call with ours is refused.
  fx = await startLab()
})
afterAll(() => fx.stop())

function adapters(): ProviderAdapter[] {
  const e = fx.lab.endpoints
  const deps = { logger }
  return [
    createProvider(
      { provider: 'hetzner', token: SECRETS.hetzner, baseUrl: e.hetzner.baseUrl, ...TUNING },
      deps,
    ),
    createProvider({ provider: 'vultr', apiKey: SECRETS.vultr, baseUrl: e.vultr.baseUrl, ...TUNING }, deps),
    createProvider(
      { provider: 'digitalocean', token: SECRETS.digitalocean, baseUrl: e.digitalocean.baseUrl, ...TUNING },
      deps,
    ),
    createProvider(
      { provider: 'hostinger', token: SECRETS.hostinger, baseUrl: e.hostinger.baseUrl, ...TUNING },
      deps,
    ),
    createProvider(
      {
        provider: 'contabo',
        clientId: 'client-id',
        clientSecret: SECRETS.contaboSecret,
        username: 'ops@example.com',
        password: SECRETS.contaboPassword,
        baseUrl: e.contabo.baseUrl,
        authUrl: e.contabo.authUrl,
        ...TUNING,
      },
      deps,
    ),
  ]
}

function leaks(text: string): string[] {
  return ALL.filter((s) => text.includes(s))
}

describe('secret redaction', () => {
  it('errors, their JSON bodies, logs and inspected adapters carry no credential', async () => {
    for (const a of adapters()) {
      const err = await a.list().catch((x) => x)
      expect(err, a.provider).toBeInstanceOf(UserError)
      expect(err.code).toBe('PROVIDER_ERROR')
      expect(err.details.status).toBe(401)
      expect(err.hint).toMatch(/credentials/)
      const surfaces = [
        err.message,
        JSON.stringify(err.toBody()),
        inspect(err, { depth: 10 }),
        String(err.stack),
        inspect(a, { depth: 10, showHidden: true }),
        JSON.stringify(a),
      ]
      for (const s of surfaces) expect(leaks(s), `${a.provider}: ${s.slice(0, 200)}`).toEqual([])
    }
    expect(logLines.length).toBeGreaterThan(0)
    expect(leaks(logLines.join('\n'))).toEqual([])
  })

  it('redacts a provider message that echoes the credential back', () => {
    const token = new Secret(SECRETS.hetzner)
    const err = providerError(
      { provider: 'hetzner', status: 400, providerCode: 'invalid_input', requestId: null },
      `token ${SECRETS.hetzner} is malformed`,
      [token],
      { cause: new Error(`sent Bearer ${SECRETS.hetzner}`) },
    )
    expect(err.message).toContain('[redacted]')
    expect(leaks(err.message)).toEqual([])
    expect(leaks(inspect(err, { depth: 10 }))).toEqual([])
    expect(leaks(JSON.stringify(err.toBody()))).toEqual([])
    expect(String(token)).toBe('[redacted]')
  })

  it('reads credentials from the environment and names missing variables, never values', () => {
    const ok = providerOptionsFromEnv('hetzner', {
      HCLOUD_TOKEN: SECRETS.hetzner,
      CLAWOPS_HETZNER_BASE_URL: 'http://127.0.0.1:1/v1',
    })
    expect(ok).toMatchObject({
      provider: 'hetzner',
      token: SECRETS.hetzner,
      baseUrl: 'http://127.0.0.1:1/v1',
    })
    const err = (() => {
      try {
        providerOptionsFromEnv('contabo', {
          CONTABO_CLIENT_ID: 'id',
          CONTABO_API_PASSWORD: SECRETS.contaboPassword,
        })
      } catch (e) {
        return e as UserError
      }
    })()
    expect(err?.code).toBe('CONFIG_INVALID')
    expect(err?.message).toContain('CONTABO_CLIENT_SECRET')
    expect(err?.message).toContain('CONTABO_API_USER')
    expect(leaks(JSON.stringify(err?.toBody()))).toEqual([])
  })
})
