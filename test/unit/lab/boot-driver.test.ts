/**
 * The boot seam: what a BootDriver is told and what its signals do. A driver that starts real
 * gf-clawnodes relies on exactly this contract.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { BootDriver, BootServer, BootSignals } from '../../../src/lib/lab/cloud/boot-driver.js'
import { DigitalOceanAdapter } from '../../../src/lib/providers/digitalocean.js'
import { HetznerAdapter } from '../../../src/lib/providers/hetzner.js'
import { VultrAdapter } from '../../../src/lib/providers/vultr.js'
import { CREDS, eventually, type LabFixture, startLab, TUNING } from '../providers/lab-fixture.js'

/** Holds boots until the test releases them; records every call. */
class ManualDriver implements BootDriver {
  readonly name = 'manual'
  readonly calls: Array<{ kind: string; server: BootServer; reason: string }> = []
  readonly pending = new Map<string, BootSignals[]>()

  start(server: BootServer, signals: BootSignals, ctx: { reason: string }) {
    this.calls.push({ kind: 'start', server, reason: ctx.reason })
    if (server.name.includes('explode')) throw new Error('no such image')
    this.pending.set(server.id, [...(this.pending.get(server.id) ?? []), signals])
  }

  stop(server: BootServer, ctx: { reason: string }) {
    this.calls.push({ kind: 'stop', server, reason: ctx.reason })
  }

  signals(id: string): BootSignals[] {
    return this.pending.get(id) ?? []
  }
}

const driver = new ManualDriver()
let fx: LabFixture
let hz: HetznerAdapter

beforeAll(async () => {
  fx = await startLab({ driver })
  hz = new HetznerAdapter({
    token: CREDS.hetzner.token,
    baseUrl: fx.lab.endpoints.hetzner.baseUrl,
    ...TUNING,
  })
})
afterAll(() => fx.stop())

describe('boot driver seam', () => {
  it('passes the server and its decoded user data; running only after ready()', async () => {
    const vu = new VultrAdapter({
      apiKey: CREDS.vultr.apiKey,
      baseUrl: fx.lab.endpoints.vultr.baseUrl,
      ...TUNING,
    })
    const userData = '#cloud-config\nwrite_files:\n  - path: /etc/clawnode.json\n    content: "{}"\n'
    const r = await vu.create({
      name: 'claw-seam-1',
      plan: 'vc2-1c-2gb',
      region: 'fra',
      userData,
      labels: { 'clawops/fleet': 'x' },
    })
    await eventually(() => driver.signals(r.server.id).length === 1)
    const call = driver.calls.find((c) => c.server.id === r.server.id)!
    expect(call.reason).toBe('create')
    expect(call.server).toMatchObject({
      provider: 'vultr',
      name: 'claw-seam-1',
      region: 'fra',
      plan: 'vc2-1c-2gb',
      userData,
    })
    expect(call.server.labels).toEqual({ 'clawops/fleet': 'x' })
    expect(call.server.ipv4).toMatch(/^198\./)
    expect((await vu.get(r.server.id))?.status).toBe('creating')
    driver.signals(r.server.id)[0]!.ready()
    expect((await vu.waitFor(r.pending, { timeoutMs: 2000 }))?.status).toBe('running')
  })

  it('ignores a ready() from a boot that a reboot superseded', async () => {
    const r = await hz.create({ name: 'claw-seam-2', plan: 'cx23', region: 'nbg1' })
    await eventually(() => driver.signals(r.server.id).length === 1)
    const [firstBoot] = driver.signals(r.server.id)
    firstBoot!.ready()
    await hz.waitFor(r.pending, { timeoutMs: 2000 })
    const reboot = await hz.reboot(r.server.id)
    await eventually(() => driver.signals(r.server.id).length === 2)
    expect(
      driver.calls.filter((c) => c.server.id === r.server.id).map((c) => `${c.kind}:${c.reason}`),
    ).toEqual(['start:create', 'stop:reboot', 'start:reboot'])
    firstBoot!.ready()
    expect((await hz.get(r.server.id))?.status).toBe('starting')
    driver.signals(r.server.id)[1]!.ready()
    expect((await hz.waitFor(reboot, { timeoutMs: 2000 }))?.status).toBe('running')
  })

  it('failed() puts the server in the provider’s error state and fails the action', async () => {
    const dO = new DigitalOceanAdapter({
      token: CREDS.digitalocean.token,
      baseUrl: fx.lab.endpoints.digitalocean.baseUrl,
      ...TUNING,
    })
    const r = await dO.create({ name: 'claw-seam-3', plan: 's-1vcpu-2gb', region: 'fra1' })
    await eventually(() => driver.signals(r.server.id).length === 1)
    driver.signals(r.server.id)[0]!.failed('cloud-init exited 1')
    await expect(dO.waitFor(r.pending, { timeoutMs: 2000 })).rejects.toMatchObject({ code: 'PROVIDER_ERROR' })
    expect(fx.lab.servers('digitalocean').find((s) => s.id === r.server.id)).toMatchObject({
      power: 'error',
      errorMessage: 'cloud-init exited 1',
    })
  })

  it('a driver that throws fails the boot instead of hanging it', async () => {
    const r = await hz.create({ name: 'claw-explode', plan: 'cx23', region: 'nbg1' })
    await expect(hz.waitFor(r.pending, { timeoutMs: 2000 })).rejects.toMatchObject({
      code: 'PROVIDER_ERROR',
      details: { providerCode: 'boot_failed' },
    })
  })

  it('is told about power-off and delete', async () => {
    const r = await hz.create({ name: 'claw-seam-4', plan: 'cx23', region: 'nbg1' })
    await eventually(() => driver.signals(r.server.id).length === 1)
    driver.signals(r.server.id)[0]!.ready()
    await hz.waitFor(r.pending, { timeoutMs: 2000 })
    await hz.waitFor(await hz.powerOff(r.server.id), { timeoutMs: 2000 })
    const d = await hz.delete(r.server.id)
    await hz.waitFor(d.pending!, { timeoutMs: 2000 })
    const mine = driver.calls
      .filter((c) => c.server.id === r.server.id && c.kind === 'stop')
      .map((c) => c.reason)
    expect(mine).toEqual(['power_off', 'delete'])
  })
})

describe('boot driver seam: interrupted boots', () => {
  it('a delete during boot ends the waiting create action instead of leaving it running', async () => {
    const r = await hz.create({ name: 'claw-seam-5', plan: 'cx23', region: 'nbg1' })
    await eventually(() => driver.signals(r.server.id).length === 1)
    const d = await hz.delete(r.server.id)
    await hz.waitFor(d.pending!, { timeoutMs: 2000 })
    await expect(hz.waitFor(r.pending, { timeoutMs: 2000 })).rejects.toMatchObject({
      code: 'PROVIDER_ERROR',
      details: { providerCode: 'action_superseded' },
    })
    // A late ready() from the dead boot changes nothing.
    driver.signals(r.server.id)[0]!.ready()
    expect(await hz.get(r.server.id)).toBeNull()
  })
})
