import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { UserError } from '../../../src/lib/errors.js'
import { VultrAdapter } from '../../../src/lib/providers/vultr.js'
import { CREDS, type LabFixture, startLab, TUNING } from './lab-fixture.js'

let fx: LabFixture
let vu: VultrAdapter

beforeAll(async () => {
  fx = await startLab()
  vu = new VultrAdapter({ apiKey: CREDS.vultr.apiKey, baseUrl: fx.lab.endpoints.vultr.baseUrl, ...TUNING })
})
afterAll(() => fx.stop())

async function running(name: string, plan = 'vc2-1c-2gb') {
  const r = await vu.create({ name, plan, region: 'fra', opId: `op-${name}` })
  return (await vu.waitFor(r.pending, { timeoutMs: 3000 }))!
}

describe('vultr adapter against the lab', () => {
  it('creates an instance with base64 user data and tags, polled until active/running/ok', async () => {
    const r = await vu.create({
      name: 'claw-vu-1',
      plan: 'vc2-1c-2gb',
      region: 'ams',
      labels: { 'clawops/fleet': 'f1' },
      userData: '#cloud-config\npackages: [docker.io]\n',
      opId: 'op-vu-1',
    })
    expect(r.server.status).toBe('creating')
    expect(r.server.ipv4).toBeNull()
    expect(r.pending.actions).toEqual([])
    // The lab decodes base64 exactly as cloud-init on a Vultr VPS would see it.
    expect(fx.lab.servers('vultr').find((s) => s.id === r.server.id)?.userData).toBe(
      '#cloud-config\npackages: [docker.io]\n',
    )
    const up = await vu.waitFor(r.pending, { timeoutMs: 3000 })
    expect(up).toMatchObject({ status: 'running', providerStatus: 'active/running/ok', region: 'ams' })
    expect(up?.id).toMatch(/^[0-9a-f-]{36}$/)
    expect(up?.labels).toEqual({ 'clawops/fleet': 'f1', 'clawops/op': 'op-vu-1' })
  })

  it('follows cursors (500 per page) and filters by tag and label', async () => {
    fx.lab.seed({
      provider: 'vultr',
      count: 1100,
      region: 'ewr',
      labels: { 'clawops/fleet': 'many' },
      namePrefix: 'many',
    })
    const before = vu.stats().requests
    const all = await vu.list({ labels: { 'clawops/fleet': 'many' } })
    expect(all).toHaveLength(1100)
    expect(new Set(all.map((s) => s.id)).size).toBe(1100)
    expect(vu.stats().requests - before).toBe(3)
    expect(await vu.list({ name: 'many-77' })).toHaveLength(1)
    expect(await vu.list({ labels: { 'clawops/fleet': 'many' }, region: 'lax' })).toHaveLength(0)
  })

  it('finds instances by op tag', async () => {
    const s = await running('claw-vu-find')
    expect((await vu.findByOpLabel('op-claw-vu-find')).map((x) => x.id)).toEqual([s.id])
  })

  it('halts, starts and reboots', async () => {
    const s = await running('claw-vu-power')
    expect((await vu.waitFor(await vu.powerOff(s.id), { timeoutMs: 3000 }))?.status).toBe('off')
    expect((await vu.waitFor(await vu.powerOn(s.id), { timeoutMs: 3000 }))?.status).toBe('running')
    expect((await vu.waitFor(await vu.reboot(s.id), { timeoutMs: 3000 }))?.status).toBe('running')
  })

  it('upgrades in place while running', async () => {
    const s = await running('claw-vu-up')
    const r = await vu.resize(s.id, 'vc2-2c-4gb', { timeoutMs: 5000 })
    expect(r).toMatchObject({ plan: 'vc2-2c-4gb', status: 'running' })
  })

  it('refuses a downgrade before touching the instance', async () => {
    const s = await running('claw-vu-down', 'vc2-2c-4gb')
    const err = await vu.resize(s.id, 'vc2-1c-2gb').catch((e) => e)
    expect(err).toBeInstanceOf(UserError)
    expect(err.code).toBe('INVALID_INPUT')
    expect(err.details).toMatchObject({ provider: 'vultr', from: 'vc2-2c-4gb', to: 'vc2-1c-2gb' })
    expect((await vu.get(s.id))?.plan).toBe('vc2-2c-4gb')
  })

  it('lab rejects a downgrade PATCH with Vultr’s error body', async () => {
    const s = await running('claw-vu-raw', 'vc2-2c-4gb')
    const res = await request(`${fx.lab.endpoints.vultr.baseUrl}/instances/${s.id}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${CREDS.vultr.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ plan: 'vc2-1c-2gb' }),
    })
    expect(res.statusCode).toBe(400)
    expect(await res.body.json()).toEqual({
      error: 'Unable to change plan: Downgrades are not supported.',
      status: 400,
    })
  })

  it('deletes (204) and reports a repeat as already gone', async () => {
    const s = await running('claw-vu-del')
    const d = await vu.delete(s.id)
    expect(await vu.waitFor(d.pending!, { timeoutMs: 3000 })).toBeNull()
    expect((await vu.delete(s.id)).alreadyGone).toBe(true)
  })

  it('reads plan prices and regions', async () => {
    const plan = (await vu.prices()).find((p) => p.plan === 'vc2-2c-4gb')!
    expect(plan).toMatchObject({
      monthly: { amount: '20', currency: 'USD', cents: 2000 },
      hourly: null,
      memoryMb: 4096,
    })
    expect((await vu.regions()).find((r) => r.code === 'sgp')).toMatchObject({
      city: 'Singapore',
      group: 'ap',
    })
  })

  it('maps Vultr’s 400 error text', async () => {
    const err = await vu.create({ name: 'claw-vu-bad', plan: 'vc2-nope', region: 'fra' }).catch((e) => e)
    expect(err.code).toBe('PROVIDER_ERROR')
    expect(err.message).toContain('Invalid plan.')
    expect(err.details).toMatchObject({
      provider: 'vultr',
      status: 400,
      providerCode: 'http_400',
      requestId: null,
    })
  })
})
