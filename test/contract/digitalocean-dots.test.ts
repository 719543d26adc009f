/**
 * DigitalOcean: the dots-wrapper SDK runs unchanged against the lab, and every answer it gets
 * validates against the schemas derived from DigitalOcean's OpenAPI document
 * (support/digitalocean-spec.ts): sizes, regions, images, create with tags and user data, list by
 * tag and by name across pages, get, the droplet's action list and each action, power off/on,
 * reboot, resize while off, a snapshot (the droplet action, the droplet's snapshots, the snapshot
 * itself, kept after the droplet is gone, deleted), delete, the errors (401, 404, 405, 422, 429 with ratelimit-* headers).
 */
import { createApiClient } from 'dots-wrapper'
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DIGITALOCEAN as SPEC } from './support/digitalocean-spec.js'
import { type ContractLab, contractLab, until } from './support/lab.js'
import { expectValid, isValid } from './support/schema.js'

let fx: ContractLab
let dots: ReturnType<typeof createApiClient>

function client(token: string) {
  return createApiClient({ token, endpoint: fx.lab.endpoints.digitalocean.baseUrl })
}

beforeAll(async () => {
  fx = await contractLab({ quotas: { digitalocean: { capacity: 400, refillPerSec: 0.01 } } })
  dots = client(fx.creds.digitalocean.token)
})
afterAll(() => fx?.stop())

/** The axios error's response, for the SDK's failures. */
async function failure(
  p: Promise<unknown>,
): Promise<{ status: number; data: unknown; headers: Record<string, string> }> {
  const err = (await p.then(
    () => {
      throw new Error('expected the call to fail')
    },
    (e: unknown) => e,
  )) as { response?: { status: number; data: unknown; headers: Record<string, string> } }
  if (!err.response) throw err
  return err.response
}

async function droplet(id: number) {
  const r = await dots.droplet.getDroplet({ droplet_id: id })
  expectValid(SPEC.droplet_get, r.data, 'GET /droplets/{id}')
  return r.data.droplet
}

