/**
 * Vultr: the official @vultr/vultr-node SDK runs unchanged against the lab (govultr is the reference
 * for the shapes): plans, regions and their availability, operating systems, create as the SDK sends
 * it (os_id as a string, base64 user data, tags), list with filters and cursor pages, get, halt,
 * start, reboot, upgrade-only plan change, a snapshot (taken, listed by description, kept after its
 * instance is deleted, deleted), delete, and the API's 401 for a wrong key.
 */
// biome-ignore lint/suspicious/noTsIgnore: the package ships no types for its CommonJS entry
// @ts-ignore
import VultrNode from '@vultr/vultr-node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ContractLab, contractLab, until } from './support/lab.js'

// biome-ignore lint/suspicious/noExplicitAny: the SDK's functions are generated at run time
type Client = any
interface Instance {
  id: string
  label: string
  plan: string
  region: string
  os_id: number
  status: string
  power_status: string
  server_status: string
  main_ip: string
  tags: string[]
}

let fx: ContractLab
let vultr: Client

function client(apiKey: string): Client {
  return VultrNode.initialize({ apiKey, baseUrl: fx.lab.endpoints.vultr.baseUrl })
}

beforeAll(async () => {
  fx = await contractLab()
  vultr = client(fx.creds.vultr.apiKey)
})
afterAll(() => fx?.stop())

const ready = (i: Instance) =>
  i.status === 'active' && i.power_status === 'running' && i.server_status === 'ok'

async function instance(id: string): Promise<Instance> {
  const r = await vultr.instances.getInstance({ 'instance-id': id })
  if (r instanceof Error) throw r
  return r.instance
}

