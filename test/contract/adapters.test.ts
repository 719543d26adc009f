/**
 * clawops's own adapters against the lab, their requests checked against the same documents as
 * the lab's answers: DigitalOcean's create and action bodies and Contabo's create body against the
 * schemas derived from their OpenAPI documents, Hostinger's purchase and script bodies against the
 * hostinger-api-sdk types, Hetzner's create body against the fields of hcloud-go's
 * ServerCreateRequest, Vultr's against the parameters @vultr/vultr-node declares; the same for each
 * provider's snapshot request and Contabo's and Hostinger's reinstall. And a wrong
 * credential: every adapter gets the provider's 401 and turns it into PROVIDER_ERROR with a hint.
 */
import { createRequire } from 'node:module'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Provider } from '../../src/lib/domain/provider.js'
import { UserError } from '../../src/lib/errors.js'
import { createProvider, type ProviderOptions } from '../../src/lib/providers/index.js'
import { serverName } from '../../src/lib/providers/names.js'
import type { ProviderAdapter } from '../../src/lib/providers/types.js'
import { CONTABO } from './support/contabo-spec.js'
import { DIGITALOCEAN } from './support/digitalocean-spec.js'
import { type ContractLab, contractLab } from './support/lab.js'
import { expectValid } from './support/schema.js'
import { typeErrors } from './support/sdk-types.js'

const require = createRequire(import.meta.url)
const TUNING = {
  pollMs: 10,
  retry: { baseMs: 1, capMs: 5, maxRetries: 2, maxRetryAfterMs: 50 },
  rateLimit: { capacity: 1000, refillPerSec: 1000 },
}

/** hcloud-go schema.ServerCreateRequest's JSON fields (reference/providers-and-cli.md §1.2). */
const HETZNER_CREATE_FIELDS = [
  'name',
  'server_type',
  'image',
  'location',
  'datacenter',
  'labels',
  'user_data',
  'ssh_keys',
  'start_after_create',
  'public_net',
  'firewalls',
  'networks',
  'volumes',
  'automount',
  'placement_group',
]

let fx: ContractLab

function options(p: Provider, wrong = false): ProviderOptions {
  const e = fx.lab.endpoints
  const c = fx.creds
  const bad = (s: string) => (wrong ? `${s}-wrong` : s)
  switch (p) {
    case 'hetzner':
      return { provider: p, token: bad(c.hetzner.token), baseUrl: e.hetzner.baseUrl, ...TUNING }
    case 'vultr':
      return { provider: p, apiKey: bad(c.vultr.apiKey), baseUrl: e.vultr.baseUrl, ...TUNING }
    case 'digitalocean':
      return { provider: p, token: bad(c.digitalocean.token), baseUrl: e.digitalocean.baseUrl, ...TUNING }
    case 'hostinger':
      return { provider: p, token: bad(c.hostinger.token), baseUrl: e.hostinger.baseUrl, ...TUNING }
    case 'contabo':
      return {
        provider: p,
        ...c.contabo,
        password: bad(c.contabo.password),
        baseUrl: e.contabo.baseUrl,
        authUrl: e.contabo.authUrl,
        ...TUNING,
      }
  }
}

const PLAN: Record<Provider, { region: string; plan: string; bigger: string }> = {
  hetzner: { region: 'fsn1', plan: 'cx23', bigger: 'cx33' },
  vultr: { region: 'fra', plan: 'vc2-1c-2gb', bigger: 'vc2-2c-4gb' },
  digitalocean: { region: 'fra1', plan: 's-1vcpu-2gb', bigger: 's-2vcpu-4gb' },
  contabo: { region: 'EU', plan: 'V92', bigger: 'V94' },
  hostinger: { region: 'nl-ams', plan: 'hostingercom-vps-kvm1-usd-1m', bigger: '' },
}

