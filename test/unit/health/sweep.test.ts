import { beforeEach, describe, expect, it } from 'vitest'
import { watchSettings } from '../../../src/lib/config/watch-settings.js'
import type { Context } from '../../../src/lib/context.js'
import { UserError } from '../../../src/lib/errors.js'
import type { NodeInvoker } from '../../../src/lib/gateway/link.js'
import type { ClawnodeCommand } from '../../../src/lib/gateway/node-commands.js'
import { sweepHealth } from '../../../src/lib/health/sweep.js'
import { AuditTrail } from '../../../src/lib/store/audit-trail.js'
import { FleetEvents } from '../../../src/lib/store/fleet-events.js'
import { HealthHistory } from '../../../src/lib/store/health-history.js'
import { InstanceHealth } from '../../../src/lib/store/instance-health.js'
import { Instances } from '../../../src/lib/store/instances.js'
import { Outbox } from '../../../src/lib/store/outbox.js'
import { UserActivity } from '../../../src/lib/store/user-activity.js'
import { manualClock, testContext } from '../../support/context.js'
import { addPair, FakeNodes } from '../../support/watch-fakes.js'

let ctx: Context
let clock: ReturnType<typeof manualClock>
let nodes: FakeNodes
/** The node invoker the context hands out: the fake nodes, or a test's own wrapper around them. */
let invoker: NodeInvoker
const settings = () => watchSettings(ctx.config())
const instances = () => ctx.store().repo(Instances)

beforeEach(() => {
  clock = manualClock()
  nodes = new FakeNodes()
  invoker = nodes
  ctx = testContext({ clock, services: { nodes: { invoke: (...a) => invoker.invoke(...a) } } })
})