describe('dots-wrapper against the lab, validated against the OpenAPI document', () => {
  it('the schemas can fail: a droplet without its required fields does not validate', () => {
    expect(isValid(SPEC.droplet_get, { droplet: { id: 1, name: 'x' } })).toBe(false)
    expect(isValid(SPEC.action_get, { action: { id: 1, status: 'done' } })).toBe(false)
  })

  it('reads sizes, regions and images', async () => {
    const sizes = await dots.size.listSizes({ per_page: 200 })
    expectValid(SPEC.size_list, sizes.data, 'GET /sizes')
    expect(sizes.data.sizes.map((s) => s.slug)).toContain('s-1vcpu-2gb')
    const regions = await dots.region.listRegions({})
    expectValid(SPEC.region_list, regions.data, 'GET /regions')
    const images = await dots.image.listImages({ type: 'distribution' })
    expectValid(SPEC.image_list, images.data, 'GET /images')
    const image = await dots.image.getImage({ slug: 'ubuntu-24-04-x64' } as never)
    expectValid(SPEC.image_get, image.data, 'GET /images/{slug}')
    expect(image.data.image.slug).toBe('ubuntu-24-04-x64')
  })

  let id: number
  let snapshotId: string
  it('creates a droplet with tags and user data, then waits on its create action', async () => {
    const r = await dots.droplet.createDroplet({
      name: 'claw-dots-1',
      region: 'fra1',
      size: 's-1vcpu-2gb',
      image: 'ubuntu-24-04-x64',
      tags: ['clawops:fleet:contract', 'clawops:role:primary'],
      ipv6: true,
      user_data: '#cloud-config\nhostname: claw-dots-1\n',
    })
    expect(r.status).toBe(202)
    expectValid(SPEC.droplet_create_response, r.data, 'POST /droplets')
    id = r.data.droplet.id
    const link = (r.data as unknown as { links: { actions: { id: number }[] } }).links.actions[0]!
    const done = await until(async () => {
      const a = await dots.action.getAction({ action_id: link.id })
      expectValid(SPEC.action_get, a.data, 'GET /actions/{id}')
      return a.data.action.status === 'completed' && a.data.action
    })
    expect(done).toMatchObject({ type: 'create', resource_id: id, resource_type: 'droplet' })
    expect(await droplet(id)).toMatchObject({
      status: 'active',
      tags: ['clawops:fleet:contract', 'clawops:role:primary'],
    })
  })

  it('lists by tag, by name and across pages', async () => {
    const byTag = await dots.droplet.listDroplets({ tag_name: 'clawops:role:primary' })
    expectValid(SPEC.droplet_list, byTag.data, 'GET /droplets?tag_name=')
    expect(byTag.data.droplets.map((d) => d.name)).toEqual(['claw-dots-1'])
    // dots-wrapper has no name filter; the adapter uses it, so it is checked over plain HTTP.
    const byName = await request(`${fx.lab.endpoints.digitalocean.baseUrl}/droplets?name=CLAW-DOTS-1`, {
      headers: { authorization: `Bearer ${fx.creds.digitalocean.token}` },
    })
    const named = (await byName.body.json()) as { droplets: { id: number }[] }
    expectValid(SPEC.droplet_list, named, 'GET /droplets?name=')
    expect(named.droplets.map((d) => d.id)).toEqual([id])

    fx.lab.seed({ provider: 'digitalocean', count: 30, labels: { 'clawops/fleet': 'paged' } })
    const first = await dots.droplet.listDroplets({ tag_name: 'clawops:fleet:paged', per_page: 20 })
    expectValid(SPEC.droplet_list, first.data, 'GET /droplets page 1')
    expect(first.data.meta?.total).toBe(30)
    expect(first.data.links?.pages?.next).toMatch(/page=2/)
    const second = await dots.droplet.listDroplets({ tag_name: 'clawops:fleet:paged', per_page: 20, page: 2 })
    expect(second.data.droplets).toHaveLength(10)
    expect(second.data.links?.pages?.prev).toMatch(/page=1/)
  })

  it('powers off, resizes while off, powers on, reboots; lists and gets the droplet’s actions', async () => {
    const waitFor = async (actionId: number) =>
      until(async () => {
        const a = await dots.droplet.getDropletAction({ droplet_id: id, action_id: actionId })
        expectValid(SPEC.action_get, a.data, 'GET /droplets/{id}/actions/{action_id}')
        return a.data.action.status === 'completed' && a.data.action
      })
    const off = await dots.droplet.powerOffDroplet({ droplet_id: id })
    expectValid(SPEC.action_get, off.data, 'POST /droplets/{id}/actions power_off')
    expect((await waitFor(off.data.action.id)).type).toBe('power_off')
    const resize = await dots.droplet.resizeDroplet({ droplet_id: id, size: 's-2vcpu-4gb', disk: false })
    expect((await waitFor(resize.data.action.id)).type).toBe('resize')
    expect((await droplet(id)).size_slug).toBe('s-2vcpu-4gb')
    const on = await dots.droplet.powerOnDroplet({ droplet_id: id })
    expect((await waitFor(on.data.action.id)).type).toBe('power_on')
    expect((await droplet(id)).status).toBe('active')
    const reboot = await dots.droplet.rebootDroplet({ droplet_id: id })
    expect((await waitFor(reboot.data.action.id)).type).toBe('reboot')

    const actions = await dots.droplet.listDropletActions({ droplet_id: id })
    expectValid(SPEC.action_list, actions.data, 'GET /droplets/{id}/actions')
    expect(actions.data.actions.map((a) => a.type)).toEqual([
      'create',
      'power_off',
      'resize',
      'power_on',
      'reboot',
    ])
    const all = await dots.action.listActions({})
    expectValid(SPEC.action_list, all.data, 'GET /actions')

    // Resizing a running droplet is refused in the API's own error shape.
    const running = await failure(
      dots.droplet.resizeDroplet({ droplet_id: id, size: 's-4vcpu-8gb', disk: false }),
    )
    expect(running.status).toBe(422)
    expectValid(SPEC.error, running.data, '422 body')
  })

  it('takes a snapshot, lists it under the droplet and among all snapshots, and gets it', async () => {
    const taken = await dots.droplet.snapshotDroplet({ droplet_id: id, name: 'clawops-0123456789ab' })
    expectValid(SPEC.action_get, taken.data, 'POST /droplets/{id}/actions snapshot')
    expect(taken.data.action.type).toBe('snapshot')
    await until(async () => {
      const a = await dots.droplet.getDropletAction({ droplet_id: id, action_id: taken.data.action.id })
      return a.data.action.status === 'completed'
    })
    const mine = await dots.droplet.listDropletSnapshots({ droplet_id: id })
    expectValid(SPEC.droplet_snapshot_list, mine.data, 'GET /droplets/{id}/snapshots')
    const snap = mine.data.snapshots.find((x) => x.name === 'clawops-0123456789ab')!
    expect(snap).toBeDefined()
    expect((await droplet(id)).snapshot_ids).toContain(Number(snap.id))
    const all = await dots.snapshot.listSnapshots({ resource_type: 'droplet' })
    expectValid(SPEC.snapshot_list, all.data, 'GET /snapshots')
    const one = await dots.snapshot.getSnapshot({ snapshot_id: snap.id })
    expectValid(SPEC.snapshot_get, one.data, 'GET /snapshots/{id}')
    expect(one.data.snapshot).toMatchObject({ resource_id: String(id), resource_type: 'droplet' })
    snapshotId = String(snap.id)
  })

  it('deletes, then answers 404 in its own shape', async () => {
    const del = await dots.droplet.deleteDroplet({ droplet_id: id })
    expect(del.status).toBe(204)
    await until(async () => !fx.lab.servers('digitalocean').some((s) => s.id === String(id)))
    const gone = await failure(dots.droplet.getDroplet({ droplet_id: id }))
    expect(gone.status).toBe(404)
    expectValid(SPEC.error, gone.data, '404 body')
    expect(gone.data).toMatchObject({ id: 'not_found' })
    // A droplet's snapshot outlives it, until it is deleted.
    const kept = await dots.snapshot.getSnapshot({ snapshot_id: snapshotId })
    expectValid(SPEC.snapshot_get, kept.data, 'GET /snapshots/{id} after the droplet')
    expect((await dots.snapshot.deleteSnapshot({ snapshot_id: snapshotId })).status).toBe(204)
    const noSnap = await failure(dots.snapshot.getSnapshot({ snapshot_id: snapshotId }))
    expect(noSnap.status).toBe(404)
    expectValid(SPEC.error, noSnap.data, '404 body')
  })

  it('answers 401, 405 and 429 in its own shape, with ratelimit headers', async () => {
    const denied = await failure(client('not-the-token').droplet.listDroplets({}))
    expect(denied.status).toBe(401)
    expect(denied.data).toMatchObject({ id: 'Unauthorized', message: 'Unable to authenticate you' })
    expectValid(SPEC.error, denied.data, '401 body')

    const wrongMethod = await request(`${fx.lab.endpoints.digitalocean.baseUrl}/sizes`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${fx.creds.digitalocean.token}` },
    })
    expect(wrongMethod.statusCode).toBe(405)
    expectValid(SPEC.error, await wrongMethod.body.json(), '405 body')

    // The lab's bucket for this file barely refills: use it up.
    let limited: Awaited<ReturnType<typeof failure>> | null = null
    for (let i = 0; i < 500 && !limited; i++) {
      const r = await dots.size.listSizes({}).then(
        () => null,
        (e: { response?: Awaited<ReturnType<typeof failure>> }) => e.response ?? null,
      )
      if (r) limited = r
    }
    expect(limited?.status).toBe(429)
    expectValid(SPEC.error, limited?.data, '429 body')
    expect(limited?.data).toMatchObject({ id: 'too_many_requests' })
    expect(limited?.headers['ratelimit-remaining']).toBe('0')
    expect(Number(limited?.headers['ratelimit-reset'])).toBeGreaterThan(Date.now() / 1000)
  })
})
