import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { UserError } from '../../../src/lib/errors.js'
import type { BootDriver } from '../../../src/lib/lab/cloud/boot-driver.js'
import { DigitalOceanAdapter } from '../../../src/lib/providers/digitalocean.js'
import { labelToTag } from '../../../src/lib/providers/tags.js'
import { CREDS, type LabFixture, startLab, TUNING } from './lab-fixture.js'

/** Boots in 20 ms, except servers named "*doomed*", which fail like a broken image would. */
const driver: BootDriver = {
  name: 'test',
  start(server, signals) {
    if (server.name.includes('doomed')) setTimeout(() => signals.failed('kernel panic'), 5)
    else setTimeout(() => signals.ready(), 20)
  },
  stop() {},
}

let fx: LabFixture
let dO: DigitalOceanAdapter

beforeAll(async () => {
  // Actions last long enough that a second one is asked for while the first is still pending, even
  // on a loaded machine (the pending-event refusal below).
  fx = await startLab({ driver, timings: { actionMs: 400 } })
  dO = new DigitalOceanAdapter({
    token: CREDS.digitalocean.token,
    baseUrl: fx.lab.endpoints.digitalocean.baseUrl,
    ...TUNING,
  })
})
afterAll(() => fx.stop())

async function running(name: string, op = `op-${name}`) {
  const r = await dO.create({ name, plan: 's-1vcpu-2gb', region: 'fra1', opId: op })
  return (await dO.waitFor(r.pending, { timeoutMs: 3000 }))!
}

