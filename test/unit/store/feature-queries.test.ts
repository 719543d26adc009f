/**
 * The repository methods that answer the features' questions (watch, heal, sweep, config push, brief,
 * archive, provisioning, lab seeding), each against a real SQLite file: what it returns, and what it
 * leaves out.
 */
import { describe, expect, it } from 'vitest'
import type { Instance, InstanceState } from '../../../src/lib/domain/instance.js'
import type { Plan } from '../../../src/lib/domain/plan.js'
import { seedFleet } from '../../../src/lib/lab/seed.js'
import { Archives } from '../../../src/lib/store/archives.js'
import { BriefDeliveries } from '../../../src/lib/store/brief-deliveries.js'
import { Failovers } from '../../../src/lib/store/failovers.js'
import { FleetEvents } from '../../../src/lib/store/fleet-events.js'
import { FleetStats } from '../../../src/lib/store/fleet-stats.js'
import { HealthHistory } from '../../../src/lib/store/health-history.js'
import { Incidents } from '../../../src/lib/store/incidents.js'
import { InstanceHealth } from '../../../src/lib/store/instance-health.js'
import { Instances } from '../../../src/lib/store/instances.js'
import { LabRows } from '../../../src/lib/store/lab-rows.js'
import { Operations } from '../../../src/lib/store/operations.js'
import { OutgoingWebhooks } from '../../../src/lib/store/outgoing-webhooks.js'
import { Pairs } from '../../../src/lib/store/pairs.js'
import { Plans } from '../../../src/lib/store/plans.js'
import { ProvisionHistory } from '../../../src/lib/store/provision-history.js'
import { ReprovisionQueue } from '../../../src/lib/store/reprovision-queue.js'
import type { Store } from '../../../src/lib/store/store.js'
import { UserActivity } from '../../../src/lib/store/user-activity.js'
import { manualClock, testContext } from '../../support/context.js'

const T0 = '2026-11-26T07:00:00.000Z'

function member(
  store: Store,
  id: string,
  pairId: string,
  o: Partial<Pick<Instance, 'role' | 'state' | 'provider' | 'region' | 'nodeId' | 'healthScore'>> = {},
): Instance {
  if (!store.repo(Pairs).get(pairId)) {
    store.repo(Pairs).insert({ id: pairId, userId: `u-${pairId}`, labels: {}, createdAt: T0, updatedAt: T0 })
  }
  const i: Instance = {
    id,
    pairId,
    userId: `u-${pairId}`,
    provider: o.provider ?? 'hetzner',
    region: o.region ?? 'nbg1',
    tier: 'standard',
    role: o.role ?? 'primary',
    state: o.state ?? 'ACTIVE',
    providerId: null,
    ip: null,
    tailscaleName: null,
    nodeId: o.nodeId ?? null,
    labels: {},
    healthScore: o.healthScore ?? null,
    lastHeartbeatAt: null,
    createdAt: T0,
    updatedAt: T0,
  }
  store.repo(Instances).insert(i)
  return i
}

