/**
 * Hostinger: the official hostinger-api-sdk runs unchanged against the lab, and every answer it
 * gets matches the SDK's own types, which OpenAPI Generator made from Hostinger's openapi.json
 * (support/sdk-types.ts): catalogue, data centres, templates and a template's detail, post-install
 * scripts (create, list, get, update, delete), purchase with setup, list and get (with
 * data_center_id), stop/start/restart and the VM's action list and each action, the VM's snapshot
 * (taken, got, deleted, and deleted by a recreate), recreate (the OS afresh), subscriptions and
 * disabling auto-renewal (Hostinger's end of life), the API's 401 and 404.
 */
import {
  BillingCatalogApi,
  BillingSubscriptionsApi,
  Configuration,
  VPSActionsApi,
  VPSDataCentersApi,
  VPSOSTemplatesApi,
  VPSPostInstallScriptsApi,
  VPSSnapshotsApi,
  type VPSV1VirtualMachineRecreateRequest,
  VPSVirtualMachineApi,
} from 'hostinger-api-sdk'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ContractLab, contractLab, until } from './support/lab.js'
import { type TypedSample, typeErrors } from './support/sdk-types.js'

let fx: ContractLab
const samples: TypedSample[] = []

function apis(token: string) {
  const config = new Configuration({ accessToken: token, basePath: fx.lab.endpoints.hostinger.baseUrl })
  return {
    vm: new VPSVirtualMachineApi(config),
    actions: new VPSActionsApi(config),
    dcs: new VPSDataCentersApi(config),
    templates: new VPSOSTemplatesApi(config),
    scripts: new VPSPostInstallScriptsApi(config),
    catalog: new BillingCatalogApi(config),
    subs: new BillingSubscriptionsApi(config),
    snapshots: new VPSSnapshotsApi(config),
  }
}
let h: ReturnType<typeof apis>

/** Records an answer for the type check at the end and returns its data. */
function typed<T>(what: string, type: string, r: { data: T }): T {
  samples.push({ what, type, value: r.data })
  return r.data
}

beforeAll(async () => {
  fx = await contractLab()
  h = apis(fx.creds.hostinger.token)
})
afterAll(() => fx?.stop())

async function failure(p: Promise<unknown>): Promise<{ status: number; data: unknown }> {
  const e = (await p.then(
    () => {
      throw new Error('expected the call to fail')
    },
    (x: unknown) => x,
  )) as { response?: { status: number; data: unknown } }
  if (!e.response) throw e
  return e.response
}

