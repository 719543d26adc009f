import { describe, expect, it } from 'vitest'
import { DEFAULT_CONFIG } from '../../../src/lib/config/defaults.js'
import { type Config, ConfigSchema } from '../../../src/lib/config/schema.js'
import { watchSettings } from '../../../src/lib/config/watch-settings.js'
import { UserError } from '../../../src/lib/errors.js'
import type { GatewayClient } from '../../../src/lib/gateway/client.js'
import { type GatewayLink, type NodeTarget, shardedInvoker } from '../../../src/lib/gateway/link.js'
import {
  chooseShard,
  gatewayShards,
  shardEndpoint,
  shardNamed,
  shardsTakingNodes,
} from '../../../src/lib/gateway/shards.js'
import gatewayMoveKind from '../../../src/lib/gateway-admin/gateway-move.js'
import { sweepHealth } from '../../../src/lib/health/sweep.js'
import { recordMember } from '../../../src/lib/provisioning/member.js'
import { Instances } from '../../../src/lib/store/instances.js'
import { JoinSecrets } from '../../../src/lib/store/join-secrets.js'
import { testContext } from '../../support/context.js'
import { addPair } from '../../support/watch-fakes.js'

const SHARDED: Config = {
  ...structuredClone(DEFAULT_CONFIG),
  gateways: [
    { name: 'b', url: 'ws://127.0.0.1:1', tokenEnv: 'GW_B_TOKEN' },
    { name: 'c', url: 'ws://127.0.0.1:2', tokenEnv: 'GW_C_TOKEN', nodeUrl: 'wss://gw-c.tailnet:443' },
  ],
}

