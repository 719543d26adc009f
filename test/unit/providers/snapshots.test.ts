/**
 * Snapshots and reinstalls through the five adapters against the lab: a snapshot is taken once
 * (asking again for the same name returns it), is available before the call returns, outlives its
 * server where the provider keeps snapshots per account and goes with it where they belong to the
 * server; a delete is idempotent. Contabo's reinstall and Hostinger's recreate wipe the disk.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Provider } from '../../../src/lib/domain/provider.js'
import { ContaboAdapter } from '../../../src/lib/providers/contabo.js'
import { DigitalOceanAdapter } from '../../../src/lib/providers/digitalocean.js'
import { HetznerAdapter } from '../../../src/lib/providers/hetzner.js'
import { HostingerAdapter } from '../../../src/lib/providers/hostinger.js'
import { serverName, snapshotName } from '../../../src/lib/providers/names.js'
import type { ProviderAdapter } from '../../../src/lib/providers/types.js'
import { VultrAdapter } from '../../../src/lib/providers/vultr.js'
import { CREDS, type LabFixture, startLab, TUNING } from './lab-fixture.js'

let fx: LabFixture
let adapters: Record<Provider, ProviderAdapter>

const REGION: Record<Provider, string> = {
  hetzner: 'nbg1',
  vultr: 'ams',
  digitalocean: 'fra1',
  contabo: 'EU',
  hostinger: 'nl-ams',
}

beforeAll(async () => {
  fx = await startLab()
  const e = fx.lab.endpoints
  adapters = {
    hetzner: new HetznerAdapter({ token: CREDS.hetzner.token, baseUrl: e.hetzner.baseUrl, ...TUNING }),
    vultr: new VultrAdapter({ apiKey: CREDS.vultr.apiKey, baseUrl: e.vultr.baseUrl, ...TUNING }),
    digitalocean: new DigitalOceanAdapter({
      token: CREDS.digitalocean.token,
      baseUrl: e.digitalocean.baseUrl,
      ...TUNING,
    }),
    contabo: new ContaboAdapter({
      ...CREDS.contabo,
      baseUrl: e.contabo.baseUrl,
      authUrl: e.contabo.authUrl,
      ...TUNING,
    }),
    hostinger: new HostingerAdapter({
      token: CREDS.hostinger.token,
      baseUrl: e.hostinger.baseUrl,
      ...TUNING,
    }),
  }
})
afterAll(() => fx.stop())

let n = 0
async function server(p: Provider): Promise<string> {
  const op = `op-snap-${p}-${++n}`
  const a = adapters[p]
  const r = await a.create({
    name: serverName({ fleet: 'snap', pair: `p${n}`, role: 'primary', opId: op }),
    plan: a.planFor('standard'),
    region: REGION[p],
    opId: op,
  })
  await a.waitFor(r.pending, { timeoutMs: 5000 })
  return r.server.id
}

const labSnapshots = (p: Provider) => fx.lab.snapshots(p)

describe.each(['hetzner', 'digitalocean', 'vultr', 'contabo', 'hostinger'] as const)('%s snapshots', (p) => {
  it('takes a snapshot once, available when the call returns; asking again returns the same one', async () => {
    const a = adapters[p]
    const id = await server(p)
    const name = snapshotName(`op-${p}`, `i-${id}`)
    const askedAt = new Date().toISOString()
    const snap = await a.snapshot(id, name, { timeoutMs: 5000, askedAt })
    expect(snap).toMatchObject({ provider: p, serverId: id, status: 'available' })
    const again = await a.snapshot(id, name, { timeoutMs: 5000, askedAt })
    expect(again.id).toBe(snap.id)
    expect(labSnapshots(p).filter((x) => x.serverId === id)).toHaveLength(1)
    expect(await a.getSnapshot({ id: snap.id, serverId: id })).toMatchObject({ id: snap.id })
    // Contabo and Hostinger remove their snapshots by themselves after a while; the others keep them.
    if (a.capabilities.snapshots === 'server') expect(snap.expiresAt).not.toBeNull()
    else expect(snap.expiresAt).toBeNull()
  })

  it(`${p === 'contabo' || p === 'hostinger' ? 'loses' : 'keeps'} the snapshot when the server is deleted; a delete is idempotent`, async () => {
    const a = adapters[p]
    const id = await server(p)
    const snap = await a.snapshot(id, snapshotName(`op-del-${p}`, `i-${id}`), { timeoutMs: 5000 })
    // Contabo and Hostinger have no delete: their servers go when the term ends. The lab's purge stands in.
    if (a.capabilities.delete === 'immediate') {
      const d = await a.delete(id)
      if (d.pending) await a.waitFor(d.pending, { timeoutMs: 5000 })
      expect(await a.getSnapshot({ id: snap.id, serverId: id })).toMatchObject({ id: snap.id })
      expect(await a.deleteSnapshot({ id: snap.id, serverId: id })).toEqual({ alreadyGone: false })
      expect(await a.getSnapshot({ id: snap.id, serverId: id })).toBeNull()
      expect(await a.deleteSnapshot({ id: snap.id, serverId: id })).toEqual({ alreadyGone: true })
    } else {
      expect(a.capabilities.snapshots).toBe('server')
      expect(await a.deleteSnapshot({ id: snap.id, serverId: id })).toEqual({ alreadyGone: false })
      expect(await a.getSnapshot({ id: snap.id, serverId: id })).toBeNull()
      expect(await a.deleteSnapshot({ id: snap.id, serverId: id })).toEqual({ alreadyGone: true })
    }
  })
})

describe('reinstall (the contract providers)', () => {
  it.each(['contabo', 'hostinger'] as const)('%s: a fresh OS with no user data, running again', async (p) => {
    const a = adapters[p]
    const op = `op-re-${p}`
    const r = await a.create({
      name: serverName({ fleet: 'snap', pair: `re-${p}`, role: 'standby', opId: op }),
      plan: a.planFor('nano'),
      region: REGION[p],
      userData:
        a.capabilities.userData === 'shell-script' ? '#!/bin/sh\ntrue\n' : '#cloud-config\nruncmd: []\n',
      opId: op,
    })
    await a.waitFor(r.pending, { timeoutMs: 5000 })
    expect(fx.lab.servers(p).find((s) => s.id === r.server.id)?.userData).not.toBeNull()
    const pending = await a.reinstall!(r.server.id)
    expect(fx.lab.servers(p).find((s) => s.id === r.server.id)?.userData).toBeNull()
    const up = await a.waitFor(pending, { timeoutMs: 5000 })
    expect(up?.status).toBe('running')
  })

  it('hostinger: a recreate deletes the VM’s snapshot (its only copy of the disk)', async () => {
    const a = adapters.hostinger
    const id = await server('hostinger')
    const snap = await a.snapshot(id, snapshotName('op-h', id), { timeoutMs: 5000 })
    await a.waitFor(await a.reinstall!(id), { timeoutMs: 5000 })
    expect(await a.getSnapshot({ id: snap.id, serverId: id })).toBeNull()
  })

  it('the other providers have no reinstall: they delete', () => {
    for (const p of ['hetzner', 'digitalocean', 'vultr'] as const)
      expect(adapters[p].reinstall).toBeUndefined()
  })
})