/** Every adapter call clawops makes on a server's life: create, wait, get, list, power, resize, delete. */
async function lifecycle(p: Provider): Promise<void> {
  const a: ProviderAdapter = createProvider(options(p))
  const op = `op-contract-${p}`
  const r = await a.create({
    name: serverName({ fleet: 'ct', pair: p, role: 'primary', opId: op }),
    plan: PLAN[p].plan,
    region: PLAN[p].region,
    ...(p === 'contabo' || p === 'hostinger' ? {} : { labels: { 'clawops/fleet': 'ct' } }),
    // In the provider's own format: Hostinger runs a post-install shell script, the others cloud-init.
    userData:
      a.capabilities.userData === 'shell-script'
        ? '#!/bin/sh\nhostnamectl set-hostname contract\n'
        : '#cloud-config\nhostname: contract\n',
    opId: op,
  })
  const server = (await a.waitFor(r.pending, { timeoutMs: 5000 }))!
  expect(server.status).toBe('running')
  expect(await a.get(server.id)).toMatchObject({ id: server.id })
  const filter = a.capabilities.labels === 'none' ? {} : { labels: { 'clawops/fleet': 'ct' } }
  expect((await a.list(filter)).map((s) => s.id)).toContain(server.id)
  await a.waitFor(await a.powerOff(server.id), { timeoutMs: 5000 })
  await a.waitFor(await a.powerOn(server.id), { timeoutMs: 5000 })
  await a.waitFor(await a.reboot(server.id), { timeoutMs: 5000 })
  if (a.capabilities.resize === 'in-place' || a.capabilities.resize === 'upgrade-only')
    await a.resize(server.id, PLAN[p].bigger, { timeoutMs: 5000 })
  const snap = await a.snapshot(server.id, 'clawops-0123456789ab', { timeoutMs: 5000 })
  expect(await a.deleteSnapshot({ id: snap.id, serverId: server.id })).toEqual({ alreadyGone: false })
  if (a.reinstall) await a.waitFor(await a.reinstall(server.id), { timeoutMs: 5000 })
  const del = await a.delete(server.id)
  if (del.pending) await a.waitFor(del.pending, { timeoutMs: 5000 })
}

const bodies = (p: Provider, method: string, path: RegExp) =>
  fx.seen.filter((r) => r.provider === p && r.method === method && path.test(r.path)).map((r) => r.body)

beforeAll(async () => {
  fx = await contractLab()
})
afterAll(() => fx?.stop())

