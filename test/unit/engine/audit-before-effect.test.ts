/**
 * Rule 3 and the design's "audit before effect", through recorded calls: every operation kind runs
 * through the Engine with a Context whose provider adapters (real, against the lab cloud in this
 * process), node invoker and gateway client record each call with the audit trail's head at that
 * moment. Each call that changes something (a provider create/delete/resize/power action, a node
 * command that is not a read, a gateway RPC that changes pairing, config, approvals or cron) must be
 * preceded by an `intent` entry of the same operation that announces it:
 * - a provider call: an entry whose action names the effect (create, delete, resize, …) and which
 *   names the instance or the server;
 * - a node command: an entry that names the instance it runs on;
 * - a gateway RPC: an entry a step wrote (for a device removal, one naming its instance).
 * The operation's own plan-level intent never counts: it says what the operation is, not that this
 * effect is about to happen. Each scenario must also make the effects it exists for, so the check
 * cannot pass by calling nothing.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { DEFAULT_CONFIG } from '../../../src/lib/config/defaults.js'
import { rollbackRollout } from '../../../src/lib/config-push/control.js'
import { pushConfig } from '../../../src/lib/config-push/push.js'
import type { Context } from '../../../src/lib/context.js'
import { regionsOf } from '../../../src/lib/domain/catalog.js'
import type { Instance } from '../../../src/lib/domain/instance.js'
import type { Provider } from '../../../src/lib/domain/provider.js'
import { Engine } from '../../../src/lib/engine/engine.js'
import type { OperationKind } from '../../../src/lib/engine/kind.js'
import type { KindRegistry } from '../../../src/lib/engine/registry.js'
import type { MutationResult } from '../../../src/lib/engine/types.js'
import { GatewayClient } from '../../../src/lib/gateway/client.js'
import { productionKinds } from '../../../src/lib/kinds.js'
import type { CreateServerInput } from '../../../src/lib/providers/types.js'
import { AuditTrail } from '../../../src/lib/store/audit-trail.js'
import { Instances } from '../../../src/lib/store/instances.js'
import { Operations } from '../../../src/lib/store/operations.js'
import { ReprovisionQueue } from '../../../src/lib/store/reprovision-queue.js'
import { rollbackUpgrade } from '../../../src/lib/upgrades/control.js'
import { startUpgrade } from '../../../src/lib/upgrades/upgrade.js'
import { tempDir } from '../../support/clawnode-fixtures.js'
import { userConfig } from '../../support/config-push-fleet.js'
import { manualClock, tempHome } from '../../support/context.js'
import { isEffect, RELEASES, type RecordedCall, RecordingWorld } from '../../support/recording-world.js'
import { addPair } from '../../support/watch-fakes.js'

const kinds = productionKinds()
const engine = new Engine(kinds)

let tmp: ReturnType<typeof tempDir>
let world: RecordingWorld
let ctx: Context

beforeAll(async () => {
  tmp = tempDir('audit-before-effect-')
  world = await RecordingWorld.start(tmp.dir)
})
afterAll(async () => {
  await world.stop()
  tmp.cleanup()
})
beforeEach(() => {
  ctx = world.context({ home: tempHome(), actor: 'operator' })
  world.calls.length = 0
})
afterEach(async () => {
  vi.restoreAllMocks()
  await ctx.dispose()
})

const region = (p: Provider) => regionsOf(p)[0]!.code

/** A pair whose members have lab servers, nodes and an OpenClaw config, as a provisioned pair has. */
async function pair(primary: Provider = 'hetzner', standby: Provider = 'vultr') {
  const p = addPair(
    ctx,
    { provider: primary, region: region(primary) },
    { provider: standby, region: region(standby) },
  )
  const instances = ctx.store().repo(Instances)
  const members: Instance[] = []
  for (const m of [p.primary, p.standby]) {
    const adapter = world.raw.get(m.provider)!
    const created = await adapter.create({
      name: `claw-${m.id}`,
      plan: adapter.planFor('standard'),
      region: m.region,
    })
    await adapter.waitFor(created.pending, { timeoutMs: 10_000 })
    world.configs.add(m.id, userConfig(members.length))
    members.push(instances.update(m.id, { providerId: created.server.id, nodeId: `node-${m.id}` }))
  }
  return { pairId: p.pairId, userId: p.userId, primary: members[0]!, standby: members[1]! }
}

async function mutate(name: string, params: unknown): Promise<MutationResult> {
  return engine.mutate(ctx, await kinds.load(name), params, { yes: true })
}