describe('gateway shards in the config', () => {
  it('keeps a lone `gateway` section as the one shard, named main', () => {
    const c = ConfigSchema.parse({ gateway: { url: 'ws://10.0.0.1:18789' } })
    expect(gatewayShards(c)).toEqual([
      expect.objectContaining({ name: 'main', operator: true, url: 'ws://10.0.0.1:18789' }),
    ])
    expect(gatewayShards(ConfigSchema.parse({}))).toHaveLength(1)
  })

  it('lists the operator gateway first, then `gateways`, with the URL their nodes use', () => {
    const c = ConfigSchema.parse({
      gateway: { name: 'ops', url: 'ws://10.0.0.1:18789' },
      provisioning: { nodeGatewayUrl: 'wss://ops.tailnet' },
      gateways: [{ name: 'b', url: 'wss://b.example:443', tokenFile: '/etc/clawops/b.token' }],
    })
    expect(gatewayShards(c).map((s) => [s.name, s.operator, s.nodeUrl])).toEqual([
      ['ops', true, 'wss://ops.tailnet'],
      ['b', false, 'wss://b.example:443'],
    ])
  })

  it.each([
    ['a duplicate name', [{ name: 'main', url: 'ws://h:1', tokenEnv: 'T' }], /unique/],
    ['no token source', [{ name: 'b', url: 'ws://h:1' }], /tokenEnv or tokenFile/],
    ['a token in the file', [{ name: 'b', url: 'ws://h:1', token: 'secret' }], /Unrecognized key/],
    ['an http URL', [{ name: 'b', url: 'http://h:1', tokenEnv: 'T' }], /ws:\/\//],
    ['an upper-case name', [{ name: 'B', url: 'ws://h:1', tokenEnv: 'T' }], /lowercase/],
  ])('refuses %s', (_why, gateways, message) => {
    const r = ConfigSchema.safeParse({ gateways })
    expect(r.success).toBe(false)
    expect(JSON.stringify(r.error?.issues)).toMatch(message)
  })

  it('takes a shard token from its environment variable, and names where it looked when absent', () => {
    const b = shardNamed(SHARDED, 'b')
    expect(shardEndpoint(b, { GW_B_TOKEN: 'tok-b' })).toMatchObject({
      url: 'ws://127.0.0.1:1',
      token: 'tok-b',
    })
    expect(shardEndpoint(b, {})).toMatchObject({ token: undefined, tokenSource: 'GW_B_TOKEN' })
  })

  it('refuses a shard the config does not list, with CONFIG_INVALID', () => {
    const err = (() => {
      try {
        shardNamed(SHARDED, 'gone')
      } catch (e) {
        return e
      }
    })()
    expect(err).toBeInstanceOf(UserError)
    expect((err as UserError).code).toBe('CONFIG_INVALID')
  })
})

/** A member of pair `pairId` as provisioning records it: the primary at Hetzner, the standby at Vultr. */
const memberSpec = (pairId: string, role: 'primary' | 'standby', userId: string) => ({
  instanceId: `i-${pairId}-${role}`,
  pairId,
  userId,
  tier: 'standard' as const,
  role,
  provider: role === 'primary' ? ('hetzner' as const) : ('vultr' as const),
  region: role === 'primary' ? 'nbg1' : 'ams',
  labels: {},
})

describe('assignment', () => {
  it('puts a member on the least loaded shard its partner is not on, ties in config order', () => {
    const shards = ['main', 'b', 'c']
    expect(chooseShard(shards, new Map(), [])).toBe('main')
    expect(chooseShard(shards, new Map(), ['main'])).toBe('b')
    expect(chooseShard(shards, new Map([['b', 5]]), ['main'])).toBe('c')
    expect(
      chooseShard(
        shards,
        new Map([
          ['main', 1],
          ['b', 9],
          ['c', 9],
        ]),
        ['main'],
      ),
    ).toBe('b')
    // With one shard both members go there: nothing else exists.
    expect(chooseShard(['main'], new Map(), ['main'])).toBe('main')
  })

  it('records the members of pairs on different shards, balanced, and issues each join secret for its shard', () => {
    const ctx = testContext({ config: SHARDED })
    const spec = (pairId: string, role: 'primary' | 'standby', n: number) =>
      memberSpec(pairId, role, `u-${n}`)
    for (let n = 0; n < 6; n++) {
      recordMember(ctx, spec(`p${n}`, 'primary', n))
      recordMember(ctx, spec(`p${n}`, 'standby', n))
    }
    const all = ctx.store().repo(Instances).list()
    for (let n = 0; n < 6; n++) {
      const [a, b] = all.filter((i) => i.pairId === `p${n}`)
      expect(a!.gateway).not.toBe(b!.gateway)
      expect(ctx.store().repo(JoinSecrets).lookup(a!.id)?.gateway).toBe(a!.gateway)
    }
    const load = new Map<string, number>()
    for (const i of all) load.set(i.gateway!, (load.get(i.gateway!) ?? 0) + 1)
    expect(Object.fromEntries(load)).toEqual({ main: 4, b: 4, c: 4 })
    // A replacement for a member does not count the member it replaces as its partner.
    const old = all.find((i) => i.id === 'i-p0-standby')!
    recordMember(ctx, { ...spec('p0', 'standby', 0), instanceId: 'i-p0-new', replaces: old.id })
    const primary = all.find((i) => i.id === 'i-p0-primary')!
    expect(ctx.store().repo(Instances).get('i-p0-new')!.gateway).not.toBe(primary.gateway)
    ctx.close()
  })

  it('places no new node on a gateway being retired (drain), and moves its nodes off it', () => {
    const draining = (...names: string[]): Config => ({
      ...SHARDED,
      gateways: SHARDED.gateways!.map((g) => ({ ...g, drain: names.includes(g.name) })),
    })
    expect(shardsTakingNodes(gatewayShards(draining('c')))).toEqual(['main', 'b'])
    const spec = (pairId: string, role: 'primary' | 'standby') => memberSpec(pairId, role, `u-${pairId}`)
    /** A fleet under `config` whose pair p0 has its standby on c (placed before c began to drain). */
    const fleet = (config: Config) => {
      const ctx = testContext({ config })
      for (const pair of ['p0', 'p1', 'p2'])
        for (const role of ['primary', 'standby'] as const) recordMember(ctx, spec(pair, role))
      const instances = ctx.store().repo(Instances)
      const placed = instances.list().map((i) => i.gateway)
      instances.update('i-p0-standby', { gateway: 'c', nodeId: 'dev-1' })
      const move = () =>
        gatewayMoveKind.plan(ctx, { instanceId: 'i-p0-standby', to: 'main' }, { salt: 's' } as never)
      return { ctx, placed, move, primary: instances.get('i-p0-primary')! }
    }

    // b still takes nodes: nothing new on c, and onto the partner's gateway is refused (go to b).
    const one = fleet(draining('c'))
    expect(one.placed).not.toContain('c')
    expect(one.primary.gateway).toBe('main')
    expect(one.move).toThrow(
      expect.objectContaining({ code: 'CONFLICT', message: expect.stringMatching(/blind both/) }),
    )
    one.ctx.close()

    // b and c both drain: main takes every new node, and c's node may join its partner there.
    const two = fleet(draining('b', 'c'))
    expect(new Set(two.placed)).toEqual(new Set(['main']))
    const plan = two.move() as { summary: string }
    expect(plan.summary).toMatch(
      /from gateway c to main \(with i-p0-primary, its pair's other member: c is being retired\)/,
    )
    two.ctx.close()
  })

  it('judges the partner rule again when the move runs: a move planned off a draining gateway stops if it no longer drains', async () => {
    const config: Config = {
      ...SHARDED,
      gateways: SHARDED.gateways!.map((g) => ({ ...g, drain: true })),
    }
    const spec = (pairId: string, role: 'primary' | 'standby') => memberSpec(pairId, role, `u-${pairId}`)
    const invoked: string[] = []
    const requests: string[] = []
    let joined = false
    const ctx = testContext({
      config,
      services: {
        joins: {
          client: {
            request: async (method: string) => {
              requests.push(method)
              if (method !== 'node.list') throw new Error(`unexpected ${method}`)
              const node = { nodeId: 'dev-new', displayName: 'clawnode i-p0-standby', connected: true }
              return { nodes: joined ? [node] : [] }
            },
          },
          waitForNode: async () => 'dev-new',
        } as never,
        nodes: {
          invoke: async (_t: NodeTarget, command: string) => {
            invoked.push(command)
            return {}
          },
        } as never,
      },
    })
    for (const role of ['primary', 'standby'] as const) recordMember(ctx, spec('p0', role))
    const instances = ctx.store().repo(Instances)
    instances.update('i-p0-standby', { gateway: 'c', nodeId: 'dev-1' })
    const params = { instanceId: 'i-p0-standby', to: 'main' }
    // Planned while b and c drain: allowed, the pair shares main until another gateway takes nodes.
    expect(gatewayMoveKind.plan(ctx, params, { salt: 's' } as never)).toBeTruthy()
    const secretBefore = ctx.store().repo(JoinSecrets).lookup('i-p0-standby')
    // Then b is back in service before the move runs (a resume, or a confirm much later).
    // (Through ctx.config(): on PostgreSQL the test context holds a copy of the config with its store URL.)
    ctx.config().gateways = SHARDED.gateways!.map((g) => ({ ...g, drain: g.name === 'c' }))
    const audited: unknown[] = []
    const run = { ctx, opId: 'op-1', audit: (e: unknown) => audited.push(e), progress: () => {} }
    await expect(gatewayMoveKind.runStep(run as never, params)).rejects.toMatchObject({
      code: 'CONFLICT',
      message: expect.stringMatching(/i-p0-primary, the other member of pair p0, is on gateway main/),
    })
    // Nothing happened: no audit of an effect, no new join secret, no bootstrap token, node untouched.
    expect(audited).toEqual([])
    expect(invoked).toEqual([])
    expect(requests).toEqual(['node.list'])
    expect(ctx.store().repo(JoinSecrets).lookup('i-p0-standby')).toEqual(secretBefore)
    expect(instances.get('i-p0-standby')).toMatchObject({ gateway: 'c', nodeId: 'dev-1' })

    // A node that already joined the new gateway (a resume after the rejoin) only finishes: stopping
    // there would leave it connected to main with its row naming c.
    joined = true
    const finished = await gatewayMoveKind.runStep(run as never, params)
    expect(finished).toMatchObject({ from: 'c', to: 'main', moved: true })
    expect(invoked).toEqual([])
    expect(instances.get('i-p0-standby')).toMatchObject({ gateway: 'main', nodeId: 'dev-new' })
    ctx.close()
  })

  it('puts everything on the operator gateway when it is the only one', () => {
    const ctx = testContext()
    recordMember(ctx, {
      instanceId: 'i-1',
      pairId: 'p-1',
      userId: 'u-1',
      tier: 'standard',
      role: 'primary',
      provider: 'hetzner',
      region: 'nbg1',
      labels: {},
    })
    expect(ctx.store().repo(Instances).get('i-1')!.gateway).toBe('main')
    ctx.close()
  })
})

/** A link to one fake gateway whose node.invoke answers with the gateway's name. */
function fakeLink(name: string, calls: string[], down = false): GatewayLink {
  const client = {
    async request(method: string, params: { nodeId: string; command: string }) {
      if (method !== 'node.invoke') throw new Error(`unexpected ${method}`)
      calls.push(`${name}:${params.nodeId}:${params.command}`)
      return { ok: true, payload: { gateway: name } }
    },
  } as unknown as GatewayClient
  return {
    get: () =>
      down
        ? Promise.reject(new UserError('GATEWAY_UNREACHABLE', 'connect ECONNREFUSED'))
        : Promise.resolve(client),
    nodeIdOf: async (id: string) => `node-of-${id}`,
  } as unknown as GatewayLink
}

describe('routing', () => {
  it("sends each node call to the instance's shard, and names the shard that cannot be reached", async () => {
    const calls: string[] = []
    const links = { main: fakeLink('main', calls), b: fakeLink('b', calls), c: fakeLink('c', calls, true) }
    const invoker = shardedInvoker({
      link: async (s) => links[s as keyof typeof links],
      shardOf: (t: NodeTarget) => t.gateway ?? 'main',
      named: true,
    })
    expect(await invoker.invoke({ id: 'i-1', nodeId: 'n1', gateway: 'b' }, 'vps.health', {}, 1000)).toEqual({
      gateway: 'b',
    })
    expect(await invoker.invoke({ id: 'i-2', nodeId: null }, 'vps.health', {}, 1000)).toEqual({
      gateway: 'main',
    })
    expect(calls).toEqual(['b:n1:vps.health', 'main:node-of-i-2:vps.health'])
    const err = (await invoker
      .invoke({ id: 'i-3', nodeId: 'n3', gateway: 'c' }, 'vps.health', {}, 1000)
      .catch((e: unknown) => e)) as UserError
    expect(err).toMatchObject({ code: 'GATEWAY_UNREACHABLE', details: { gateway: 'c' } })
    expect(err.message).toMatch(/^gateway c: /)
  })

  it("reads an instance's shard from the store when the caller did not carry it", () => {
    const ctx = testContext({ config: SHARDED })
    const p = addPair(ctx)
    ctx.store().repo(Instances).update(p.standby.id, { gateway: 'c' })
    expect(ctx.shardOf({ id: p.standby.id, nodeId: null })).toBe('c')
    // A row from before shards (gateway NULL) is on the operator's gateway.
    expect(ctx.shardOf({ id: p.primary.id, nodeId: null })).toBe('main')
    expect(ctx.shardOf({ id: p.primary.id, nodeId: null, gateway: 'b' })).toBe('b')
    ctx.close()
  })
})

describe('a sweep across shards', () => {
  it('probes every shard at once and reports the one that cannot be reached without failing the others', async () => {
    const seen: string[] = []
    const ctx = testContext({
      config: SHARDED,
      services: {
        nodes: {
          async invoke(target, command) {
            const shard = ctx.shardOf(target)
            seen.push(shard)
            if (shard === 'c') throw new UserError('GATEWAY_UNREACHABLE', 'gateway c: refused')
            if (command === 'openclaw.health') return { healthy: true, live: true, ready: true } as never
            if (command === 'vps.health') return { status: 'ok', problems: [] } as never
            return {} as never
          },
        },
      },
    })
    const pairs = [addPair(ctx), addPair(ctx), addPair(ctx)]
    const repo = ctx.store().repo(Instances)
    repo.update(pairs[0]!.primary.id, { gateway: 'main' })
    repo.update(pairs[0]!.standby.id, { gateway: 'b' })
    repo.update(pairs[1]!.primary.id, { gateway: 'b' })
    repo.update(pairs[1]!.standby.id, { gateway: 'c' })
    repo.update(pairs[2]!.primary.id, { gateway: 'c' })
    repo.update(pairs[2]!.standby.id, { gateway: 'main' })
    const r = await sweepHealth(ctx, watchSettings(ctx.config()))
    expect(new Set(seen)).toEqual(new Set(['main', 'b', 'c']))
    expect(r.swept).toBe(4)
    expect(r.shards.map((s) => [s.gateway, s.targets, s.error?.code ?? null]).sort()).toEqual([
      ['b', 2, null],
      ['c', 2, 'GATEWAY_UNREACHABLE'],
      ['main', 2, null],
    ])
    expect(ctx.warnings.join('\n')).toMatch(/gateway c unreachable: its 2 instances were not swept/)
    // Nothing was judged on the shard that could not be asked.
    expect(repo.get(pairs[1]!.standby.id)).toMatchObject({ state: 'ACTIVE', healthScore: 100 })
    ctx.close()
  })

  it('leaves instances on a gateway the config no longer lists unjudged, and says so', async () => {
    const asked: string[] = []
    const ctx = testContext({
      config: SHARDED,
      services: {
        nodes: {
          async invoke(target, command) {
            asked.push(target.id)
            if (command === 'openclaw.health') return { healthy: true, live: true, ready: true } as never
            return { status: 'ok', problems: [] } as never
          },
        },
      },
    })
    const p = addPair(ctx)
    ctx.store().repo(Instances).update(p.standby.id, { gateway: 'retired' })
    const r = await sweepHealth(ctx, watchSettings(ctx.config()))
    expect(asked).not.toContain(p.standby.id)
    expect(r.shards.find((s) => s.gateway === 'retired')).toMatchObject({
      targets: 1,
      error: { code: 'CONFIG_INVALID' },
    })
    expect(ctx.store().repo(Instances).get(p.standby.id)).toMatchObject({ state: 'ACTIVE', healthScore: 100 })
    ctx.close()
  })

  it('stops with GATEWAY_UNREACHABLE when no shard can be reached', async () => {
    const ctx = testContext({
      config: SHARDED,
      services: {
        nodes: {
          async invoke() {
            throw new UserError('GATEWAY_UNREACHABLE', 'down')
          },
        },
      },
    })
    const p = addPair(ctx)
    ctx.store().repo(Instances).update(p.standby.id, { gateway: 'b' })
    await expect(sweepHealth(ctx, watchSettings(ctx.config()))).rejects.toMatchObject({
      code: 'GATEWAY_UNREACHABLE',
    })
    ctx.close()
  })
})