describe('the adapters’ requests match the providers’ documents', () => {
  it('DigitalOcean: create and droplet action bodies validate against the OpenAPI schemas', async () => {
    await lifecycle('digitalocean')
    const creates = bodies('digitalocean', 'POST', /^\/droplets$/)
    expect(creates).toHaveLength(1)
    for (const b of creates) expectValid(DIGITALOCEAN.droplet_create_request, b, 'adapter POST /droplets')
    const actions = bodies('digitalocean', 'POST', /^\/droplets\/\d+\/actions$/)
    expect(actions.map((b) => (b as { type: string }).type)).toEqual(
      expect.arrayContaining(['shutdown', 'power_on', 'reboot', 'resize']),
    )
    expect(actions).toContainEqual({ type: 'snapshot', name: 'clawops-0123456789ab' })
    for (const b of actions) expectValid(DIGITALOCEAN.droplet_action_request, b, 'adapter droplet action')
  })

  it('Contabo: the create body validates against the API document', async () => {
    await lifecycle('contabo')
    const creates = bodies('contabo', 'POST', /^\/compute\/instances$/)
    expect(creates).toHaveLength(1)
    for (const b of creates)
      expectValid(CONTABO.instance_create_request, b, 'adapter POST /compute/instances')
    const snaps = bodies('contabo', 'POST', /^\/compute\/instances\/\d+\/snapshots$/)
    expect(snaps).toHaveLength(1)
    expectValid(CONTABO.snapshot_create_request, snaps[0], 'adapter POST …/snapshots')
    const reinstalls = bodies('contabo', 'PUT', /^\/compute\/instances\/\d+$/)
    expect(reinstalls).toHaveLength(1)
    expectValid(CONTABO.instance_reinstall_request, reinstalls[0], 'adapter PUT /compute/instances/{id}')
  })

  it('Hostinger: purchase and post-install script bodies match the SDK’s request types', async () => {
    await lifecycle('hostinger')
    const purchases = bodies('hostinger', 'POST', /\/virtual-machines$/)
    const scripts = bodies('hostinger', 'POST', /\/post-install-scripts$/)
    expect(purchases).toHaveLength(1)
    const purchase = purchases[0] as { item_id: string; setup: Record<string, unknown> }
    // Required by the API: the catalogue price and the setup's template and data centre.
    expect(purchase.item_id).toEqual(expect.any(String))
    expect(purchase.setup).toMatchObject({
      template_id: expect.any(Number),
      data_center_id: expect.any(Number),
    })
    expect(
      typeErrors('hostinger-api-sdk', [
        {
          what: 'adapter purchase',
          type: 'VPSV1VirtualMachinePurchaseRequest',
          value: purchase,
          partial: true,
        },
        ...scripts.map((value) => ({
          what: 'adapter post-install script',
          type: 'VPSV1PostInstallScriptStoreRequest',
          value,
        })),
        ...bodies('hostinger', 'POST', /\/recreate$/).map((value) => ({
          what: 'adapter recreate',
          type: 'VPSV1VirtualMachineRecreateRequest',
          value,
          partial: true,
        })),
      ]),
    ).toEqual([])
    expect(bodies('hostinger', 'POST', /\/recreate$/)).toHaveLength(1)
  })

  it('Hetzner: the create body uses only ServerCreateRequest’s fields', async () => {
    await lifecycle('hetzner')
    const [create] = bodies('hetzner', 'POST', /^\/servers$/) as Record<string, unknown>[]
    expect(Object.keys(create!).filter((k) => !HETZNER_CREATE_FIELDS.includes(k))).toEqual([])
    const changes = bodies('hetzner', 'POST', /\/actions\/change_type$/) as Record<string, unknown>[]
    expect(changes).toEqual([{ server_type: 'cx33', upgrade_disk: false }])
    // hcloud-go schema.ServerActionCreateImageRequest: type, description, labels.
    const images = bodies('hetzner', 'POST', /\/actions\/create_image$/) as Record<string, unknown>[]
    expect(images).toEqual([
      {
        type: 'snapshot',
        description: 'clawops-0123456789ab',
        labels: { 'clawops/snapshot': 'clawops-0123456789ab' },
      },
    ])
  })

  it('Vultr: the create body uses only the parameters @vultr/vultr-node declares', async () => {
    await lifecycle('vultr')
    const declared = Object.keys(
      (require('@vultr/vultr-node/src/api/instances.js') as { createInstance: { parameters: object } })
        .createInstance.parameters,
    )
    const [create] = bodies('vultr', 'POST', /^\/instances$/) as Record<string, unknown>[]
    expect(Object.keys(create!).filter((k) => !declared.includes(k))).toEqual([])
    expect(typeof create!.user_data).toBe('string')
    const snapshotParams = Object.keys(
      (require('@vultr/vultr-node/src/api/snapshots.js') as { createSnapshot: { parameters: object } })
        .createSnapshot.parameters,
    )
    const [snap] = bodies('vultr', 'POST', /^\/snapshots$/) as Record<string, unknown>[]
    expect(Object.keys(snap!).filter((k) => !snapshotParams.includes(k))).toEqual([])
  })

  it('a wrong credential gets each provider’s 401, mapped to PROVIDER_ERROR with a hint', async () => {
    for (const p of ['hetzner', 'vultr', 'digitalocean', 'contabo', 'hostinger'] as const) {
      const err = await createProvider(options(p, true))
        .list()
        .catch((e: unknown) => e)
      expect(err, p).toBeInstanceOf(UserError)
      const u = err as UserError
      expect(u.code, p).toBe('PROVIDER_ERROR')
      expect(u.details, p).toMatchObject({ provider: p, status: 401 })
      expect(u.hint, p).toMatch(/Check the .* credentials/)
    }
  })
})
