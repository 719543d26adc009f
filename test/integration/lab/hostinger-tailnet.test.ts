// The lab end to end through the built CLI: prices read from the lab's provider APIs; pairs whose
// Hostinger members boot from a real post-install shell script (run by bash in the server's
// directory) and join the gateway; one Tailscale key minted per server and consumed by its boot, so
// the lab tailnet's devices are the fleet's; teardown removes those devices; user data that is not
// clawops' boots a server without a node.

import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { HetznerAdapter } from '../../../src/lib/providers/hetzner.js'
import { clawops, clawopsAsync } from '../../support/cli.js'
import { tempHome } from '../../support/context.js'

// biome-ignore lint/suspicious/noExplicitAny: JSON envelopes, checked by the assertions
type Json = any

const home = tempHome()
const env = { CLAWOPS_HOME: home }
const run = (...args: string[]) => clawops([...args, '--json'], env)
const ok = (...args: string[]): Json => {
  const r = run(...args)
  expect(r.code, `${args.join(' ')}: ${r.stdout}${r.stderr}`).toBe(0)
  return (r.json as Json).data
}
const labDir = join(home, 'lab', 'cloud')
let tailscale: { baseUrl: string; apiKey: string }

async function tailnet(path: string): Promise<Json> {
  const get = () =>
    fetch(`${tailscale.baseUrl}/api/v2${path}`, { headers: { authorization: `Bearer ${tailscale.apiKey}` } })
  // A kept-alive connection the lab closed while idle (minutes of provisioning) is tried once more.
  const res = await get().catch(get)
  expect(res.status, path).toBe(200)
  return res.json()
}

beforeAll(async () => {
  // Asynchronously and without the CLI helper's minute: a real gateway starts slowly on a busy machine.
  const res = await clawopsAsync(['lab', 'up', '--boot-seconds', '1', '--json'], env)
  expect(res.code, res.stdout + res.stderr).toBe(0)
  const up = (res.json as Json).data
  expect(up).toMatchObject({ running: true, cloud: { alive: true, driver: 'clawnode' } })
  const config = JSON.parse(readFileSync(join(home, 'config.json'), 'utf8'))
  const ts = config.provisioning.tailscale
  expect(ts).toMatchObject({ tailnet: '-', tags: ['tag:clawops-lab'] })
  tailscale = { baseUrl: ts.baseUrl, apiKey: JSON.parse(readFileSync(ts.credentialsFile, 'utf8')).apiKey }
})

afterAll(() => {
  clawops(['lab', 'down'], env)
})

describe('prices from the lab’s provider APIs', () => {
  it('provider prices --refresh reads every provider and says where from and when', () => {
    const before = Date.now()
    const r = ok('provider', 'prices', '--refresh')
    expect(r.refreshed.map((x: Json) => [x.provider, x.status])).toEqual([
      ['hetzner', 'refreshed'],
      ['vultr', 'refreshed'],
      ['digitalocean', 'refreshed'],
      ['contabo', 'refreshed'],
      ['hostinger', 'refreshed'],
    ])
    for (const s of r.sources) {
      expect(s.stale).toBe(false)
      expect(s.plans).toBeGreaterThan(0)
      if (s.provider !== 'contabo') {
        expect(s.kind).toBe('api')
        expect(Date.parse(s.asOf)).toBeGreaterThanOrEqual(before - 1000)
      }
    }
    expect(r.sources.find((s: Json) => s.provider === 'contabo')).toMatchObject({ kind: 'table' })
    expect(r.tiers.find((t: Json) => t.provider === 'hostinger' && t.tier === 'standard')).toMatchObject({
      plan: 'hostingercom-vps-kvm2-usd-1m',
      monthlyMinor: 899,
      source: expect.stringMatching(/^hostinger-api@/),
    })
  })
})

