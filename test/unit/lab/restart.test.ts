/** The lab cloud's state lives in a file: a restarted lab process finds everything where it was. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { startLabCloud } from '../../../src/lib/lab/cloud/lab-cloud.js'
import { STATE_FILE } from '../../../src/lib/lab/cloud/state-file.js'
import { ContaboAdapter } from '../../../src/lib/providers/contabo.js'
import { HetznerAdapter } from '../../../src/lib/providers/hetzner.js'
import { serverName } from '../../../src/lib/providers/names.js'
import { VultrAdapter } from '../../../src/lib/providers/vultr.js'
import { CREDS as LAB, TUNING } from '../providers/lab-fixture.js'

const dir = mkdtempSync(join(tmpdir(), 'clawops-lab-restart-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const CREDS = LAB.contabo

describe('lab cloud restart', () => {
  it('keeps servers, labels, pending actions, faults and Contabo tokens across a restart', async () => {
    const timings = { bootMs: 20, actionMs: 400, deleteMs: 20 }
    const first = await startLabCloud({ dir, timings, credentials: LAB })
    const port = Number(new URL(first.endpoints.url).port)
    const e = first.endpoints
    const hz = new HetznerAdapter({ token: LAB.hetzner.token, baseUrl: e.hetzner.baseUrl, ...TUNING })
    const vu = new VultrAdapter({ apiKey: LAB.vultr.apiKey, baseUrl: e.vultr.baseUrl, ...TUNING })
    const ct = new ContaboAdapter({
      ...CREDS,
      baseUrl: e.contabo.baseUrl,
      authUrl: e.contabo.authUrl,
      ...TUNING,
    })

    const h = await hz.create({
      name: 'claw-keep-1',
      plan: 'cx23',
      region: 'nbg1',
      labels: { 'clawops/fleet': 'keep' },
      opId: 'op-keep',
    })
    await hz.waitFor(h.pending, { timeoutMs: 3000 })
    const v = await vu.create({ name: 'claw-keep-2', plan: 'vc2-1c-2gb', region: 'fra', opId: 'op-keep' })
    await vu.waitFor(v.pending, { timeoutMs: 3000 })
    const op = 'op-keep-ct'
    const c = await ct.create({
      name: serverName({ fleet: 'k', pair: 'p', role: 'primary', opId: op }),
      plan: 'V91',
      region: 'EU',
      opId: op,
    })
    await ct.waitFor(c.pending, { timeoutMs: 3000 })
    const grants = ct.tokenGrants()
    first.addFault({ provider: 'digitalocean', region: 'fra1', outage: true })
    // A shutdown still in progress when the lab goes down (400 ms action).
    const shutdown = await hz.powerOff(h.server.id)
    await first.close()

    const saved = JSON.parse(readFileSync(join(dir, STATE_FILE), 'utf8'))
    expect(saved.servers).toHaveLength(3)

    const second = await startLabCloud({ dir, timings, port, credentials: LAB })
    try {
      expect(second.endpoints.hetzner.baseUrl).toBe(e.hetzner.baseUrl)
      expect((await hz.get(h.server.id))?.labels).toEqual({
        'clawops/fleet': 'keep',
        'clawops/op': 'op-keep',
      })
      expect((await vu.findByOpLabel('op-keep')).map((s) => s.id)).toEqual([v.server.id])
      // The action started before the restart finishes after it.
      expect((await hz.waitFor(shutdown, { timeoutMs: 3000 }))?.status).toBe('off')
      // The cached Contabo token is still valid for the restarted lab: no new login.
      expect((await ct.get(c.server.id))?.status).toBe('running')
      expect(ct.tokenGrants()).toBe(grants)
      expect(second.faults().map((f) => [f.provider, f.region, f.outage])).toEqual([
        ['digitalocean', 'fra1', true],
      ])
      // Ids keep counting up instead of reusing old ones.
      const h2 = await hz.create({ name: 'claw-keep-3', plan: 'cx23', region: 'nbg1' })
      expect(Number(h2.server.id)).toBeGreaterThan(Number(h.server.id))
    } finally {
      await second.close()
    }
  })

  it('resumes boots that were in progress when the lab stopped', async () => {
    const d2 = mkdtempSync(join(tmpdir(), 'clawops-lab-resume-'))
    try {
      const slow = await startLabCloud({
        dir: d2,
        credentials: LAB,
        timings: { bootMs: 10_000, actionMs: 20, deleteMs: 20 },
      })
      const port = Number(new URL(slow.endpoints.url).port)
      const hz = new HetznerAdapter({
        token: LAB.hetzner.token,
        baseUrl: slow.endpoints.hetzner.baseUrl,
        ...TUNING,
      })
      const r = await hz.create({ name: 'claw-resume', plan: 'cx23', region: 'nbg1' })
      await slow.close()
      const fast = await startLabCloud({
        dir: d2,
        port,
        credentials: LAB,
        timings: { bootMs: 20, actionMs: 20, deleteMs: 20 },
      })
      try {
        expect((await hz.waitFor(r.pending, { timeoutMs: 3000 }))?.status).toBe('running')
      } finally {
        await fast.close()
      }
    } finally {
      rmSync(d2, { recursive: true, force: true })
    }
  })
})
