import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { UserError } from '../../../src/lib/errors.js'
import { HetznerAdapter } from '../../../src/lib/providers/hetzner.js'
import { serverName } from '../../../src/lib/providers/names.js'
import { CREDS, type LabFixture, startLab, TUNING } from './lab-fixture.js'

let fx: LabFixture
let hz: HetznerAdapter

beforeAll(async () => {
  fx = await startLab()
  hz = new HetznerAdapter({
    token: CREDS.hetzner.token,
    baseUrl: fx.lab.endpoints.hetzner.baseUrl,
    ...TUNING,
  })
})
afterAll(() => fx.stop())

const name = (pair: string, op: string) => serverName({ fleet: 'hz', pair, role: 'primary', opId: op })

async function running(pair: string, op = `op-${pair}`) {
  const r = await hz.create({ name: name(pair, op), plan: 'cx23', region: 'nbg1', opId: op })
  const s = await hz.waitFor(r.pending, { timeoutMs: 3000 })
  return s!
}

describe('hetzner adapter against the lab', () => {
  it('creates a server with labels and user data and waits until it runs', async () => {
    const r = await hz.create({
      name: name('p1', 'op-create-1'),
      plan: 'cx23',
      region: 'nbg1',
      labels: { 'clawops/fleet': 'f1' },
      userData: '#cloud-config\nruncmd: []\n',
      opId: 'op-create-1',
    })
    expect(r.adopted).toBe(false)
    expect(r.server.status).toBe('creating')
    expect(r.server.providerStatus).toBe('initializing')
    expect(r.server.labels).toEqual({ 'clawops/fleet': 'f1', 'clawops/op': 'op-create-1' })
    expect(r.pending).toMatchObject({ provider: 'hetzner', serverId: r.server.id, until: 'running' })
    expect(r.pending.actions).toHaveLength(1)
    const up = await hz.waitFor(r.pending, { timeoutMs: 3000 })
    expect(up).toMatchObject({ status: 'running', plan: 'cx23', region: 'nbg1' })
    expect(up?.ipv4).toMatch(/^198\.1[89]\./)
    expect(fx.lab.servers('hetzner').find((s) => s.id === r.server.id)?.userData).toBe(
      '#cloud-config\nruncmd: []\n',
    )
  })

  it('adopts its own server when the name is taken by the same operation (uniqueness_error)', async () => {
    const input = { name: name('p2', 'op-dup'), plan: 'cx23', region: 'fsn1', opId: 'op-dup' }
    const first = await hz.create(input)
    const second = await hz.create(input)
    expect(second.adopted).toBe(true)
    expect(second.server.id).toBe(first.server.id)
    expect(fx.lab.servers('hetzner').filter((s) => s.name === input.name)).toHaveLength(1)
  })

  it('refuses a taken name created by another operation', async () => {
    await hz.create({ name: 'claw-taken', plan: 'cx23', region: 'fsn1', opId: 'op-a' })
    const err = await hz
      .create({ name: 'claw-taken', plan: 'cx23', region: 'fsn1', opId: 'op-b' })
      .catch((e) => e)
    expect(err).toBeInstanceOf(UserError)
    expect(err.code).toBe('PROVIDER_ERROR')
    expect(err.details).toMatchObject({ provider: 'hetzner', status: 409, providerCode: 'uniqueness_error' })
  })

  it('returns null for a server that does not exist', async () => {
    expect(await hz.get('999999999')).toBeNull()
  })

  it('lists every page (50 per page) and selects by label, name and region', async () => {
    fx.lab.seed({
      provider: 'hetzner',
      count: 120,
      region: 'hel1',
      labels: { 'clawops/fleet': 'big' },
      namePrefix: 'big',
    })
    fx.lab.seed({
      provider: 'hetzner',
      count: 7,
      region: 'hel1',
      labels: { 'clawops/fleet': 'small' },
      namePrefix: 'small',
    })
    const before = hz.stats().requests
    const big = await hz.list({ labels: { 'clawops/fleet': 'big' } })
    expect(big).toHaveLength(120)
    expect(hz.stats().requests - before).toBe(3)
    expect(new Set(big.map((s) => s.id)).size).toBe(120)
    expect(big.every((s) => s.labels['clawops/fleet'] === 'big' && s.status === 'running')).toBe(true)
    expect(await hz.list({ name: 'small-3' })).toHaveLength(1)
    expect(await hz.list({ labels: { 'clawops/fleet': 'small' }, region: 'nbg1' })).toHaveLength(0)
    expect(await hz.list({ labels: { 'clawops/fleet': 'small' }, region: 'hel1' })).toHaveLength(7)
  })

  it('finds servers by the op label', async () => {
    const s = await running('p3', 'op-find-me')
    const found = await hz.findByOpLabel('op-find-me')
    expect(found.map((f) => f.id)).toEqual([s.id])
    expect(await hz.findByOpLabel('op-nobody')).toEqual([])
  })

  it('powers off, on and reboots, waiting on the actions', async () => {
    const s = await running('p4')
    const off = await hz.waitFor(await hz.powerOff(s.id), { timeoutMs: 3000 })
    expect(off?.status).toBe('off')
    const on = await hz.waitFor(await hz.powerOn(s.id), { timeoutMs: 3000 })
    expect(on?.status).toBe('running')
    const rebooted = await hz.waitFor(await hz.reboot(s.id), { timeoutMs: 3000 })
    expect(rebooted?.status).toBe('running')
    const hard = await hz.waitFor(await hz.powerOff(s.id, { graceful: false }), { timeoutMs: 3000 })
    expect(hard?.status).toBe('off')
  })

  it('retries an action while the server is locked by another one', async () => {
    // Boots take 300 ms here, so the second reboot surely meets the first one's lock.
    const slowLab = await startLab({ timings: { bootMs: 300 } })
    try {
      const slow = new HetznerAdapter({
        token: CREDS.hetzner.token,
        baseUrl: slowLab.lab.endpoints.hetzner.baseUrl,
        pollMs: 10,
        retry: { maxRetries: 60, baseMs: 10, capMs: 20 },
      })
      const r = await slow.create({ name: 'claw-locked', plan: 'cx23', region: 'nbg1' })
      await slow.waitFor(r.pending, { timeoutMs: 3000 })
      const first = await slow.reboot(r.server.id)
      const second = await slow.reboot(r.server.id)
      expect(second.actions[0]).not.toBe(first.actions[0])
      expect(slow.stats().retries).toBeGreaterThan(0)
      expect((await slow.waitFor(second, { timeoutMs: 3000 }))?.status).toBe('running')
    } finally {
      await slowLab.stop()
    }
  })

  it('resizes by shutting down, changing type and powering on again', async () => {
    const s = await running('p6')
    const resized = await hz.resize(s.id, 'cx33', { timeoutMs: 5000 })
    expect(resized).toMatchObject({ id: s.id, plan: 'cx33', status: 'running' })
    // Idempotent: a second call finds the plan already changed and the server running.
    const again = await hz.resize(s.id, 'cx33', { timeoutMs: 5000 })
    expect(again.plan).toBe('cx33')
  })

  it('lab refuses change_type on a running server with server_not_stopped', async () => {
    const s = await running('p7')
    const res = await request(`${fx.lab.endpoints.hetzner.baseUrl}/servers/${s.id}/actions/change_type`, {
      method: 'POST',
      headers: { authorization: `Bearer ${CREDS.hetzner.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ server_type: 'cx33', upgrade_disk: false }),
    })
    expect(res.statusCode).toBe(412)
    expect(await res.body.json()).toMatchObject({ error: { code: 'server_not_stopped' } })
  })

  it('cannot go back to a smaller disk after upgrade_disk', async () => {
    const s = await running('p8')
    await hz.resize(s.id, 'cx43', { upgradeDisk: true, timeoutMs: 5000 })
    const err = await hz.resize(s.id, 'cx23', { timeoutMs: 5000 }).catch((e) => e)
    expect(err).toBeInstanceOf(UserError)
    expect(err.details).toMatchObject({ provider: 'hetzner', status: 400, providerCode: 'invalid_input' })
  })

  it('deletes and waits until the server is gone; a repeated delete is not an error', async () => {
    const s = await running('p9')
    const d = await hz.delete(s.id)
    expect(d).toMatchObject({ mode: 'immediate', alreadyGone: false })
    expect(await hz.waitFor(d.pending!, { timeoutMs: 3000 })).toBeNull()
    expect(await hz.get(s.id)).toBeNull()
    expect(await hz.delete(s.id)).toMatchObject({ alreadyGone: true, pending: null })
  })

  it('reads per-location prices as exact decimals (net and gross)', async () => {
    const prices = await hz.prices()
    const cx23 = prices.find((p) => p.plan === 'cx23' && p.region === 'nbg1')!
    expect(cx23.monthly).toEqual({ amount: '4.4900000000', currency: 'EUR', cents: 449 })
    expect(cx23.monthlyGross).toEqual({ amount: '5.3431000000', currency: 'EUR', cents: 534 })
    expect(cx23.hourly?.amount).toBe('0.0072000000')
    expect(cx23).toMatchObject({ vcpus: 2, memoryMb: 4096, source: 'api', asOf: null })
    expect(prices.filter((p) => p.plan === 'cx23').map((p) => p.region)).toContain('ash')
  })

  it('lists locations with their clawops region group', async () => {
    const regions = await hz.regions()
    expect(regions.find((r) => r.code === 'hel1')).toMatchObject({
      city: 'Helsinki',
      country: 'FI',
      group: 'eu',
    })
    expect(regions.find((r) => r.code === 'ash')?.group).toBe('us')
  })

  it('gives up waiting at the deadline with TIMEOUT when a boot never finishes', async () => {
    const rule = fx.lab.addFault({ provider: 'hetzner', region: 'sin', hangBoot: true })
    try {
      const r = await hz.create({
        name: name('p10', 'op-hang'),
        plan: 'cx23',
        region: 'sin',
        opId: 'op-hang',
      })
      const started = Date.now()
      const err = await hz.waitFor(r.pending, { timeoutMs: 200 }).catch((e) => e)
      expect(err).toBeInstanceOf(UserError)
      expect(err.code).toBe('TIMEOUT')
      expect(err.details).toMatchObject({ provider: 'hetzner', serverId: r.server.id })
      expect(Date.now() - started).toBeLessThan(1000)
      expect((await hz.get(r.server.id))?.providerStatus).toBe('initializing')
    } finally {
      fx.lab.removeFault(rule.id)
    }
  })

  it('refuses invalid input without retrying', async () => {
    const before = hz.stats()
    const err = await hz.create({ name: 'claw-bad-type', plan: 'cx999', region: 'nbg1' }).catch((e) => e)
    expect(err.code).toBe('PROVIDER_ERROR')
    expect(err.details).toMatchObject({ status: 400, providerCode: 'invalid_input' })
    expect(hz.stats().requests - before.requests).toBe(1)
    expect(hz.stats().retries).toBe(before.retries)
  })

  it('rejects invalid labels before calling the API', async () => {
    const err = await hz
      .create({ name: 'claw-bad-label', plan: 'cx23', region: 'nbg1', labels: { 'a b': 'x' } })
      .catch((e) => e)
    expect(err.code).toBe('INVALID_INPUT')
  })
})