describe('Hostinger boots from its post-install script; every server joins the tailnet with its own key', () => {
  let pairs: { pairId: string }[] = []

  it('provisions two Hostinger/DigitalOcean pairs: the plan names its price sources, every node joins', async () => {
    const args = ['provision', '--count', '2', '--tier', 'standard', '--region', 'eu']
    const plan = ok(...args, '--primary', 'hostinger', '--standby', 'digitalocean', '--dry-run')
    expect(plan.prices.map((p: Json) => [p.provider, p.kind])).toEqual([
      ['digitalocean', 'api'],
      ['hostinger', 'api'],
    ])
    expect(plan.costDeltaMonthlyUsdCents).toBe(2 * (899 + 2400))
    const res = await clawopsAsync(
      [...args, '--primary', 'hostinger', '--standby', 'digitalocean', '--json'],
      env,
    )
    expect(res.code, res.stdout + res.stderr).toBe(0)
    const r = (res.json as Json).data
    expect(r.status).toBe('done')
    pairs = r.pairs
    expect(ok('fleet', 'status')).toMatchObject({
      instances: 4,
      byState: { ACTIVE: 4 },
      byProvider: { hostinger: 2, digitalocean: 2 },
    })
    expect(ok('node', 'list').counts).toMatchObject({ connected: 4, unknownNodes: 0 })
  })

  it('the Hostinger VMs ran a shell script, not cloud-init: /post_install and its log', () => {
    const instances = ok('instance', 'list', '-l', 'provider=hostinger').instances
    expect(instances).toHaveLength(2)
    for (const i of instances) {
      const root = join(labDir, 'nodes', `hostinger-${i.providerId}`, 'root')
      expect(readFileSync(join(root, 'post_install'), 'utf8').startsWith('#!/bin/bash\n')).toBe(true)
      expect(readFileSync(join(root, 'post_install.log'), 'utf8')).toContain('clawops-bootstrap: done')
      expect(readFileSync(join(root, 'var/log/clawops-bootstrap.log'), 'utf8')).toContain('start gf-clawnode')
      expect(existsSync(join(root, 'var/lib/cloud'))).toBe(false)
    }
  })

  it('four servers, four distinct single-use keys, each used once; the devices are the fleet’s', async () => {
    const instances = ok('instance', 'list').instances
    const { keys } = await tailnet('/tailnet/-/keys')
    const details = await Promise.all(keys.map((k: Json) => tailnet(`/tailnet/-/keys/${k.id}`)))
    expect(details).toHaveLength(4)
    for (const k of details) {
      expect(k.capabilities.devices.create).toMatchObject({
        reusable: false,
        preauthorized: true,
        tags: ['tag:clawops-lab'],
      })
      expect(k.invalid).toBe(true)
      expect(k.key).toBeUndefined()
    }
    const { devices } = await tailnet('/tailnet/-/devices')
    expect(devices.map((d: Json) => d.hostname).sort()).toEqual(
      instances.map((i: Json) => i.tailscaleName).sort(),
    )
    for (const d of devices) expect(d).toMatchObject({ tags: ['tag:clawops-lab'], authorized: true })
    // Each mint was audited before the call; no secret is in the audit trail.
    const audit = ok('audit', 'log', '--action', 'tailscale.key.create', '--limit', '50').entries
    expect(audit).toHaveLength(4)
    expect(JSON.stringify(audit)).not.toContain('tskey-auth-')
  })

  it('teardown removes the pair’s devices from the tailnet, audited; the other pair’s stay', async () => {
    const pairId = pairs[0]!.pairId
    const names = ok('instance', 'list', '-l', `pair=${pairId}`).instances.map((i: Json) => i.tailscaleName)
    // Without an archive a teardown needs the operator's confirmation (--yes off a terminal).
    const r = ok('teardown', '-l', `pair=${pairId}`, '--no-archive', '--yes')
    expect(r.status).toBe('done')
    expect(r.prices.map((p: Json) => p.provider)).toEqual(['digitalocean', 'hostinger'])
    const { devices } = await tailnet('/tailnet/-/devices')
    const left = devices.map((d: Json) => d.hostname)
    for (const n of names) expect(left).not.toContain(n)
    expect(left).toHaveLength(2)
    const entries = ok('audit', 'log', '--op', r.opId, '--limit', '50').entries
    expect(entries.filter((e: Json) => e.action === 'tailscale.device.delete')).toHaveLength(2)
  })
})

describe('user data that is not clawops’', () => {
  it('a plain shell script and a foreign cloud-config boot the server, which gets no node', async () => {
    const config = JSON.parse(readFileSync(join(home, 'config.json'), 'utf8'))
    const creds = JSON.parse(readFileSync(config.providers.hetzner.credentialsFile, 'utf8'))
    const hz = new HetznerAdapter({
      token: creds.token,
      baseUrl: config.providers.hetzner.baseUrl,
      pollMs: 100,
    })
    const nodesBefore = ok('node', 'list').counts
    const servers = await Promise.all(
      [
        ['claw-foreign-sh', '#!/bin/sh\necho "not clawops"\n'],
        ['claw-foreign-ci', '#cloud-config\npackages: [htop]\nruncmd:\n  - echo "not clawops either"\n'],
      ].map(async ([name, userData]) => {
        const c = await hz.create({ name: name!, plan: 'cx23', region: 'nbg1', userData })
        return hz.waitFor(c.pending, { timeoutMs: 30_000 })
      }),
    )
    for (const s of servers) {
      expect(s?.status).toBe('running')
      const root = join(labDir, 'nodes', `hetzner-${s!.id}`, 'root')
      for (let i = 0; i < 100 && !existsSync(join(root, 'var/lib/lab-vps/first-boot-done')); i++)
        await new Promise((res) => setTimeout(res, 100))
      expect(readFileSync(join(root, 'var/log/cloud-init-output.log'), 'utf8')).toMatch(/not clawops/)
      expect(existsSync(join(labDir, 'nodes', `hetzner-${s!.id}`, 'clawnode.log'))).toBe(false)
    }
    expect(ok('node', 'list').counts).toMatchObject({ unknownNodes: nodesBefore.unknownNodes })
  })
})