describe('Instances: the questions of sweep, presence, config push, blast radius and detectors', () => {
  it('nodeAndState and idOfNode find one instance, and nothing for an unknown id or node', () => {
    const store = testContext().store()
    member(store, 'i-1', 'p-1', { nodeId: 'node-a', state: 'DEGRADED' })
    member(store, 'i-2', 'p-1', { role: 'standby' })
    const instances = store.repo(Instances)
    expect(instances.nodeAndState('i-1')).toEqual({ nodeId: 'node-a', state: 'DEGRADED' })
    expect(instances.nodeAndState('i-2')).toEqual({ nodeId: null, state: 'ACTIVE' })
    expect(instances.nodeAndState('i-9')).toBeUndefined()
    expect(instances.idOfNode('node-a')).toBe('i-1')
    expect(instances.idOfNode('node-z')).toBeUndefined()
  })

  it('probeTargets reads the instances in the states asked, by id, and only the ids given', () => {
    const store = testContext().store()
    member(store, 'i-3', 'p-1', { state: 'FAILED', nodeId: 'n3' })
    member(store, 'i-1', 'p-1', { role: 'standby', state: 'ACTIVE', nodeId: 'n1' })
    member(store, 'i-2', 'p-2', { state: 'CREATING' })
    const instances = store.repo(Instances)
    const monitored: InstanceState[] = ['ACTIVE', 'DEGRADED', 'FAILED']
    expect(instances.probeTargets(monitored)).toEqual([
      { id: 'i-1', nodeId: 'n1', userId: 'u-p-1', lastHeartbeatAt: null, gateway: null },
      { id: 'i-3', nodeId: 'n3', userId: 'u-p-1', lastHeartbeatAt: null, gateway: null },
    ])
    expect(instances.probeTargets(monitored, ['i-3', 'i-2']).map((t) => t.id)).toEqual(['i-3'])
    expect(instances.probeTargets(monitored, [])).toEqual([])
  })

  it('primariesIn counts the primaries of a provider or a region, never standbys or deleted ones', () => {
    const store = testContext().store()
    member(store, 'a-p', 'a', { region: 'nbg1' })
    member(store, 'a-s', 'a', { role: 'standby', region: 'nbg1' })
    member(store, 'b-p', 'b', { region: 'fsn1', state: 'FAILED' })
    member(store, 'c-p', 'c', { region: 'nbg1', state: 'DELETED' })
    member(store, 'd-p', 'd', { provider: 'vultr', region: 'nbg1' })
    const instances = store.repo(Instances)
    expect(instances.primariesIn('hetzner')).toBe(2)
    expect(instances.primariesIn('hetzner', 'nbg1')).toBe(1)
    expect(instances.primariesIn('hetzner', 'hel1')).toBe(0)
  })

  it('pairsWithoutActivePrimary lists the pairs whose primary is not ACTIVE, members by role, with their condition', () => {
    const store = testContext().store()
    member(store, 'ok-p', 'ok', { state: 'ACTIVE' })
    member(store, 'ok-s', 'ok', { role: 'standby', state: 'FAILED' })
    member(store, 'x-s', 'x', { role: 'standby', state: 'QUARANTINED' })
    member(store, 'x-p', 'x', { state: 'FAILED' })
    member(store, 'x-old', 'x', { role: 'standby', state: 'DELETED' })
    member(store, 'y-p', 'y', { state: 'FAILED' })
    member(store, 'y-s', 'y', { role: 'standby', state: 'STANDBY_PROMOTING' })
    member(store, 'z-p', 'z', { state: 'DELETED' })
    member(store, 'z-s', 'z', { role: 'standby', state: 'ACTIVE' })
    const gaps = store.repo(FleetStats).pairsWithoutActivePrimary()
    expect(gaps.map((g) => [g.pairId, g.condition])).toEqual([
      ['x', 'unserved'],
      ['y', 'promoting'],
      ['z', 'at-risk'],
    ])
    expect(gaps[0]!.members).toEqual([
      { id: 'x-p', role: 'primary', state: 'FAILED', provider: 'hetzner', region: 'nbg1' },
      { id: 'x-s', role: 'standby', state: 'QUARANTINED', provider: 'hetzner', region: 'nbg1' },
    ])
  })

  it('healthByRegion scores the monitored instances per region; an unscored one counts as 0', () => {
    const store = testContext().store()
    member(store, 'a', 'a', { healthScore: 100 })
    member(store, 'b', 'b', { healthScore: 40, state: 'DEGRADED' })
    member(store, 'c', 'c', { state: 'FAILED' })
    member(store, 'd', 'd', { healthScore: 10, state: 'QUARANTINED' })
    member(store, 'e', 'e', { healthScore: 90, region: 'fsn1' })
    const rows = store.repo(Instances).healthByRegion(75)
    expect(rows.map((r) => ({ ...r }))).toEqual([
      { provider: 'hetzner', region: 'fsn1', instances: 1, bad: 0, score: 90 },
      { provider: 'hetzner', region: 'nbg1', instances: 3, bad: 2, score: (100 + 40 + 0) / 3 },
    ])
  })
})

