/**
 * The lab's request log (`GET /_lab/requests`): every provider request in order, with the time it
 * arrived and how it was answered (injected faults named), no headers or bodies, and a wait that
 * answers as soon as a matching request has been answered.
 */
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { LoggedRequest } from '../../../src/lib/lab/cloud/request-log.js'
import { RequestLog } from '../../../src/lib/lab/cloud/request-log.js'
import { HetznerAdapter } from '../../../src/lib/providers/hetzner.js'
import { CREDS, type LabFixture, startLab, TUNING } from '../providers/lab-fixture.js'

let fx: LabFixture
let hz: HetznerAdapter

async function log(query = ''): Promise<{ requests: LoggedRequest[]; last: number }> {
  const res = await request(`${fx.lab.endpoints.control}/requests${query}`)
  expect(res.statusCode).toBe(200)
  return (await res.body.json()) as { requests: LoggedRequest[]; last: number }
}

beforeAll(async () => {
  fx = await startLab()
  hz = new HetznerAdapter({
    token: CREDS.hetzner.token,
    baseUrl: fx.lab.endpoints.hetzner.baseUrl,
    ...TUNING,
    retry: { maxRetries: 0 },
  })
})
afterAll(() => fx.stop())

describe('the lab request log', () => {
  it('records each provider request in arrival order with its answer, and nothing secret', async () => {
    const before = Date.now()
    const created = await hz.create({
      name: 'log-1',
      plan: hz.planFor('nano'),
      region: 'nbg1',
      labels: {},
    })
    await hz.delete(created.server.id)
    const { requests, last } = await log()
    expect(last).toBe(requests.at(-1)!.seq)
    const seqs = requests.map((r) => r.seq)
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b))
    const post = requests.find((r) => r.method === 'POST' && r.path === '/servers')!
    const del = requests.find((r) => r.method === 'DELETE')!
    expect(post).toMatchObject({ provider: 'hetzner', status: 201, fault: null })
    expect(del).toMatchObject({ provider: 'hetzner', path: `/servers/${created.server.id}`, fault: null })
    expect(del.seq).toBeGreaterThan(post.seq)
    expect(post.receivedAt).toBeGreaterThanOrEqual(before - 1)
    expect(del.receivedAt).toBeGreaterThan(post.receivedAt)
    expect(del.answeredAt).toBeGreaterThanOrEqual(del.receivedAt)
    expect(JSON.stringify(requests)).not.toContain(CREDS.hetzner.token)
    // Filters.
    expect((await log(`?since=${post.seq}&method=delete`)).requests.map((r) => r.seq)).toEqual([del.seq])
    expect((await log('?provider=vultr')).requests).toEqual([])
  })

  it('names the injected fault that answered a request', async () => {
    const rule = fx.lab.addFault({
      provider: 'hetzner',
      match: '^GET /locations$',
      errorRate: 1,
      errorStatus: 503,
    })
    try {
      await expect(hz.regions()).rejects.toThrow()
    } finally {
      fx.lab.removeFault(rule.id)
    }
    const { requests } = await log('?method=GET')
    expect(requests.at(-1)).toMatchObject({ path: '/locations', status: 503, fault: 'error' })
  })

  it('waits for the next matching request and answers once it has been answered', async () => {
    const { last } = await log()
    const waiting = log(`?since=${last}&method=DELETE&wait=10000`)
    const created = await hz.create({
      name: 'log-2',
      plan: hz.planFor('nano'),
      region: 'nbg1',
      labels: {},
    })
    const t = Date.now()
    await hz.delete(created.server.id)
    const got = await waiting
    expect(Date.now() - t).toBeLessThan(5_000)
    expect(got.requests).toHaveLength(1)
    expect(got.requests[0]).toMatchObject({ method: 'DELETE', path: `/servers/${created.server.id}` })
    // Nothing new: an empty answer after the wait.
    const empty = await log(`?since=${got.requests[0]!.seq + 100}&wait=50`)
    expect(empty.requests).toEqual([])
    expect((await request(`${fx.lab.endpoints.control}/requests?wait=x`)).statusCode).toBe(400)
  })

  it('keeps only the last entries it has room for', () => {
    const small = new RequestLog(3)
    for (let i = 0; i < 5; i++)
      small.add({
        provider: 'vultr',
        method: 'GET',
        path: `/instances/${i}`,
        status: 200,
        fault: null,
        receivedAt: i,
        answeredAt: i,
      })
    expect(small.list().map((r) => r.seq)).toEqual([3, 4, 5])
    expect(small.last()).toBe(5)
  })
})