describe('hostinger-api-sdk against the lab', () => {
  let vmId: number
  let scriptId: number

  it('reads the catalogue, data centres, templates and one template', async () => {
    const items = typed(
      'GET /billing/v1/catalog',
      'BillingV1CatalogCatalogItemResource[]',
      await h.catalog.getCatalogItemListV1('VPS'),
    )
    expect(items.flatMap((i) => i.prices.map((p) => p.id))).toContain('hostingercom-vps-kvm2-usd-1m')
    const dcs = typed(
      'GET /vps/v1/data-centers',
      'VPSV1DataCenterDataCenterResource[]',
      await h.dcs.getDataCenterListV1(),
    )
    expect(dcs.map((d) => d.id)).toContain(9)
    typed('GET /vps/v1/templates', 'VPSV1TemplateTemplateResource[]', await h.templates.getTemplatesV1())
    const one = typed(
      'GET /vps/v1/templates/{id}',
      'VPSV1TemplateTemplateResource',
      await h.templates.getTemplateDetailsV1(1077),
    )
    expect(one).toMatchObject({ id: 1077, name: 'Ubuntu 24.04 LTS' })
    const missing = await failure(h.templates.getTemplateDetailsV1(4242))
    expect(missing.status).toBe(404)
    expect(missing.data).toMatchObject({ message: 'Template not found', correlation_id: expect.any(String) })
  })

  it('creates, lists, gets and updates a post-install script', async () => {
    const created = typed(
      'POST /vps/v1/post-install-scripts',
      'VPSV1PostInstallScriptPostInstallScriptResource',
      await h.scripts.createPostInstallScriptV1({ name: 'claw-boot', content: '#!/bin/sh\necho one\n' }),
    )
    scriptId = created.id
    const list = typed(
      'GET /vps/v1/post-install-scripts',
      'VPSGetPostInstallScriptsV1200Response',
      await h.scripts.getPostInstallScriptsV1(1),
    )
    expect(list.data.map((s) => s.id)).toEqual([scriptId])
    expect(list.meta).toEqual({ current_page: 1, per_page: 50, total: 1 })
    const updated = typed(
      'PUT /vps/v1/post-install-scripts/{id}',
      'VPSV1PostInstallScriptPostInstallScriptResource',
      await h.scripts.updatePostInstallScriptV1(scriptId, {
        name: 'claw-boot',
        content: '#!/bin/sh\necho two\n',
      }),
    )
    expect(updated.content).toBe('#!/bin/sh\necho two\n')
    const one = typed(
      'GET /vps/v1/post-install-scripts/{id}',
      'VPSV1PostInstallScriptPostInstallScriptResource',
      await h.scripts.getPostInstallScriptV1(scriptId),
    )
    expect(one.name).toBe('claw-boot')
  })

  it('purchases a VM with setup, then lists and gets it with its data centre', async () => {
    const order = typed(
      'POST /vps/v1/virtual-machines',
      'BillingV1OrderVirtualMachineOrderResource',
      await h.vm.purchaseNewVirtualMachineV1({
        item_id: 'hostingercom-vps-kvm2-usd-1m',
        setup: {
          template_id: 1077,
          data_center_id: 9,
          hostname: 'claw-hs-1.example.com',
          post_install_script_id: scriptId,
        },
      } as never),
    )
    vmId = order.virtual_machine.id
    expect(order.order.subscription_id).toBe(order.virtual_machine.subscription_id)
    const up = await until(async () => {
      const vm = typed(
        'GET /vps/v1/virtual-machines/{id}',
        'VPSV1VirtualMachineVirtualMachineResource',
        await h.vm.getVirtualMachineDetailsV1(vmId),
      )
      return vm.state === 'running' && vm
    })
    expect(up).toMatchObject({ hostname: 'claw-hs-1.example.com', data_center_id: 9, template: { id: 1077 } })
    const all = typed(
      'GET /vps/v1/virtual-machines',
      'VPSV1VirtualMachineVirtualMachineResource[]',
      await h.vm.getVirtualMachinesV1(),
    )
    expect(all.map((v) => v.id)).toEqual([vmId])
  })

  it('stops, starts and restarts; lists the VM’s actions and gets each', async () => {
    const waitFor = (actionId: number) =>
      until(async () => {
        const a = typed(
          'GET /vps/v1/virtual-machines/{id}/actions/{id}',
          'VPSV1ActionActionResource',
          await h.actions.getActionDetailsV1(vmId, actionId),
        )
        return a.state === 'success' && a
      })
    const stop = typed(
      'POST /vps/v1/virtual-machines/{id}/stop',
      'VPSV1ActionActionResource',
      await h.vm.stopVirtualMachineV1(vmId),
    )
    await waitFor(stop.id)
    expect((await h.vm.getVirtualMachineDetailsV1(vmId)).data.state).toBe('stopped')
    const start = typed(
      'POST /vps/v1/virtual-machines/{id}/start',
      'VPSV1ActionActionResource',
      await h.vm.startVirtualMachineV1(vmId),
    )
    await waitFor(start.id)
    const restart = typed(
      'POST /vps/v1/virtual-machines/{id}/restart',
      'VPSV1ActionActionResource',
      await h.vm.restartVirtualMachineV1(vmId),
    )
    await waitFor(restart.id)
    const list = typed(
      'GET /vps/v1/virtual-machines/{id}/actions',
      'VPSGetActionsV1200Response',
      await h.actions.getActionsV1(vmId, 1),
    )
    expect(list.data.map((a) => a.name)).toEqual(['restart', 'start', 'stop', 'create_server'])
    expect(list.meta.total).toBe(list.data.length)
  })

  it('takes the VM’s snapshot, gets and deletes it; a recreate installs the OS afresh and deletes the snapshot', async () => {
    const done = (actionId: number) =>
      until(async () => (await h.actions.getActionDetailsV1(vmId, actionId)).data.state === 'success')
    const taken = typed(
      'POST /vps/v1/virtual-machines/{id}/snapshot',
      'VPSV1ActionActionResource',
      await h.snapshots.createSnapshotV1(vmId),
    )
    await done(taken.id)
    const snap = typed(
      'GET /vps/v1/virtual-machines/{id}/snapshot',
      'VPSV1SnapshotSnapshotResource',
      await h.snapshots.getSnapshotV1(vmId),
    )
    expect(Date.parse(snap.expires_at)).toBeGreaterThan(Date.parse(snap.created_at))
    const deleted = typed(
      'DELETE /vps/v1/virtual-machines/{id}/snapshot',
      'VPSV1ActionActionResource',
      await h.snapshots.deleteSnapshotV1(vmId),
    )
    await done(deleted.id)
    expect((await failure(h.snapshots.getSnapshotV1(vmId))).status).toBe(404)

    await done(
      typed('POST snapshot again', 'VPSV1ActionActionResource', await h.snapshots.createSnapshotV1(vmId)).id,
    )
    // The SDK's type lists every field as required; the API generates a password when none is given.
    const recreate = { template_id: 1077 } as VPSV1VirtualMachineRecreateRequest
    const again = typed(
      'POST /vps/v1/virtual-machines/{id}/recreate',
      'VPSV1ActionActionResource',
      await h.vm.recreateVirtualMachineV1(vmId, recreate),
    )
    await done(again.id)
    expect((await h.vm.getVirtualMachineDetailsV1(vmId)).data.state).toBe('running')
    expect((await failure(h.snapshots.getSnapshotV1(vmId))).status).toBe(404)
    const weak = await failure(
      h.vm.recreateVirtualMachineV1(vmId, {
        template_id: 1077,
        password: 'short',
      } as VPSV1VirtualMachineRecreateRequest),
    )
    expect(weak.status).toBe(422)
  })

  it('disables auto-renewal of the VM’s subscription and deletes the script', async () => {
    const subs = typed(
      'GET /billing/v1/subscriptions',
      'BillingV1SubscriptionSubscriptionResource[]',
      await h.subs.getSubscriptionListV1(),
    )
    const sub = subs.find((s) => s.is_auto_renewed)!
    const off = typed(
      'DELETE /billing/v1/subscriptions/{id}/auto-renewal/disable',
      'BillingV1SubscriptionSubscriptionResource',
      await h.subs.disableAutoRenewalV1(sub.id),
    )
    expect(off.is_auto_renewed).toBe(false)
    typed(
      'DELETE /vps/v1/post-install-scripts/{id}',
      'CommonSuccessEmptyResource',
      await h.scripts.deletePostInstallScriptV1(scriptId),
    )
    expect((await failure(h.scripts.getPostInstallScriptV1(scriptId))).status).toBe(404)
  })

  it('gets the API’s 401 for a wrong token', async () => {
    const r = await failure(apis('not-the-token').vm.getVirtualMachinesV1())
    expect(r.status).toBe(401)
    expect(r.data).toMatchObject({ message: 'Unauthenticated.', correlation_id: expect.any(String) })
  })

  it('every answer above matches the SDK’s types (generated from the OpenAPI document)', () => {
    expect(samples.length).toBeGreaterThan(15)
    expect(typeErrors('hostinger-api-sdk', samples)).toEqual([])
  })

  it('the type check can fail: a VM without data_center_id or with an unknown state does not match', () => {
    const vm = samples.find((s) => s.type === 'VPSV1VirtualMachineVirtualMachineResource')!.value as Record<
      string,
      unknown
    >
    const { data_center_id: _omit, ...without } = vm
    const errors = typeErrors('hostinger-api-sdk', [
      { what: 'no data_center_id', type: 'VPSV1VirtualMachineVirtualMachineResource', value: without },
      {
        what: 'bad state',
        type: 'VPSV1VirtualMachineVirtualMachineResource',
        value: { ...vm, state: 'booting' },
      },
      {
        what: 'extra field',
        type: 'VPSV1ActionActionResource',
        value: { id: 1, name: 'x', state: 'success', created_at: '', updated_at: '', lab: 1 },
      },
    ])
    expect(errors).toHaveLength(3)
    expect(errors[0]).toMatch(/^no data_center_id: .*data_center_id/)
    expect(errors[1]).toMatch(/^bad state: /)
    expect(errors[2]).toMatch(/^extra field: .*lab/)
  })
})