/** The operations a scenario started (a heal's nested failover included). */
function operations(): Map<string, string> {
  const ops = ctx.store().repo(Operations).list({ limit: 1000 })
  return new Map(ops.map((o) => [o.id, o.kind]))
}

/** What is wrong with the scenario's calls: effects no audit entry of their operation announced. */
async function unannounced(registry: KindRegistry = kinds): Promise<string[]> {
  const entries = ctx.store().repo(AuditTrail).query({ limit: 1_000_000 })
  const ops = operations()
  const opAction = new Map<string, string>()
  for (const [id, k] of ops) opAction.set(id, (await registry.load(k)).action)
  const all = ctx.store().repo(Instances).list({ includeDeleted: true })
  const names = (details: unknown, target: string | null, id: string | undefined) =>
    id !== undefined && (target === id || JSON.stringify(details ?? null).includes(`"${id}"`))
  const wrong: string[] = []
  for (const c of world.calls.filter(isEffect)) {
    // Entries of this scenario's operations, written before the call, that announce a step or effect.
    const before = entries.filter(
      (e) =>
        e.seq <= c.head &&
        e.outcome === 'intent' &&
        e.opId !== null &&
        ops.has(e.opId) &&
        e.action !== opAction.get(e.opId),
    )
    let ok: boolean
    if (c.kind === 'provider') {
      const serverId = c.name === 'create' ? undefined : String(c.args[0])
      const instanceId =
        c.name === 'create'
          ? (c.args[0] as CreateServerInput).labels?.['clawops/instance']
          : all.find((i) => i.providerId === serverId)?.id
      const verb =
        { create: 'create', delete: 'delete', resize: 'resize', reboot: 'reboot' }[c.name] ?? 'power'
      ok = before.some(
        (e) =>
          e.action.includes(verb) &&
          (names(e.details, e.target, instanceId) || names(e.details, null, serverId)),
      )
    } else if (c.kind === 'storage') {
      ok = before.some(
        (e) => e.action.includes('delete') && JSON.stringify(e.details ?? null).includes(c.target!),
      )
    } else if (c.kind === 'node') {
      ok = before.some((e) => names(e.details, e.target, c.target))
    } else if (c.name === 'device.pair.remove') {
      const deviceId = (c.args[0] as { deviceId: string }).deviceId
      const inst = all.find((i) => i.nodeId === deviceId)
      ok = before.some((e) => names(e.details, e.target, inst?.id))
    } else {
      ok = before.length > 0
    }
    if (!ok) wrong.push(`${c.kind} ${c.name}${c.target ? ` on ${c.target}` : ''} at audit seq ${c.head}`)
  }
  return wrong
}

function effects(): string[] {
  return world.calls.filter(isEffect).map((c: RecordedCall) => `${c.kind}:${c.name}`)
}

function done(r: MutationResult) {
  if (r.status === 'dry-run') throw new Error('dry run')
  expect(r.operation.state, JSON.stringify(r.operation.steps.find((s) => s.state === 'failed')?.error)).toBe(
    'done',
  )
}

/** A context whose config names the world's release location (upgrades read its index). */
async function withReleases(): Promise<void> {
  await ctx.dispose()
  const config = { ...structuredClone(DEFAULT_CONFIG), upgrades: world.upgradesConfig }
  ctx = world.context({ home: tempHome(), actor: 'operator', config })
}

/** An upgrade of one pair to the second version the world's release location offers. */
async function upgradePair(what: 'openclaw' | 'clawnode') {
  const p = await pair()
  const r = await startUpgrade(
    ctx,
    engine,
    what,
    { version: RELEASES[what][1], selector: `pair=${p.pairId}`, pauseMs: 0 },
    { yes: true },
  )
  if (r.status === 'dry-run') throw new Error('dry run')
  expect(r.status).toBe('complete')
  return r.rollout
}

