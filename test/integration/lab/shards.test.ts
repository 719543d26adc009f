// Gateway shards in the lab, through the built CLI: the lab's own gateway (shard `main`), the run's
// shared gateway (`b`) and one more real OpenClaw gateway started here (`c`). Pairs provisioned across them put each pair's
// members on different gateways; a node call goes through the member's gateway; a sweep fans out over
// all three and reports one that went away without failing the others; `gateway list` shows each.
// The only integration file that starts a gateway beside the lab's (keep it short).

import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { GatewayClient } from '../../../src/lib/gateway/client.js'
import { listNodes } from '../../../src/lib/gateway/nodes.js'
import { clawops, clawopsAsync } from '../../support/cli.js'
import { tempHome } from '../../support/context.js'
import { type GatewayInfo, prepareGateway, startGateway, stopGateway } from '../../support/gateway-process.js'

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
const shared = inject('gateway')
let extra: GatewayInfo | null = null
/** The gateways besides the lab's, by shard name. */
const gw = (name: 'b' | 'c') => (name === 'b' ? shared : extra!)
let fleet: Json[] = []

/** The instance ids whose nodes are connected to a gateway, asked directly with its own token. */
async function connectedOn(gw: { url: string; token: string }): Promise<string[]> {
  const client = await GatewayClient.connect({ url: gw.url, auth: { kind: 'backend', token: gw.token } })
  try {
    return (await listNodes(client)).filter((n) => n.connected && n.instanceId).map((n) => n.instanceId!)
  } finally {
    await client.close()
  }
}

beforeAll(async () => {
  const start = async () => {
    const info = await prepareGateway(join(home, 'gateway-c'), { clawopsHome: home })
    extra = info
    await startGateway(info)
  }
  const [lab] = await Promise.all([
    clawopsAsync(['lab', 'up', '--boot-seconds', '1', '--json'], env),
    start(),
  ])
  for (const name of ['b', 'c'] as const) {
    writeFileSync(join(home, `gateway-${name}.token`), gw(name).token, { mode: 0o600 })
  }
  expect(lab.code, `lab up: ${lab.stdout}${lab.stderr}`).toBe(0)
  const path = join(home, 'config.json')
  const config = JSON.parse(readFileSync(path, 'utf8'))
  config.gateways = (['b', 'c'] as const).map((name) => ({
    name,
    url: gw(name).url,
    tokenFile: join(home, `gateway-${name}.token`),
  }))
  writeFileSync(path, JSON.stringify(config), { mode: 0o600 })
}, 240_000)

afterAll(async () => {
  clawops(['lab', 'down'], env)
  if (extra) await stopGateway(extra, 5_000)
})