describe('health sweep', () => {
  it('scores every monitored instance and moves only the bad ones to DEGRADED, with an event for Guardian', async () => {
    const a = addPair(ctx)
    const b = addPair(ctx)
    nodes.set(b.primary.id, { openclaw: 'down' })
    const r = await sweepHealth(ctx, settings())
    expect(r.swept).toBe(4)
    expect(r.transitions).toEqual([{ instanceId: b.primary.id, from: 'ACTIVE', to: 'DEGRADED', score: 40 }])
    expect(instances().get(a.primary.id)).toMatchObject({ state: 'ACTIVE', healthScore: 100 })
    expect(instances().get(b.primary.id)).toMatchObject({ state: 'DEGRADED', healthScore: 40 })
    const events = ctx
      .store()
      .repo(FleetEvents)
      .list({ types: ['INSTANCE_DEGRADED'] })
    expect(events).toHaveLength(1)
    expect(events[0]).toMatchObject({ instanceId: b.primary.id, pairId: b.pairId, provider: 'hetzner' })
    expect(
      ctx
        .store()
        .repo(Outbox)
        .byEvent(events[0]!.id)
        .map((o) => o.target),
    ).toEqual(['guardian'])
    const audit = ctx.store().repo(AuditTrail).query({ action: 'health.transition' })
    expect(audit.map((e) => [e.target, e.details])).toEqual([
      [b.primary.id, expect.objectContaining({ from: 'ACTIVE', to: 'DEGRADED' })],
    ])
  })

  it('announces one degradation once however many sweeps see it, and fails it after 10 minutes', async () => {
    const p = addPair(ctx)
    nodes.set(p.primary.id, { node: 'down' })
    await sweepHealth(ctx, settings())
    clock.advance(5 * 60_000)
    await sweepHealth(ctx, settings())
    expect(instances().get(p.primary.id)!.state).toBe('DEGRADED')
    expect(
      ctx
        .store()
        .repo(FleetEvents)
        .list({ types: ['INSTANCE_DEGRADED'] }),
    ).toHaveLength(1)
    clock.advance(5 * 60_000)
    const r = await sweepHealth(ctx, settings())
    expect(r.transitions).toEqual([expect.objectContaining({ from: 'DEGRADED', to: 'FAILED' })])
    expect(
      ctx
        .store()
        .repo(FleetEvents)
        .list({ types: ['INSTANCE_FAILED'] }),
    ).toHaveLength(1)
    nodes.set(p.primary.id, { node: 'up' })
    clock.advance(5 * 60_000)
    await sweepHealth(ctx, settings())
    expect(instances().get(p.primary.id)!.state).toBe('ACTIVE')
    expect(ctx.store().repo(InstanceHealth).get(p.primary.id).badSince).toBeNull()
  })

  it('stops and changes nothing when the gateway itself is unreachable', async () => {
    const p = addPair(ctx)
    nodes.gatewayDown = true
    const err = await sweepHealth(ctx, settings()).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(UserError)
    expect((err as UserError).code).toBe('GATEWAY_UNREACHABLE')
    expect(instances().get(p.primary.id)).toMatchObject({ state: 'ACTIVE', healthScore: 100 })
    expect(ctx.store().repo(FleetEvents).list()).toEqual([])
  })

  it('probes with bounded concurrency and only the monitored states matching the selector', async () => {
    for (let i = 0; i < 12; i++) addPair(ctx)
    const creating = addPair(ctx, { state: 'BOOTSTRAPPING' }, { state: 'BOOTSTRAPPING' })
    for (const i of instances().list()) nodes.set(i.id, { latencyMs: 5 })
    const r = await sweepHealth(ctx, settings(), {
      concurrency: 3,
      selector: 'provider=hetzner',
    })
    expect(r.swept).toBe(12)
    expect(nodes.maxInFlight).toBeLessThanOrEqual(3 * 3)
    expect(nodes.calls.some((c) => c.instanceId === creating.primary.id)).toBe(false)
  })

  it('records the history and rolls old samples up', async () => {
    const p = addPair(ctx)
    await sweepHealth(ctx, settings())
    const hist = ctx.store().repo(HealthHistory)
    expect(hist.samples(p.primary.id, '2000-01-01T00:00:00Z')).toEqual([
      expect.objectContaining({ score: 100, cpuPct: 10, diskPct: 40, openclawOk: true }),
    ])
    clock.advance(49 * 3600_000)
    const r = await sweepHealth(ctx, settings())
    expect(r.history.hourly).toBeGreaterThan(0)
    expect(hist.samples(p.primary.id, '2000-01-01T00:00:00Z')).toHaveLength(1)
  })

  it('reads a new instance whose node joined as BOOTSTRAPPING until its first healthy probe, DEGRADED only after the boot grace', async () => {
    const warming = addPair(ctx, {}, { state: 'BOOTSTRAPPING', nodeId: 'n-warming', healthScore: null })
    const ready = addPair(ctx, {}, { state: 'BOOTSTRAPPING', nodeId: 'n-ready', healthScore: null })
    nodes.set(warming.standby.id, { openclaw: 'down' })
    let r = await sweepHealth(ctx, settings())
    expect(instances().get(warming.standby.id)).toMatchObject({ state: 'BOOTSTRAPPING', healthScore: 40 })
    expect(instances().get(ready.standby.id)).toMatchObject({ state: 'ACTIVE', healthScore: 100 })
    expect(ctx.store().repo(FleetEvents).list()).toEqual([])
    clock.advance(19 * 60_000)
    r = await sweepHealth(ctx, settings())
    expect(instances().get(warming.standby.id)!.state).toBe('BOOTSTRAPPING')
    clock.advance(60_000)
    r = await sweepHealth(ctx, settings())
    expect(r.transitions).toEqual([
      { instanceId: warming.standby.id, from: 'BOOTSTRAPPING', to: 'DEGRADED', score: expect.any(Number) },
    ])
    expect(
      ctx
        .store()
        .repo(FleetEvents)
        .list({ types: ['INSTANCE_DEGRADED'] }),
    ).toHaveLength(1)
  })

  it('leaves states it does not own alone (a failover in flight)', async () => {
    const p = addPair(ctx, {}, { state: 'STANDBY_PROMOTING' })
    const r = await sweepHealth(ctx, settings(), { ids: [p.standby.id] })
    expect(r.swept).toBe(0)
    expect(instances().get(p.standby.id)!.state).toBe('STANDBY_PROMOTING')
  })

  it("records the users' last activity reported by gf-clawnode for the Ledger, never moving it back", async () => {
    const p = addPair(ctx)
    let activity = '2026-11-20T10:00:00.000Z'
    invoker = {
      invoke: async <T>(
        t: { id: string; nodeId: string | null },
        c: ClawnodeCommand,
        params: Record<string, unknown>,
      ) => {
        const r = (await nodes.invoke(t, c, params)) as Record<string, unknown>
        return (
          c === 'openclaw.health' && t.id === p.primary.id ? { ...r, lastActivityAt: activity } : r
        ) as T
      },
    }
    const r = await sweepHealth(ctx, settings())
    expect(r.userActivity).toBe(1)
    expect(ctx.store().repo(UserActivity).get(p.userId)).toMatchObject({
      lastActiveAt: activity,
      source: `clawnode:${p.primary.id}`,
    })
    activity = '2026-11-19T10:00:00.000Z'
    await sweepHealth(ctx, settings())
    expect(ctx.store().repo(UserActivity).get(p.userId)!.lastActiveAt).toBe('2026-11-20T10:00:00.000Z')
  })
})