/** One scenario per operation kind: what it runs, and the effects it must make. */
const scenarios: Record<string, { effects: string[]; run(): Promise<void> }> = {
  heal: {
    // OpenClaw down and a restart that does not fix it: restart, then the nested failover
    // promotes the standby and stops the old primary.
    effects: ['node:openclaw.restart', 'node:openclaw.stop'],
    async run() {
      const p = await pair()
      world.probes.set(p.primary.id, { openclaw: 'down', restartFixes: false })
      done(await mutate('heal', { instance: p.primary.id, waitMs: 0 }))
      expect(operations().size).toBe(2)
    },
  },
  failover: {
    effects: ['node:openclaw.start', 'node:openclaw.stop'],
    async run() {
      const p = await pair()
      world.probes.set(p.standby.id, { openclaw: 'down', restartFixes: true })
      done(await mutate('failover', { pairs: [p.pairId], reason: 'test' }))
    },
  },
  provision: {
    effects: ['gateway:device.pair.setupCode', 'provider:create', 'provider:create'],
    async run() {
      done(
        await mutate('provision', {
          count: 1,
          tier: 'standard',
          group: 'eu',
          primary: 'hetzner',
          standby: 'vultr',
        }),
      )
    },
  },
  teardown: {
    effects: [
      'provider:delete',
      'gateway:device.pair.remove',
      'provider:delete',
      'gateway:device.pair.remove',
    ],
    async run() {
      const p = await pair()
      done(await mutate('teardown', { ids: [p.primary.id, p.standby.id] }))
      expect(world.calls.some((c) => c.name === 'openclaw.archive')).toBe(true)
    },
  },
  resize: {
    // One member in place (Hetzner), one replaced on another provider: create, restore, delete.
    effects: ['provider:resize', 'provider:create', 'node:openclaw.restore', 'provider:delete'],
    async run() {
      const a = await pair('hetzner', 'vultr')
      done(await mutate('resize', { tier: 'pro', ids: [a.primary.id] }))
      const b = await pair('hetzner', 'vultr')
      done(await mutate('resize', { tier: 'standard', ids: [b.standby.id], provider: 'digitalocean' }))
    },
  },
  reprovision: {
    effects: ['provider:create'],
    async run() {
      const p = await pair()
      const queue = ctx.store().repo(ReprovisionQueue)
      const item = queue.enqueue({
        id: 'rq-test00001',
        pairId: p.pairId,
        replacesInstanceId: p.standby.id,
        provider: 'digitalocean',
        region: region('digitalocean'),
        tier: 'standard',
        reason: 'test',
        incidentId: null,
        opId: null,
        createdAt: ctx.now(),
      })
      queue.markReady(item.id, ctx.now())
      done(await mutate('reprovision', {}))
    },
  },
  'instance.restart': {
    effects: ['node:openclaw.restart'],
    async run() {
      const p = await pair()
      done(await mutate('instance.restart', { ids: [p.primary.id] }))
    },
  },
  'instance.exec': {
    effects: ['node:exec.run'],
    async run() {
      const p = await pair()
      done(await mutate('instance.exec', { instance: p.primary.id, argv: ['uptime'] }))
    },
  },
  'config.push': {
    effects: ['node:config.push', 'node:config.push'],
    async run() {
      const p = await pair()
      const r = await pushConfig(
        ctx,
        engine,
        {
          format: 'merge',
          document: { agents: { defaults: { thinking: 'low' } } },
          selector: `pair=${p.pairId}`,
          pauseMs: 0,
        },
        { yes: true },
      )
      expect(r.status).toBe('complete')
    },
  },
  'config.rollback': {
    effects: ['node:config.rollback', 'node:config.rollback'],
    async run() {
      const p = await pair()
      const r = await pushConfig(
        ctx,
        engine,
        {
          format: 'merge',
          document: { agents: { defaults: { thinking: 'low' } } },
          selector: `pair=${p.pairId}`,
          pauseMs: 0,
          batchSize: 1,
        },
        { yes: true },
      )
      if (r.status === 'dry-run') throw new Error('dry run')
      world.calls.length = 0
      const back = await rollbackRollout(ctx, engine, r.rollout.rolloutId, { yes: true })
      expect(back.status).not.toBe('dry-run')
    },
  },
  'openclaw.upgrade': {
    effects: ['node:openclaw.update', 'node:openclaw.update'],
    async run() {
      await withReleases()
      await upgradePair('openclaw')
    },
  },
  'clawnode.upgrade': {
    effects: ['node:clawnode.update', 'node:clawnode.update'],
    async run() {
      await withReleases()
      await upgradePair('clawnode')
    },
  },
  'openclaw.rollback': {
    effects: ['node:openclaw.rollback', 'node:openclaw.rollback'],
    async run() {
      await withReleases()
      const up = await upgradePair('openclaw')
      world.calls.length = 0
      const back = await rollbackUpgrade(ctx, engine, up.rolloutId, { yes: true })
      expect(back.status).not.toBe('dry-run')
    },
  },
  'silence.add': {
    effects: [],
    async run() {
      done(await mutate('silence.add', { provider: 'hetzner', forSeconds: 3600, reason: 'test' }))
    },
  },
  'silence.remove': {
    effects: [],
    async run() {
      const r = await mutate('silence.add', { provider: 'hetzner', forSeconds: 3600, reason: 'test' })
      if (r.status === 'dry-run') throw new Error('dry run')
      const id = (r.operation.steps[0]!.result as { id: string }).id
      done(await mutate('silence.remove', { id }))
    },
  },
  'routing.set': {
    effects: [],
    async run() {
      done(await mutate('routing.set', { groups: ['eu'], exclude: ['contabo'], reason: 'test' }))
    },
  },
  'gateway.setup': {
    effects: ['gateway:config.patch'],
    async run() {
      vi.spyOn(GatewayClient, 'connect').mockResolvedValue(world.gateway as unknown as GatewayClient)
      done(await mutate('gateway.setup', {}))
    },
  },
  'gateway.move': {
    // A fresh bootstrap credential from the target gateway, the node told to rejoin there, the old
    // pairing removed.
    effects: ['gateway:device.pair.setupCode', 'node:clawnode.rejoin', 'gateway:device.pair.remove'],
    async run() {
      await ctx.dispose()
      const config = {
        ...structuredClone(DEFAULT_CONFIG),
        gateways: [{ name: 'b', url: 'ws://recorded-b.invalid', tokenEnv: 'GW_B_TOKEN' }],
      }
      ctx = world.context({ home: tempHome(), actor: 'operator', config })
      const p = await pair()
      done(await mutate('gateway.move', { instanceId: p.primary.id, to: 'b' }))
      expect(ctx.store().repo(Instances).get(p.primary.id)!.gateway).toBe('b')
    },
  },
  'archive.prune': {
    // Archives stored in S3 by a teardown, pruned once their retention ends.
    effects: ['storage:DELETE', 'storage:DELETE'],
    async run() {
      await ctx.dispose()
      const clock = manualClock()
      const config = { ...structuredClone(DEFAULT_CONFIG), archive: world.archiveConfig }
      ctx = world.context({ home: tempHome(), actor: 'operator', clock, config })
      for (let i = 0; i < 2; i++) {
        const p = await pair()
        done(await mutate('teardown', { ids: [p.primary.id, p.standby.id] }))
      }
      expect(world.calls.filter((c) => c.kind === 'storage' && c.name === 'PUT')).toHaveLength(2)
      world.calls.length = 0
      clock.advance(31 * 86_400_000)
      done(await mutate('archive.prune', {}))
    },
  },
  'agents.install': {
    effects: ['gateway:config.patch', 'gateway:exec.approvals.set', 'gateway:cron.add'],
    async run() {
      done(await mutate('agents.install', {}))
    },
  },
}

