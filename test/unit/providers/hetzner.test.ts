import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { UserError } from '../../../src/lib/errors.js'
import { HetznerAdapter } from '../../../src/lib/providers/hetzner.js'
import { serverName } from '../../../src/lib/providers/names.js'
import { type LabFixture, startLab, TUNING } from './lab-fixture.js'

let fx: LabFixture
let hz: HetznerAdapter

beforeAll(async () => {
  fx = await startLab()
  hz = new HetznerAdapter({ token: 'hz-test-token-123', baseUrl: fx.lab.endpoints.hetzner.baseUrl, ...TUNING })
})
afterAll(() => fx.stop())

describe('hetzner adapter against the lab', () => {
  it('creates a server with labels and user data, and waits until it runs', async () => {
    const name = serverName({ fleet: 'f1', pair: 'p1', role: 'primary', opId: 'op-create-1' })
    const r = await hz.create({ name, plan: 'cx23', region: 'nbg1', labels: { 'clawops/fleet': 'f1' }, userData: '#cloud-config\n', opId: 'op-create-1' })
    expect(r.adopted).toBe(false)
    expect(r.server.status).toBe('creating')
    expect(r.server.labels).toEqual({ 'clawops/fleet': 'f1', 'clawops/op': 'op-create-1' })
    expect(r.pending.actions).toHaveLength(1)
    const up = await hz.waitFor(r.pending, { timeoutMs: 3000 })
    expect(up?.status).toBe('running')
    expect(up?.ipv4).toMatch(/^198\.1[89]\./)
    expect(fx.lab.servers('hetzner').find((s) => s.name === name)?.userData).toBe('#cloud-config\n')
  })
})