describe('@vultr/vultr-node against the lab', () => {
  it('reads plans, regions, availability and operating systems', async () => {
    const plans = await vultr.plans.listPlans({ type: 'vc2' })
    expect(plans.plans.map((p: { id: string }) => p.id)).toContain('vc2-1c-2gb')
    expect(plans.meta.total).toBe(plans.plans.length)
    const regions = await vultr.regions.listRegions()
    expect(regions.regions.map((r: { id: string }) => r.id)).toContain('fra')
    const avail = await vultr.regions.listAvailableComputeInRegion({ 'region-id': 'fra' })
    expect(avail.available_plans).toContain('vc2-1c-2gb')
    const os = await vultr.operatingSystems.listImages()
    expect(os.os.map((o: { id: number }) => o.id)).toContain(2284)
  })

  it('creates an instance as the SDK sends it (os_id as a string) and waits until it is ready', async () => {
    const r = await vultr.instances.createInstance({
      region: 'fra',
      plan: 'vc2-1c-2gb',
      os_id: '2284',
      label: 'claw-vn-1',
      hostname: 'claw-vn-1',
      tags: ['clawops:fleet:contract', 'clawops:role:primary'],
      user_data: Buffer.from('#cloud-config\nhostname: claw-vn-1\n').toString('base64'),
    })
    expect(r).not.toBeInstanceOf(Error)
    expect(r.instance).toMatchObject({ label: 'claw-vn-1', os_id: 2284, status: 'pending' })
    expect(r.instance.default_password).toEqual(expect.any(String))
    const id = r.instance.id as string
    // Vultr answers 429 past about 30 requests a second, and every test here shares that budget: poll
    // at 10 a second.
    const up = await until(
      async () => {
        const i = await instance(id)
        return ready(i) && i
      },
      5000,
      100,
    )
    expect(up).toMatchObject({ plan: 'vc2-1c-2gb', region: 'fra', os_id: 2284 })
    expect(up.main_ip).not.toBe('0.0.0.0')
    const bad = await vultr.instances.createInstance({ region: 'fra', plan: 'vc2-1c-2gb', os_id: '9999' })
    expect(bad).toBeInstanceOf(Error)
    expect(bad.message).toBe('Bad Request: Invalid os_id.')
  })

  it('lists with tag, label and region filters, across cursor pages', async () => {
    const byTag = await vultr.instances.listInstances({ tag: 'clawops:role:primary' })
    expect(byTag.instances.map((i: Instance) => i.label)).toEqual(['claw-vn-1'])
    const byLabel = await vultr.instances.listInstances({ label: 'claw-vn-1', region: 'fra' })
    expect(byLabel.instances).toHaveLength(1)
    expect((await vultr.instances.listInstances({ label: 'claw-vn-1', region: 'ams' })).instances).toEqual([])
    fx.lab.seed({ provider: 'vultr', count: 7, labels: { 'clawops/fleet': 'paged' } })
    const seen: string[] = []
    let cursor: string | undefined
    do {
      const page = await vultr.instances.listInstances({
        per_page: '3',
        tag: 'clawops:fleet:paged',
        ...(cursor ? { cursor } : {}),
      })
      expect(page.meta.total).toBe(7)
      seen.push(...page.instances.map((i: Instance) => i.id))
      cursor = page.meta.links.next || undefined
    } while (cursor)
    expect(new Set(seen).size).toBe(7)
  })

  it('halts, starts, reboots, upgrades the plan (never down), deletes', async () => {
    const [first] = (await vultr.instances.listInstances({ label: 'claw-vn-1' })).instances as Instance[]
    const id = first!.id
    expect(await vultr.instances.haltInstance({ 'instance-id': id })).toBeUndefined()
    await until(async () => (await instance(id)).power_status === 'stopped', 5000, 100)
    expect(await vultr.instances.startInstance({ 'instance-id': id })).toBeUndefined()
    await until(async () => ready(await instance(id)), 5000, 100)
    expect(await vultr.instances.rebootInstance({ 'instance-id': id })).toBeUndefined()
    await until(async () => ready(await instance(id)), 5000, 100)

    const upgrades = await vultr.instances.getAvailableInstanceUpgrades({ 'instance-id': id, type: 'plans' })
    expect(upgrades.upgrades.plans).toContain('vc2-2c-4gb')
    const changed = await vultr.instances.updateInstance({ 'instance-id': id, plan: 'vc2-2c-4gb' })
    expect(changed).not.toBeInstanceOf(Error)
    await until(async () => {
      const i = await instance(id)
      return i.plan === 'vc2-2c-4gb' && ready(i)
    })
    const down = await vultr.instances.updateInstance({ 'instance-id': id, plan: 'vc2-1c-2gb' })
    expect(down).toBeInstanceOf(Error)
    expect(down.message).toMatch(/Downgrades are not supported/)

    expect(await vultr.instances.deleteInstance({ 'instance-id': id })).toBeUndefined()
    const gone = await vultr.instances.getInstance({ 'instance-id': id })
    expect(gone).toBeInstanceOf(Error)
    expect(gone.message).toBe('Not Found: Invalid instance-id.')
  })

  it('takes a snapshot (pending, then complete), lists it by description, keeps it after the instance, deletes it', async () => {
    const r = await vultr.instances.createInstance({
      region: 'ams',
      plan: 'vc2-1c-2gb',
      os_id: '2284',
      label: 'claw-vn-snap',
    })
    const id = r.instance.id as string
    // Vultr answers 429 past about 30 requests a second: poll at 20 a second.
    await until(async () => ready(await instance(id)), 5000, 100)
    const taken = await vultr.snapshots.createSnapshot({
      instance_id: id,
      description: 'clawops-0123456789ab',
    })
    expect(taken).not.toBeInstanceOf(Error)
    // govultr's Snapshot: every field of it, as the SDK passes the answer through.
    expect(Object.keys(taken.snapshot).sort()).toEqual(
      ['app_id', 'compressed_size', 'date_created', 'description', 'id', 'os_id', 'size', 'status'].sort(),
    )
    expect(taken.snapshot).toMatchObject({
      description: 'clawops-0123456789ab',
      status: 'pending',
      os_id: 2284,
    })
    const sid = taken.snapshot.id as string
    const done = await until(
      async () => {
        const g = await vultr.snapshots.getSnapshot({ 'snapshot-id': sid })
        return g.snapshot.status === 'complete' && g.snapshot
      },
      5000,
      50,
    )
    expect(done.size).toBeGreaterThan(0)
    const listed = await vultr.snapshots.listSnapshots({ description: 'clawops-0123456789ab' })
    expect(listed.snapshots.map((x: { id: string }) => x.id)).toEqual([sid])
    expect(listed.meta).toMatchObject({ total: 1, links: { next: '', prev: '' } })
    expect(await vultr.instances.deleteInstance({ 'instance-id': id })).toBeUndefined()
    expect((await vultr.snapshots.getSnapshot({ 'snapshot-id': sid })).snapshot.id).toBe(sid)
    expect(await vultr.snapshots.deleteSnapshot({ 'snapshot-id': sid })).toBeUndefined()
    const gone = await vultr.snapshots.getSnapshot({ 'snapshot-id': sid })
    expect(gone).toBeInstanceOf(Error)
    expect(gone.message).toBe('Not Found: Invalid snapshot ID.')
  })

  it('gets the API’s 401 for a wrong key', async () => {
    const r = await client('not-the-key').instances.listInstances()
    expect(r).toBeInstanceOf(Error)
    expect(r.message).toBe('Unauthorized: Invalid API token.')
  })
})
