import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { HostingerAdapter } from '../../../src/lib/providers/hostinger.js'
import { serverName } from '../../../src/lib/providers/names.js'
import { CREDS, type LabFixture, startLab, TUNING } from './lab-fixture.js'

const FAST = { ...TUNING, rateLimit: { capacity: 1000, refillPerSec: 1000 } }

let fx: LabFixture
let hs: HostingerAdapter

beforeAll(async () => {
  fx = await startLab()
  hs = new HostingerAdapter({
    token: CREDS.hostinger.token,
    baseUrl: fx.lab.endpoints.hostinger.baseUrl,
    ...FAST,
  })
})
afterAll(() => fx.stop())

const nameFor = (pair: string, op: string) => serverName({ fleet: 'hs', pair, role: 'standby', opId: op })

async function running(pair: string) {
  const op = `op-hs-${pair}`
  const r = await hs.create({
    name: nameFor(pair, op),
    plan: 'hostingercom-vps-kvm1-usd-1m',
    region: 'nl-ams',
    opId: op,
  })
  return (await hs.waitFor(r.pending, { timeoutMs: 3000 }))!
}

describe('hostinger adapter against the lab', () => {
  it('purchases a VM from the catalogue with the user data as post-install script', async () => {
    const op = 'op-hs-buy'
    const r = await hs.create({
      name: nameFor('p1', op),
      plan: 'hostingercom-vps-kvm2-usd-1m',
      region: 'us-bos',
      userData: '#!/bin/sh\necho hi\n',
      opId: op,
    })
    expect(r.server).toMatchObject({
      name: nameFor('p1', op),
      plan: 'KVM 2',
      status: 'creating',
      region: 'unknown',
    })
    const lab = fx.lab.servers('hostinger').find((s) => s.id === r.server.id)!
    expect(lab).toMatchObject({ region: 'us-bos', userData: '#!/bin/sh\necho hi\n', image: '1077' })
    expect((await hs.waitFor(r.pending, { timeoutMs: 3000 }))?.status).toBe('running')
    expect((await hs.findByOpLabel(op)).map((s) => s.id)).toEqual([r.server.id])
  })

  it('refuses an unknown data centre and an OS template it cannot find', async () => {
    await expect(
      hs.create({
        name: nameFor('p2', 'op-x'),
        plan: 'hostingercom-vps-kvm1-usd-1m',
        region: 'xx-nowhere',
        opId: 'op-x',
      }),
    ).rejects.toMatchObject({ code: 'INVALID_INPUT' })
    await expect(
      hs.create({
        name: nameFor('p2', 'op-x'),
        plan: 'hostingercom-vps-kvm1-usd-1m',
        region: 'nl-ams',
        image: 'Windows',
        opId: 'op-x',
      }),
    ).rejects.toMatchObject({ code: 'INVALID_INPUT' })
  })

  it('maps a 422 validation error with its field messages', async () => {
    const err = await hs
      .create({ name: nameFor('p3', 'op-y'), plan: 'no-such-item', region: 'nl-ams', opId: 'op-y' })
      .catch((e) => e)
    expect(err.code).toBe('PROVIDER_ERROR')
    expect(err.details).toMatchObject({
      provider: 'hostinger',
      status: 422,
      providerCode: 'validation_error',
    })
    expect(err.message).toContain('item_id')
    expect(err.details.requestId).toMatch(/^[0-9a-f-]{36}$/)
  })

  it('stops, starts and restarts through polled actions', async () => {
    const s = await running('p4')
    const stop = await hs.powerOff(s.id)
    expect(stop.actions).toHaveLength(1)
    expect((await hs.waitFor(stop, { timeoutMs: 3000 }))?.status).toBe('off')
    expect((await hs.waitFor(await hs.powerOn(s.id), { timeoutMs: 3000 }))?.status).toBe('running')
    expect((await hs.waitFor(await hs.reboot(s.id), { timeoutMs: 3000 }))?.status).toBe('running')
  })

  it('cannot delete: teardown turns auto-renewal off and the VM runs to the end of the term', async () => {
    const s = await running('p5')
    const d = await hs.delete(s.id)
    expect(d).toMatchObject({ mode: 'end-of-term', pending: null, alreadyGone: false })
    expect(Date.parse(d.effectiveAt!)).toBeGreaterThan(Date.now())
    const sub = fx.lab.servers('hostinger').find((x) => x.id === s.id)!.subscriptionId
    expect(sub).toBeTruthy()
    expect((await hs.get(s.id))?.status).toBe('running')
    expect(hs.capabilities).toEqual({
      resize: 'replace',
      delete: 'end-of-term',
      labels: 'none',
      prices: 'api',
      userData: 'shell-script',
      snapshots: 'server',
    })
  })

  it('has no resize and lists without labels', async () => {
    const s = await running('p6')
    await expect(hs.resize(s.id, 'hostingercom-vps-kvm2-usd-1m')).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    })
    await expect(hs.list({ labels: { a: 'b' } })).rejects.toMatchObject({ code: 'INVALID_INPUT' })
    expect((await hs.list({ name: s.name })).map((x) => x.id)).toEqual([s.id])
  })

  it('turns catalogue prices in cents per period into monthly amounts', async () => {
    const prices = await hs.prices()
    expect(prices.find((p) => p.plan === 'hostingercom-vps-kvm1-usd-1m')).toMatchObject({
      monthly: { amount: '6.4900', currency: 'USD', cents: 649 },
      termMonths: 1,
      source: 'api',
    })
    // Yearly: 20 % off 12 × 6.49 = 62.30 (6230 cents) → 5.1917 a month.
    expect(prices.find((p) => p.plan === 'hostingercom-vps-kvm1-usd-12m')).toMatchObject({
      monthly: { amount: '5.1917', cents: 519 },
      termMonths: 12,
    })
  })

  it('derives region codes from the data centres', async () => {
    const codes = (await hs.regions()).map((r) => r.code).sort()
    expect(codes).toEqual(['in-mum', 'lt-vil', 'nl-ams', 'us-bos'])
  })
})