describe('an audit entry announces every external effect before it happens', () => {
  it('has a scenario for every operation kind', () => {
    expect(Object.keys(scenarios).sort()).toEqual(kinds.names())
  })

  for (const [name, s] of Object.entries(scenarios)) {
    it(name, async () => {
      await s.run()
      const made = effects()
      for (const e of new Set(s.effects)) {
        expect(made.filter((m) => m === e).length, `${e} in ${made.join(', ')}`).toBeGreaterThanOrEqual(
          s.effects.filter((x) => x === e).length,
        )
      }
      if (s.effects.length === 0) expect(made).toEqual([])
      expect(await unannounced()).toEqual([])
      expect(ctx.store().repo(AuditTrail).verify().ok).toBe(true)
    })
  }

  it('finds an effect made before its announcement (the check can fail)', async () => {
    const p = await pair()
    // A step that deletes first and writes its entry after, as a careless kind would.
    const careless: OperationKind<{ id: string }> = {
      kind: 'test.careless',
      action: 'teardown',
      parseParams: (raw) => raw as { id: string },
      plan: (_c, q) => ({
        summary: `delete ${q.id}`,
        targets: [q.id],
        affectedUsers: 1,
        costDeltaMonthlyUsdCents: 0,
        steps: [{ name: 'pair', target: q.id, input: {} }],
        facts: {},
      }),
      async runStep(run, q) {
        const inst = run.ctx.store().repo(Instances).get(q.id)!
        await (await run.ctx.provider(inst.provider)).delete(inst.providerId!)
        run.audit({ action: 'provider.delete', target: q.id, details: { serverId: inst.providerId } })
      },
    }
    const registry = productionKinds().add(careless.kind, careless)
    done(await new Engine(registry).mutate(ctx, careless, { id: p.primary.id }, { yes: true }))
    expect(await unannounced(registry)).toEqual([expect.stringMatching(/^provider delete at audit seq \d+$/)])
  })
})
