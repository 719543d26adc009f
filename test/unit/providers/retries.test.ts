/**
 * The shared HTTP layer against the lab's fault injection and rate limits: what is retried, how
 * long it waits, what is never retried, and how creates recover from answers that never came.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { UserError } from '../../../src/lib/errors.js'
import { DigitalOceanAdapter } from '../../../src/lib/providers/digitalocean.js'
import { HetznerAdapter } from '../../../src/lib/providers/hetzner.js'
import { VultrAdapter } from '../../../src/lib/providers/vultr.js'
import { seeded } from '../../support/reliability.js'
import { CREDS, type LabFixture, recordingClock, startLab, TUNING } from './lab-fixture.js'

let fx: LabFixture

beforeAll(async () => {
  // Faults at a rate are drawn from a seeded sequence: with Math.random, "a fifth malformed" left all
  // 25 reads whole about once in 270 runs, and the test that wants a retry failed.
  fx = await startLab({ random: seeded(20261206).next })
})
afterAll(() => fx.stop())

const hetzner = (over: Partial<ConstructorParameters<typeof HetznerAdapter>[0]> = {}, deps = {}) =>
  new HetznerAdapter(
    { token: CREDS.hetzner.token, baseUrl: fx.lab.endpoints.hetzner.baseUrl, ...TUNING, ...over },
    deps,
  )

async function withFault<T>(input: Parameters<typeof fx.lab.addFault>[0], fn: () => Promise<T>): Promise<T> {
  const rule = fx.lab.addFault(input)
  try {
    return await fn()
  } finally {
    fx.lab.removeFault(rule.id)
  }
}

describe('retries and rate limits', () => {
  it('retries a 429 and honours Retry-After', async () => {
    const clock = recordingClock()
    const hz = hetzner(
      { retry: { baseMs: 10, capMs: 20, maxRetries: 3, maxRetryAfterMs: 60_000 } },
      { clock, random: () => 0.5 },
    )
    const servers = await withFault(
      {
        provider: 'hetzner',
        match: '^GET /servers$',
        errorRate: 1,
        errorStatus: 429,
        retryAfterSec: 7,
        count: 1,
      },
      () => hz.list(),
    )
    expect(Array.isArray(servers)).toBe(true)
    expect(hz.stats()).toMatchObject({ rateLimited: 1, retries: 1 })
    expect(clock.sleeps).toContain(7000)
  })

  it('caps a huge Retry-After', async () => {
    const clock = recordingClock()
    const hz = hetzner({ retry: { baseMs: 10, capMs: 20, maxRetries: 3, maxRetryAfterMs: 1500 } }, { clock })
    await withFault(
      {
        provider: 'hetzner',
        match: '^GET /servers$',
        errorRate: 1,
        errorStatus: 429,
        retryAfterSec: 3600,
        count: 1,
      },
      () => hz.list(),
    )
    expect(Math.max(...clock.sleeps)).toBe(1500)
  })

  it('retries 5xx on reads with growing, jittered backoff', async () => {
    const clock = recordingClock()
    const hz = hetzner(
      { retry: { baseMs: 100, capMs: 10_000, maxRetries: 5, maxRetryAfterMs: 60_000 } },
      { clock, random: () => 1 },
    )
    await withFault(
      { provider: 'hetzner', match: '^GET /servers$', errorRate: 1, errorStatus: 503, count: 3 },
      () => hz.list(),
    )
    expect(hz.stats().retries).toBe(3)
    expect(clock.sleeps).toEqual([100, 200, 400])
  })

  it('gives up after the retry budget with the provider code', async () => {
    const hz = hetzner({ retry: { baseMs: 1, capMs: 2, maxRetries: 2, maxRetryAfterMs: 10 } })
    const err = await withFault(
      { provider: 'hetzner', match: '^GET /servers$', errorRate: 1, errorStatus: 502 },
      () => hz.list().catch((e) => e),
    )
    expect(err).toBeInstanceOf(UserError)
    expect(err.details).toMatchObject({ provider: 'hetzner', status: 502, providerCode: 'bad_gateway' })
    expect(hz.stats().requests).toBe(3)
  })

  it('does not retry a 4xx validation error', async () => {
    const hz = hetzner()
    const err = await hz
      .create({ name: 'claw-no-such-location', plan: 'cx23', region: 'xyz9' })
      .catch((e) => e)
    expect(err.details).toMatchObject({ status: 400, providerCode: 'invalid_input' })
    expect(hz.stats()).toMatchObject({ requests: 1, retries: 0 })
  })

  it('does not blindly repeat a create after a 5xx: it looks up first, then creates once', async () => {
    const dO = new DigitalOceanAdapter({
      token: CREDS.digitalocean.token,
      baseUrl: fx.lab.endpoints.digitalocean.baseUrl,
      ...TUNING,
      createRecoveryDelayMs: 0,
    })
    const before = fx.lab.servers('digitalocean').length
    const r = await withFault(
      { provider: 'digitalocean', match: '^POST /droplets$', errorRate: 1, errorStatus: 500, count: 1 },
      () => dO.create({ name: 'claw-do-retry', plan: 's-1vcpu-2gb', region: 'fra1', opId: 'op-do-retry' }),
    )
    expect(r.adopted).toBe(false)
    expect(fx.lab.servers('digitalocean').length).toBe(before + 1)
    // create (500) → lookup by op tag (1 page) → create again.
    expect(dO.stats().requests).toBe(3)
  })

  it('adopts the server when a create timed out but landed anyway', async () => {
    const vu = new VultrAdapter({
      apiKey: CREDS.vultr.apiKey,
      baseUrl: fx.lab.endpoints.vultr.baseUrl,
      ...TUNING,
      timeoutMs: 100,
      createRecoveryDelayMs: 400,
    })
    const r = await withFault({ provider: 'vultr', match: '^POST /instances$', latencyMs: 250 }, () =>
      vu.create({ name: 'claw-vu-slow', plan: 'vc2-1c-2gb', region: 'fra', opId: 'op-vu-slow' }),
    )
    expect(r.adopted).toBe(true)
    expect(fx.lab.servers('vultr').filter((s) => s.name === 'claw-vu-slow')).toHaveLength(1)
  })

  it('turns a request timeout into PROVIDER_ERROR request_timeout after retrying reads', async () => {
    const hz = hetzner({ timeoutMs: 50, retry: { baseMs: 1, capMs: 2, maxRetries: 1, maxRetryAfterMs: 10 } })
    const err = await withFault({ provider: 'hetzner', match: '^GET /locations$', latencyMs: 200 }, () =>
      hz.regions().catch((e) => e),
    )
    expect(err.code).toBe('PROVIDER_ERROR')
    expect(err.details).toMatchObject({ status: null, providerCode: 'request_timeout' })
    expect(hz.stats().requests).toBe(2)
  })

  it('retries a 200 whose body has the wrong shape, within the same budget as a 5xx', async () => {
    const hz = hetzner()
    const prices = await withFault(
      { provider: 'hetzner', match: '^GET /server_types$', malformed: true, count: 1 },
      () => hz.prices(),
    )
    expect(prices.length).toBeGreaterThan(0)
    expect(hz.stats().retries).toBe(1)
  })

  it('gives up on answers that never parse with PROVIDER_ERROR naming the provider, the request and the attempts', async () => {
    const hz = hetzner({ retry: { baseMs: 1, capMs: 2, maxRetries: 2, maxRetryAfterMs: 10 } })
    for (const malformedAs of ['shape', 'truncated'] as const) {
      const before = hz.stats().requests
      const err = await withFault(
        { provider: 'hetzner', match: '^GET /locations$', malformedRate: 1, malformedAs },
        () => hz.regions().catch((e) => e),
      )
      expect(err).toBeInstanceOf(UserError)
      expect(err.code).toBe('PROVIDER_ERROR')
      expect(err.details).toMatchObject({
        provider: 'hetzner',
        status: 200,
        providerCode: 'invalid_response',
        method: 'GET',
        path: '/locations',
        attempts: 3,
      })
      expect(err.message).toMatch(/^hetzner: .*GET \/locations.*gave up after 3 attempts/)
      expect(hz.stats().requests - before).toBe(3)
    }
  })

  it('passes reads through a provider answering a fifth of them malformed', async () => {
    const hz = hetzner({ retry: { baseMs: 1, capMs: 2, maxRetries: 6, maxRetryAfterMs: 10 } })
    const results = await withFault(
      { provider: 'hetzner', match: '^GET /locations$', malformedRate: 0.2, malformedAs: 'truncated' },
      () => Promise.all(Array.from({ length: 25 }, () => hz.regions())),
    )
    expect(results.every((r) => r.length > 0)).toBe(true)
    expect(hz.stats().retries).toBeGreaterThan(0)
  })

  it('never repeats a create whose answer was cut off: the server it made is adopted', async () => {
    const hz = hetzner()
    const r = await withFault(
      { provider: 'hetzner', match: '^POST /servers$', malformedRate: 1, malformedAs: 'truncated', count: 1 },
      () => hz.create({ name: 'claw-hz-cut', plan: 'cx23', region: 'fsn1', opId: 'op-hz-cut' }),
    )
    expect(r.adopted).toBe(true)
    expect(fx.lab.servers('hetzner').filter((s) => s.name === 'claw-hz-cut')).toHaveLength(1)
  })

  it('survives the lab’s own rate limit: 429s are retried until the bucket refills', async () => {
    const tight = await startLab({ quotas: { vultr: { capacity: 3, refillPerSec: 50 } } })
    try {
      const vu = new VultrAdapter({
        apiKey: CREDS.vultr.apiKey,
        baseUrl: tight.lab.endpoints.vultr.baseUrl,
        retry: { baseMs: 20, capMs: 100, maxRetries: 8, maxRetryAfterMs: 100 },
        // A client bucket far above the server's limit, so the server has to say no.
        rateLimit: { capacity: 100, refillPerSec: 100 },
      })
      const results = await Promise.all(Array.from({ length: 12 }, () => vu.regions()))
      expect(results.every((r) => r.length === 5)).toBe(true)
      expect(vu.stats().rateLimited).toBeGreaterThan(0)
    } finally {
      await tight.stop()
    }
  })

  it('slows itself down from RateLimit-Remaining instead of hitting 429s', async () => {
    const tight = await startLab({
      quotas: { hetzner: { capacity: 4, refillPerSec: 20, announcedLimit: 4 } },
    })
    try {
      const hz = new HetznerAdapter({
        token: CREDS.hetzner.token,
        baseUrl: tight.lab.endpoints.hetzner.baseUrl,
        rateLimit: { capacity: 100, refillPerSec: 20 },
      })
      for (let i = 0; i < 6; i++) await hz.regions()
      const s = hz.stats()
      expect(s.rateLimited).toBe(0)
      expect(s.throttledMs).toBeGreaterThan(0)
    } finally {
      await tight.stop()
    }
  })
})