describe('gateway shards', () => {
  it('provisions pairs whose members join different gateways, least loaded first', async () => {
    const res = await clawopsAsync(
      [
        'provision',
        '--count',
        '2',
        '--tier',
        'nano',
        '--region',
        'eu',
        '--primary',
        'hetzner',
        '--standby',
        'vultr',
        '--json',
      ],
      env,
    )
    expect(res.code, res.stdout + res.stderr).toBe(0)
    expect((res.json as Json).data.status).toBe('done')
    fleet = ok('instance', 'list').instances
    expect(fleet).toHaveLength(4)
    for (const pair of new Set(fleet.map((i) => i.pairId))) {
      const [a, b] = fleet.filter((i) => i.pairId === pair)
      expect(a.gateway).not.toBe(b.gateway)
    }
    // Four nodes over three empty gateways: 2, 1, 1.
    const load: Record<string, number> = {}
    for (const i of fleet) load[i.gateway] = (load[i.gateway] ?? 0) + 1
    expect(Object.values(load).sort()).toEqual([1, 1, 2])
    expect(fleet.every((i) => i.state === 'ACTIVE')).toBe(true)
    // Each gateway holds exactly the nodes assigned to it, asked with its own token.
    const labToken = readFileSync(join(home, 'lab', 'secrets', 'gateway.token'), 'utf8')
    const labUrl = JSON.parse(readFileSync(join(home, 'config.json'), 'utf8')).gateway.url
    const on = {
      main: await connectedOn({ url: labUrl, token: labToken }),
      b: await connectedOn(shared),
      c: await connectedOn(extra!),
    }
    for (const [g, ids] of Object.entries(on)) {
      // The shared gateway may also hold nodes of other files: only the fleet's are compared.
      const ours = ids.filter((id) => fleet.some((i) => i.id === id))
      expect(ours.sort(), g).toEqual(
        fleet
          .filter((i) => i.gateway === g)
          .map((i) => i.id)
          .sort(),
      )
    }
  })

  it("routes a node call through the instance's gateway", () => {
    const onC = fleet.find((i) => i.gateway === 'c')
    const health = ok('instance', 'health', onC.id)
    expect(health.probe).toMatchObject({ reached: true, openclaw: { live: true, ready: true }, errors: [] })
    const nodes = ok('node', 'list').nodes
    expect(nodes.find((n: Json) => n.instanceId === onC.id)).toMatchObject({ gateway: 'c', connected: true })
  })

  it('lists each gateway with its health, nodes and instances', () => {
    const list = ok('gateway', 'list')
    expect(list.gateways.map((g: Json) => g.name)).toEqual(['main', 'b', 'c'])
    for (const g of list.gateways) {
      const assigned = fleet.filter((i) => i.gateway === g.name).length
      expect(g, g.name).toMatchObject({ reachable: true, instances: assigned })
      // The shared gateway may hold other files' nodes too.
      if (g.name === 'b') expect(g.nodes.connected).toBeGreaterThanOrEqual(assigned)
      else expect(g.nodes.connected, g.name).toBe(assigned)
      expect(g.version).toMatch(/\d/)
    }
    const raw = run('gateway', 'list').stdout
    expect(raw).not.toContain(shared.token)
    expect(raw).not.toContain(extra!.token)
  })

  it("moves a node to another gateway as an operation, never onto its partner's", async () => {
    const inst = fleet.find(
      (i) => i.gateway === 'main' && fleet.some((p) => p.pairId === i.pairId && p.gateway === 'b'),
    )
    expect(inst, JSON.stringify(fleet.map((i) => [i.id, i.pairId, i.gateway]))).toBeDefined()
    const refused = run('gateway', 'move', inst.id, '--to', 'b')
    expect((refused.json as Json).error).toMatchObject({ code: 'CONFLICT' })
    expect((refused.json as Json).error.message).toMatch(/blind both/)
    const res = await clawopsAsync(['gateway', 'move', inst.id, '--to', 'c', '--json'], env)
    expect(res.code, res.stdout + res.stderr).toBe(0)
    const op = (res.json as Json).data
    expect(op.status).toBe('done')
    expect(op.steps[0].result).toMatchObject({ from: 'main', to: 'c', moved: true, unpairedFromOld: true })
    fleet = ok('instance', 'list').instances
    expect(fleet.find((i) => i.id === inst.id).gateway).toBe('c')
    expect(await connectedOn(extra!)).toContain(inst.id)
    // Through its new gateway the node answers.
    expect(ok('instance', 'health', inst.id).probe).toMatchObject({ reached: true, errors: [] })
    const audit = ok('audit', 'log', '--limit', '200').entries
    expect(audit.some((e: Json) => e.action === 'gateway.move' && e.target === inst.id)).toBe(true)
    // Neither the journal nor the audit trail holds the new join secret or the bootstrap credential.
    expect(JSON.stringify([op, audit])).not.toMatch(/bootstrapToken|joinSecret/)
  })

  it('sweeps all gateways at once, and one that went away is reported while the others are swept', async () => {
    const all = ok('health', 'sweep')
    expect(all.swept).toBe(4)
    expect(all.shards.map((s: Json) => [s.gateway, s.targets, s.error ?? null]).sort()).toEqual(
      ['main', 'b', 'c'].map((g) => [g, fleet.filter((i) => i.gateway === g).length, null]).sort(),
    )
    await stopGateway(extra!, 5_000)
    const r = run('health', 'sweep')
    expect(r.code, r.stdout + r.stderr).toBe(0)
    const partial = (r.json as Json).data
    const onC = fleet.filter((i) => i.gateway === 'c')
    expect(partial.swept).toBe(4 - onC.length)
    expect(partial.shards.find((s: Json) => s.gateway === 'c').error.code).toBe('GATEWAY_UNREACHABLE')
    expect((r.json as Json).warnings.join('\n')).toMatch(/gateway c unreachable/)
    // Unmeasured is not unhealthy: the members on c keep their state.
    const after = ok('instance', 'list').instances
    for (const i of onC) expect(after.find((x: Json) => x.id === i.id).state).toBe('ACTIVE')
    const list = ok('gateway', 'list')
    expect(list.gateways.find((g: Json) => g.name === 'c')).toMatchObject({
      reachable: false,
      error: { code: 'GATEWAY_UNREACHABLE' },
    })
    expect(list.counts).toMatchObject({ gateways: 3, reachable: 2 })
  })
})