describe('plans, operations, deliveries, incidents and pairs', () => {
  it('Plans.awaitingConfirmation returns pending, unexpired plans of the kind with their facts', () => {
    const store = testContext().store()
    const plan = (id: string, kind: string, expiresAt: string): Plan => ({
      id,
      kind,
      salt: 's',
      identity: null,
      action: 'failover',
      summary: id,
      targets: [],
      affectedUsers: 1,
      costDeltaMonthlyUsdCents: 0,
      steps: [],
      facts: { failover: [{ pairId: `pair-${id}`, primaryId: `prim-${id}` }] },
      actor: 'ops',
      params: {},
      fingerprint: 'f',
      createdAt: T0,
      expiresAt,
    })
    const plans = store.repo(Plans)
    plans.save(plan('live', 'failover', '2026-11-26T08:00:00.000Z'))
    plans.save(plan('lapsed', 'failover', '2026-11-26T07:05:00.000Z'))
    plans.save(plan('ran', 'failover', '2026-11-26T08:00:00.000Z'))
    plans.markExecuted('ran', 'op-1')
    plans.save(plan('other', 'resize', '2026-11-26T08:00:00.000Z'))
    expect(plans.awaitingConfirmation('failover', '2026-11-26T07:10:00.000Z')).toEqual([
      {
        id: 'live',
        expiresAt: '2026-11-26T08:00:00.000Z',
        facts: { failover: [{ pairId: 'pair-live', primaryId: 'prim-live' }] },
      },
    ])
  })

  it('Operations.finishedBetween counts the ended operations of the window by kind and outcome', () => {
    const clock = manualClock(T0)
    const store = testContext({ clock }).store()
    const ops = store.repo(Operations)
    const run = (id: string, kind: string, state: 'done' | 'failed' | 'partial' | 'running') => {
      ops.create(
        { id, kind, planId: `plan-${id}`, actor: 'ops', identity: 'ops', params: {}, summary: id },
        [],
      )
      if (state !== 'running') ops.setState(id, state)
      clock.advance(60_000)
    }
    run('o1', 'heal', 'done')
    run('o2', 'heal', 'done')
    run('o3', 'heal', 'failed')
    run('o4', 'failover', 'partial')
    run('o5', 'failover', 'running')
    run('o6', 'resize', 'done') // finished at 07:05, outside the window
    expect(ops.finishedBetween(T0, '2026-11-26T07:05:00.000Z')).toEqual([
      { kind: 'failover', state: 'partial', n: 1 },
      { kind: 'heal', state: 'done', n: 2 },
      { kind: 'heal', state: 'failed', n: 1 },
    ])
  })

  it('Operations.failoverOfPairSince finds the newest failover of the pair started since the heal', () => {
    const clock = manualClock(T0)
    const store = testContext({ clock }).store()
    const ops = store.repo(Operations)
    const op = (id: string, kind: string, params: unknown) => {
      ops.create(
        { id, kind, planId: `plan-${id}`, actor: 'watch', identity: 'watch', params, summary: id },
        [],
      )
      clock.advance(1_000)
    }
    op('fo-before', 'failover', { pairs: ['p-1'] })
    op('heal-1', 'heal', { instanceId: 'i-1' })
    expect(ops.failoverOfPairSince('p-1', 'heal-1')).toBeUndefined()
    op('fo-other', 'failover', { pairs: ['p-2'] })
    op('fo-1', 'failover', { pairs: ['p-3', 'p-1'] })
    op('fo-2', 'failover', { pairs: ['p-1'] })
    op('rs-1', 'resize', { pairs: ['p-1'] })
    expect(ops.failoverOfPairSince('p-1', 'heal-1')).toBe('fo-2')
    expect(ops.failoverOfPairSince('p-2', 'heal-1')).toBe('fo-other')
    expect(ops.failoverOfPairSince('p-9', 'heal-1')).toBeUndefined()
    expect(ops.failoverOfPairSince('p-1', 'no-such-op')).toBeUndefined()
  })

  it('BriefDeliveries.undeliveredEvents returns the events of the types and window with no delivery row', () => {
    const store = testContext().store()
    const ev = (id: string, type: 'PAIR_FAILED' | 'HEAL_COMPLETE', createdAt: string) =>
      store.repo(FleetEvents).insert({
        id,
        type,
        severity: 'high',
        instanceId: null,
        pairId: null,
        provider: null,
        region: null,
        payload: {},
        createdAt,
      })
    ev('e-old', 'PAIR_FAILED', '2026-11-26T05:00:00.000Z')
    ev('e-new', 'PAIR_FAILED', '2026-11-26T06:30:00.000Z')
    ev('e-sent', 'PAIR_FAILED', '2026-11-26T06:40:00.000Z')
    ev('e-other', 'HEAL_COMPLETE', '2026-11-26T06:50:00.000Z')
    const deliveries = store.repo(BriefDeliveries)
    deliveries.create({
      id: 'd-1',
      subject: 'alert',
      eventId: 'e-sent',
      channel: 'telegram',
      target: 't',
      body: 'b',
      createdAt: T0,
    })
    deliveries.create({
      id: 'd-2',
      subject: 'briefing',
      channel: 'telegram',
      target: 't',
      body: 'b',
      createdAt: T0,
    })
    expect(deliveries.undeliveredEvents('2026-11-26T06:00:00.000Z', ['PAIR_FAILED', 'COST_ANOMALY'])).toEqual(
      ['e-new'],
    )
  })

  it('Incidents.insertResolved records finished incidents with their timeline', () => {
    const store = testContext().store()
    const timeline = [
      { at: T0, kind: 'opened', text: 'down' },
      { at: '2026-11-26T08:00:00.000Z', kind: 'resolved', text: 'up' },
    ]
    store.repo(Incidents).insertResolved([
      {
        id: 'inc-1',
        provider: 'vultr',
        region: 'fra',
        kind: 'provider-outage',
        severity: 'high',
        title: 'down',
        openedAt: T0,
        resolvedAt: '2026-11-26T08:00:00.000Z',
        timeline,
      },
    ])
    expect(store.repo(Incidents).get('inc-1')).toEqual({
      id: 'inc-1',
      provider: 'vultr',
      region: 'fra',
      kind: 'provider-outage',
      status: 'resolved',
      severity: 'high',
      title: 'down',
      openedAt: T0,
      resolvedAt: '2026-11-26T08:00:00.000Z',
      rootCause: null,
      timeline,
      actions: [],
      actionItems: [],
    })
  })

  it('Pairs.countLabelled counts the pairs carrying one label value', () => {
    const store = testContext().store()
    const pairs = store.repo(Pairs)
    for (const [id, labels] of [
      ['a', { lab: 'true' }],
      ['b', { lab: 'true', cohort: 'x' }],
      ['c', { lab: 'false' }],
      ['d', {}],
    ] as const) {
      pairs.insert({ id, userId: `u-${id}`, labels, createdAt: T0, updatedAt: T0 })
    }
    expect(pairs.countLabelled('lab', 'true')).toBe(2)
    expect(pairs.countLabelled('cohort', 'x')).toBe(1)
    expect(pairs.countLabelled('lab', 'maybe')).toBe(0)
  })
})