describe('digitalocean adapter against the lab', () => {
  it('creates a droplet (202 + create action), labels become tags, user data passes through', async () => {
    const r = await dO.create({
      name: 'claw-do-1',
      plan: 's-1vcpu-2gb',
      region: 'ams3',
      labels: { 'clawops/fleet': 'f1', 'clawops/role': 'standby' },
      userData: '#cloud-config\n',
      opId: 'op-do-1',
    })
    expect(r.server.providerStatus).toBe('new')
    expect(r.pending.actions).toHaveLength(1)
    const lab = fx.lab.servers('digitalocean').find((s) => s.id === r.server.id)!
    expect(lab.tags.sort()).toEqual(['clawops:fleet:f1', 'clawops:op:op-do-1', 'clawops:role:standby'])
    expect(lab.userData).toBe('#cloud-config\n')
    const up = await dO.waitFor(r.pending, { timeoutMs: 3000 })
    expect(up).toMatchObject({
      status: 'running',
      providerStatus: 'active',
      region: 'ams3',
      plan: 's-1vcpu-2gb',
    })
    expect(up?.labels).toEqual({ 'clawops/fleet': 'f1', 'clawops/role': 'standby', 'clawops/op': 'op-do-1' })
  })

  it('reports an errored create action as PROVIDER_ERROR', async () => {
    const r = await dO.create({ name: 'claw-doomed', plan: 's-1vcpu-2gb', region: 'fra1' })
    const err = await dO.waitFor(r.pending, { timeoutMs: 3000 }).catch((e) => e)
    expect(err).toBeInstanceOf(UserError)
    expect(err.code).toBe('PROVIDER_ERROR')
    expect(err.details).toMatchObject({ provider: 'digitalocean', providerCode: 'action_errored' })
  })

  it('lists all pages (200 per page) and filters by tag, completing extra labels client-side', async () => {
    fx.lab.seed({
      provider: 'digitalocean',
      count: 450,
      region: 'nyc3',
      labels: { 'clawops/fleet': 'bulk' },
      namePrefix: 'bulk',
    })
    fx.lab.seed({
      provider: 'digitalocean',
      count: 3,
      region: 'nyc3',
      labels: { 'clawops/fleet': 'bulk', 'clawops/role': 'primary' },
      namePrefix: 'bulkp',
    })
    const before = dO.stats().requests
    const all = await dO.list({ labels: { 'clawops/fleet': 'bulk' } })
    expect(all).toHaveLength(453)
    expect(dO.stats().requests - before).toBe(3)
    expect(await dO.list({ labels: { 'clawops/fleet': 'bulk', 'clawops/role': 'primary' } })).toHaveLength(3)
    expect(await dO.list({ name: 'bulkp-2' })).toHaveLength(1)
    expect(labelToTag('clawops/fleet', 'bulk')).toBe('clawops:fleet:bulk')
  })

  it('finds droplets by op tag', async () => {
    const s = await running('claw-do-find', 'op-do-find')
    expect((await dO.findByOpLabel('op-do-find')).map((x) => x.id)).toEqual([s.id])
  })

  it('runs power actions and waits on them', async () => {
    const s = await running('claw-do-power')
    expect((await dO.waitFor(await dO.powerOff(s.id), { timeoutMs: 3000 }))?.status).toBe('off')
    expect((await dO.waitFor(await dO.powerOn(s.id), { timeoutMs: 3000 }))?.status).toBe('running')
    expect((await dO.waitFor(await dO.reboot(s.id), { timeoutMs: 3000 }))?.status).toBe('running')
  })

  it('resizes with power-off first and powers on again', async () => {
    const s = await running('claw-do-resize')
    const r = await dO.resize(s.id, 's-2vcpu-4gb', { timeoutMs: 5000 })
    expect(r).toMatchObject({ plan: 's-2vcpu-4gb', status: 'running' })
  })

  it('lab refuses resize of a running droplet and a second pending event', async () => {
    const s = await running('claw-do-raw')
    const post = (body: unknown) =>
      request(`${fx.lab.endpoints.digitalocean.baseUrl}/droplets/${s.id}/actions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${CREDS.digitalocean.token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })
    const resize = await post({ type: 'resize', size: 's-2vcpu-4gb' })
    expect(resize.statusCode).toBe(422)
    expect(await resize.body.json()).toMatchObject({ id: 'unprocessable_entity' })
    expect((await post({ type: 'shutdown' })).statusCode).toBe(201)
    const busy = await post({ type: 'power_off' })
    expect(busy.statusCode).toBe(422)
    expect(((await busy.body.json()) as { message: string }).message).toMatch(/pending event/)
  })

  it('deletes (204), waits until gone, and treats a repeat as already gone', async () => {
    const s = await running('claw-do-del')
    const d = await dO.delete(s.id)
    expect(d.alreadyGone).toBe(false)
    expect(await dO.waitFor(d.pending!, { timeoutMs: 3000 })).toBeNull()
    expect((await dO.delete(s.id)).alreadyGone).toBe(true)
  })

  it('reads sizes as exact USD amounts', async () => {
    const size = (await dO.prices()).find((p) => p.plan === 's-1vcpu-2gb')!
    expect(size.monthly).toEqual({ amount: '12', currency: 'USD', cents: 1200 })
    expect(size.hourly).toEqual({ amount: '0.01786', currency: 'USD', cents: 2 })
    expect(size.regions).toContain('fra1')
  })

  it('lists regions', async () => {
    const regions = await dO.regions()
    expect(regions.find((r) => r.code === 'sgp1')).toMatchObject({ available: true, group: 'ap' })
  })

  it('rejects a tag DigitalOcean does not allow before the API sees it', async () => {
    const err = await dO
      .create({ name: 'claw-do-badtag', plan: 's-1vcpu-2gb', region: 'fra1', labels: { 'bad key': 'x' } })
      .catch((e) => e)
    expect(err.code).toBe('INVALID_INPUT')
  })

  it('maps a 422 from the API to PROVIDER_ERROR with the request id', async () => {
    const err = await dO
      .create({ name: 'claw-do-badregion', plan: 's-1vcpu-2gb', region: 'mars1' })
      .catch((e) => e)
    expect(err.code).toBe('PROVIDER_ERROR')
    expect(err.details).toMatchObject({
      provider: 'digitalocean',
      status: 422,
      providerCode: 'unprocessable_entity',
    })
    expect(err.details.requestId).toMatch(/^[0-9a-f-]{36}$/)
  })
})