describe('archives and outgoing webhooks', () => {
  it('Archives: expired lists what is due and not deleted; markDeleted takes it off the list', () => {
    const store = testContext().store()
    const archives = store.repo(Archives)
    const rec = (id: string, expiresAt: string) => ({
      id,
      userId: 'u',
      pairId: 'p',
      instanceId: 'i',
      via: 'file' as const,
      location: `/tmp/${id}`,
      provider: null,
      serverId: null,
      snapshotId: null,
      opId: null,
      bytes: 10,
      sha256: 'x',
      createdAt: T0,
      expiresAt,
    })
    archives.insert(rec('a-due', '2026-11-26T07:00:00.000Z'))
    archives.insert(rec('a-later', '2026-12-26T07:00:00.000Z'))
    expect(archives.expired(T0)).toEqual([
      { id: 'a-due', userId: 'u', location: '/tmp/a-due', expiresAt: '2026-11-26T07:00:00.000Z' },
    ])
    archives.markDeleted('a-due', T0)
    expect(archives.expired('2027-01-01T00:00:00.000Z')).toEqual([
      { id: 'a-later', userId: 'u', location: '/tmp/a-later', expiresAt: '2026-12-26T07:00:00.000Z' },
    ])
  })

  it('OutgoingWebhooks: an id is queued once; failures count attempts; delivered ones leave the queue', () => {
    const store = testContext().store()
    const hooks = store.repo(OutgoingWebhooks)
    hooks.enqueue({
      id: 'w-2',
      url: 'https://c/h',
      type: 't',
      body: '{"n":2}',
      createdAt: '2026-11-26T07:00:02.000Z',
    })
    hooks.enqueue({
      id: 'w-1',
      url: 'https://c/h',
      type: 't',
      body: '{"n":1}',
      createdAt: '2026-11-26T07:00:01.000Z',
    })
    hooks.enqueue({ id: 'w-1', url: 'https://other/', type: 't', body: 'changed', createdAt: T0 })
    expect(hooks.get('w-1')).toEqual({
      id: 'w-1',
      url: 'https://c/h',
      body: '{"n":1}',
      state: 'pending',
      attempts: 0,
    })
    expect(hooks.pending()).toEqual(['w-1', 'w-2'])
    hooks.recordFailure('w-1', 1, 'pending', 'HTTP 500')
    hooks.recordFailure('w-2', 8, 'failed', 'HTTP 500')
    expect(hooks.pending()).toEqual(['w-1'])
    hooks.markDelivered('w-1', T0)
    expect(hooks.get('w-1')).toMatchObject({ state: 'delivered', attempts: 2 })
    expect(hooks.pending()).toEqual([])
    expect(hooks.get('w-9')).toBeUndefined()
  })
})

describe('LabRows.clear (lab seed --replace)', () => {
  it('removes every row lab seeding wrote, and nothing of the real fleet', () => {
    const now = new Date(T0)
    const ctx = testContext({ clock: () => now })
    const store = ctx.store()
    seedFleet(ctx, { pairs: 40, seed: 3, historyDays: 3, briefingEvents: true })
    // An alert watch sent for a lab event.
    const labEvent = store.db.prepare("SELECT id FROM events WHERE id LIKE 'ev-lab-%' LIMIT 1").get() as {
      id: string
    }
    store.repo(BriefDeliveries).create({
      id: 'd-lab',
      subject: 'alert',
      eventId: labEvent.id,
      channel: 'c',
      target: 't',
      body: 'b',
      createdAt: T0,
    })
    // A real pair with a row in every table the clear touches.
    const real = member(store, 'real-p', 'real')
    store.repo(FleetEvents).insert({
      id: 'ev-real',
      type: 'PAIR_FAILED',
      severity: 'high',
      instanceId: real.id,
      pairId: 'real',
      provider: 'hetzner',
      region: 'nbg1',
      payload: {},
      createdAt: T0,
    })
    store.repo(BriefDeliveries).create({
      id: 'd-real',
      subject: 'alert',
      eventId: 'ev-real',
      channel: 'c',
      target: 't',
      body: 'b',
      createdAt: T0,
    })
    store.repo(Failovers).insert({
      id: 'fo-real',
      opId: 'op',
      pairId: 'real',
      userId: 'u-real',
      fromInstanceId: real.id,
      toInstanceId: 'x',
      provider: 'hetzner',
      region: 'nbg1',
      state: 'complete',
      reason: null,
      actor: 'watch',
      startedAt: T0,
    })
    store.repo(ReprovisionQueue).enqueue({
      id: 'rq-real',
      pairId: 'real',
      replacesInstanceId: real.id,
      provider: 'hetzner',
      region: 'nbg1',
      tier: 'standard',
      reason: 'r',
      incidentId: null,
      opId: null,
      createdAt: T0,
    })
    store.repo(InstanceHealth).update(real.id, { badSince: T0 })
    store.repo(UserActivity).record([{ userId: 'u-real', lastActiveAt: T0, source: 'node' }])
    store.repo(ProvisionHistory).record([
      {
        id: 'prov-real',
        provider: 'hetzner',
        region: 'nbg1',
        tier: 'standard',
        role: 'primary',
        instanceId: real.id,
        pairId: 'real',
        opId: null,
        outcome: 'ok',
        attempts: 1,
        errorCode: null,
        startedAt: T0,
        finishedAt: T0,
      },
    ])
    store.repo(HealthHistory).record([
      {
        instanceId: real.id,
        ts: T0,
        score: 90,
        heartbeatAgeS: 5,
        cpuPct: 1,
        memPct: 1,
        diskPct: 1,
        openclawOk: true,
      },
    ])
    store.repo(Incidents).insertResolved([
      {
        id: 'inc-real',
        provider: 'hetzner',
        region: 'nbg1',
        kind: 'provider-outage',
        severity: 'high',
        title: 't',
        openedAt: T0,
        resolvedAt: T0,
        timeline: [],
      },
    ])
    const tables = [
      'brief_deliveries',
      'events',
      'failovers',
      'reprovision_queue',
      'instance_health',
      'billing_segments',
      'user_activity',
      'provision_attempts',
      'health_rollups',
      'health_samples',
      'incidents',
    ]
    const counts = () =>
      Object.fromEntries(
        tables.map((t) => [t, (store.db.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n]),
      )
    const before = counts()
    // Lab rows in every table but the samples (lab history is roll-ups only).
    for (const t of tables.filter((t) => t !== 'health_samples')) expect(before[t], t).toBeGreaterThan(1)

    store.repo(LabRows).clear()
    expect(counts()).toEqual({
      brief_deliveries: 1,
      events: 1,
      failovers: 1,
      reprovision_queue: 1,
      instance_health: 1,
      billing_segments: 0,
      user_activity: 1,
      provision_attempts: 1,
      health_rollups: 0,
      health_samples: 1,
      incidents: 1,
    })
  })
})
