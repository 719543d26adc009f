import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { monthlyUsdCents } from '../../../src/lib/domain/catalog.js'
import type { Instance } from '../../../src/lib/domain/instance.js'
import { UserError } from '../../../src/lib/errors.js'
import { fleetSnapshot, fleetStatus, parseFleetFilter } from '../../../src/lib/fleet/status.js'
import { costReport } from '../../../src/lib/ledger/cost-report.js'
import { readLedgerGlance, refreshLedgerGlance } from '../../../src/lib/ledger/glance.js'
import { providerHealth } from '../../../src/lib/ledger/provider-health.js'
import { ConfigRollouts } from '../../../src/lib/store/config-rollouts.js'
import { Incidents } from '../../../src/lib/store/incidents.js'
import { Instances } from '../../../src/lib/store/instances.js'
import { Pairs } from '../../../src/lib/store/pairs.js'
import { Silences } from '../../../src/lib/store/silences.js'
import { Store } from '../../../src/lib/store/store.js'
import { UpgradeRollouts } from '../../../src/lib/store/upgrade-rollouts.js'
import { WatchRuns } from '../../../src/lib/store/watch-runs.js'
import { manualClock, tempHome, testContext } from '../../support/context.js'
import { freshSchemaUrl, onPostgres, rawExec, storeDump } from '../../support/store-engine.js'

const t = '2026-11-01T00:00:00.000Z'

function inst(id: string, pairId: string, over: Partial<Instance>): Instance {
  return {
    id,
    pairId,
    userId: `u-${pairId}`,
    provider: 'hetzner',
    region: 'nbg1',
    tier: 'standard',
    role: 'primary',
    state: 'ACTIVE',
    providerId: null,
    ip: null,
    tailscaleName: null,
    nodeId: null,
    labels: {},
    healthScore: 90,
    lastHeartbeatAt: null,
    createdAt: t,
    updatedAt: t,
    ...over,
  }
}

describe('fleet status', () => {
  it('counts by every dimension, prices the fleet and finds pairs without an ACTIVE primary', () => {
    const ctx = testContext()
    const store = ctx.store()
    store.tx(() => {
      for (const p of ['a', 'b', 'c'])
        store.repo(Pairs).insert({ id: p, userId: `u-${p}`, labels: {}, createdAt: t, updatedAt: t })
      store.repo(Instances).insertMany([
        inst('a1', 'a', {}),
        inst('a2', 'a', { role: 'standby', provider: 'vultr', region: 'fra', tier: 'standard' }),
        inst('b1', 'b', { state: 'DEGRADED', tier: 'pro' }),
        inst('b2', 'b', {
          role: 'standby',
          provider: 'digitalocean',
          region: 'fra1',
          state: 'ACTIVE',
          tier: 'pro',
        }),
        inst('c1', 'c', { state: 'FAILED', tier: 'nano' }),
        inst('c2', 'c', {
          role: 'standby',
          provider: 'vultr',
          region: 'fra',
          state: 'DEGRADED',
          tier: 'nano',
        }),
        inst('c3', 'c', {
          role: 'standby',
          provider: 'vultr',
          region: 'fra',
          state: 'DELETED',
          tier: 'nano',
        }),
      ])
    })
    const s = fleetStatus(ctx)
    expect(s.pairs).toBe(3)
    expect(s.instances).toBe(6)
    expect(s.byState).toEqual({ ACTIVE: 3, DEGRADED: 2, FAILED: 1 })
    expect(s.byProvider).toEqual({ hetzner: 3, vultr: 2, digitalocean: 1 })
    expect(s.byRegion).toEqual({ 'hetzner/nbg1': 3, 'vultr/fra': 2, 'digitalocean/fra1': 1 })
    expect(s.byTier).toEqual({ standard: 2, pro: 2, nano: 2 })
    expect(s.degraded.map((i) => i.id)).toEqual(['b1', 'c2'])
    expect(s.failed.map((i) => i.id)).toEqual(['c1'])
    expect(s.pairsWithoutActivePrimary.map((p) => [p.pairId, p.condition])).toEqual([
      ['b', 'degraded'],
      ['c', 'unserved'],
    ])
    const expected =
      monthlyUsdCents('hetzner', 'standard') +
      monthlyUsdCents('vultr', 'standard') +
      monthlyUsdCents('hetzner', 'pro') +
      monthlyUsdCents('digitalocean', 'pro') +
      monthlyUsdCents('hetzner', 'nano') +
      monthlyUsdCents('vultr', 'nano')
    expect(s.monthlyCost.usdCents).toBe(expected)
  })

  it('counts the versions the live instances last reported; a deleted one and one never asked apart', () => {
    const ctx = testContext()
    const store = ctx.store()
    seed(store)
    const versions = store.repo(UpgradeRollouts)
    versions.recordVersions('a1', { openclaw: '2026.9.6', clawnode: '0.1.0' })
    versions.recordVersions('a2', { openclaw: '2026.9.6-1', clawnode: '0.1.0' })
    versions.recordVersions('b1', { openclaw: '2026.9.6' })
    versions.recordVersions('c3', { openclaw: '2026.1.1', clawnode: '0.0.9' })
    const s = fleetStatus(ctx, { refresh: false })
    expect(s.versions).toEqual({
      openclaw: [
        { version: '2026.9.6', instances: 2 },
        { version: '2026.9.6-1', instances: 1 },
      ],
      clawnode: [{ version: '0.1.0', instances: 2 }],
      unknown: 3,
    })
    expect(s.upgrades).toEqual([])
  })

  it('narrows counts, lists, regions and pairs by provider, region and state', () => {
    const ctx = testContext()
    seed(ctx.store())
    const s = fleetStatus(ctx, { filter: { provider: 'vultr' }, refresh: false })
    expect(s.filter).toEqual({ provider: 'vultr', region: null, state: null })
    expect(s.instances).toBe(2)
    expect(s.byProvider).toEqual({ vultr: 2 })
    expect(s.degraded.map((i) => i.id)).toEqual(['c2'])
    expect(s.failed).toEqual([])
    expect(s.regions).toEqual([
      { provider: 'vultr', region: 'fra', instances: 2, active: 1, degraded: 1, failed: 0, avgHealth: 90 },
    ])
    expect(s.pairsWithoutActive.map((p) => p.pairId)).toEqual(['c'])
    const failed = fleetStatus(ctx, { filter: { state: 'FAILED' }, refresh: false })
    expect(failed.instances).toBe(1)
    expect(failed.degraded).toEqual([])
    expect(failed.failed.map((i) => i.id)).toEqual(['c1'])
  })

  it('lists pairs whose primary is not ACTIVE even when the standby serves the user', () => {
    const ctx = testContext()
    seed(ctx.store())
    const s = fleetStatus(ctx, { refresh: false })
    expect(
      s.pairsWithoutActivePrimary.map((p) => [
        p.pairId,
        p.condition,
        p.members.map((m) => `${m.role}:${m.state}`),
      ]),
    ).toEqual([
      ['b', 'degraded', ['primary:DEGRADED', 'standby:ACTIVE']],
      ['c', 'unserved', ['primary:FAILED', 'standby:DEGRADED']],
    ])
    expect(s.pairsWithoutActive.map((p) => p.pairId)).toEqual(['c'])
  })

  it('shows open incidents with their timeline, silences in force and unfinished rollouts', () => {
    const clock = manualClock('2026-11-20T10:00:00.000Z')
    const ctx = testContext({ clock })
    const store = ctx.store()
    seed(store)
    store.tx(() => {
      const incidents = store.repo(Incidents)
      const timeline = Array.from({ length: 25 }, (_, k) => ({
        at: `2026-11-20T09:${String(k + 10).padStart(2, '0')}:00.000Z`,
        kind: 'note',
        text: `entry ${k}`,
      }))
      incidents.insert({
        id: 'inc-1',
        provider: 'hetzner',
        region: 'nbg1',
        kind: 'region-outage',
        status: 'open',
        severity: 'high',
        title: 'nbg1 down',
        openedAt: '2026-11-20T09:10:00.000Z',
        timeline,
      })
      incidents.insert({
        id: 'inc-2',
        provider: 'vultr',
        region: null,
        kind: 'provider-outage',
        status: 'resolved',
        severity: 'high',
        title: 'over',
        openedAt: '2026-11-19T09:00:00.000Z',
        timeline: [],
      })
      const silences = store.repo(Silences)
      silences.insert({
        id: 's-1',
        provider: 'hetzner',
        region: null,
        instanceId: null,
        eventType: null,
        reason: 'maintenance',
        createdBy: 'operator',
        createdAt: '2026-11-20T09:00:00.000Z',
        expiresAt: '2026-11-20T12:00:00.000Z',
      })
      silences.insert({
        id: 's-2',
        provider: null,
        region: null,
        instanceId: null,
        eventType: null,
        reason: 'old',
        createdBy: 'operator',
        createdAt: '2026-11-19T09:00:00.000Z',
        expiresAt: '2026-11-19T12:00:00.000Z',
      })
      const rollouts = store.repo(ConfigRollouts)
      const settings = {
        batchSize: 1,
        canary: 0,
        pauseMs: 0,
        maxFailures: { kind: 'count', value: 1 },
        allAtOnce: false,
        restart: 'auto',
        concurrency: 1,
      } as never
      const targets = [
        { instanceId: 'a2', batch: 0, pos: 0, pairId: 'a', userId: 'u-a', role: 'standby' as const },
        { instanceId: 'a1', batch: 1, pos: 0, pairId: 'a', userId: 'u-a', role: 'primary' as const },
      ]
      rollouts.create(
        {
          id: 'r-live',
          opId: 'op-1',
          planId: 'plan-1',
          kind: 'push',
          version: 2,
          revertsRollout: null,
          status: 'paused',
          settings,
          batches: 2,
          actor: 'operator',
        },
        targets,
      )
      rollouts.create(
        {
          id: 'r-done',
          opId: 'op-2',
          planId: 'plan-2',
          kind: 'push',
          version: 1,
          revertsRollout: null,
          status: 'complete',
          settings,
          batches: 1,
          actor: 'operator',
        },
        [],
      )
      rollouts.updateTarget('r-live', 'a2', { state: 'done', outcome: 'applied' })
    })
    const s = fleetStatus(ctx, { refresh: false })
    expect(s.incidents.map((i) => i.id)).toEqual(['inc-1'])
    expect(s.incidents[0]!.timeline).toHaveLength(20)
    expect(s.incidents[0]!.timeline.at(-1)!.text).toBe('entry 24')
    expect(s.incidents[0]!.timelineTotal).toBe(25)
    expect(s.silences.map((x) => x.id)).toEqual(['s-1'])
    expect(
      s.rollouts.map((r) => [r.id, r.status, r.targets.total, r.targets.applied, r.targets.pending]),
    ).toEqual([['r-live', 'paused', 2, 1, 1]])
    expect(fleetStatus(ctx, { filter: { provider: 'vultr' }, refresh: false }).incidents).toEqual([])
  })

  it('tells whether watch is alive from its runs in the store', () => {
    const clock = manualClock('2026-11-20T10:00:00.000Z')
    const ctx = testContext({ clock })
    const store = ctx.store()
    expect(fleetStatus(ctx, { refresh: false }).watch).toMatchObject({
      status: 'never',
      alive: false,
      lastCycle: null,
    })
    const runs = store.repo(WatchRuns)
    runs.start({
      id: 'w1',
      mode: 'daemon',
      heal: true,
      pid: 1,
      host: 'h',
      intervalMs: 300_000,
      startedAt: ctx.now(),
    })
    expect(fleetStatus(ctx, { refresh: false }).watch).toMatchObject({
      status: 'live',
      alive: true,
      lastCycle: null,
    })
    clock.advance(20_000)
    runs.cycle('w1', {
      at: '2026-11-20T10:00:05.000Z',
      endedAt: ctx.now(),
      durationMs: 900,
      swept: 12,
      skipped: null,
    })
    expect(fleetStatus(ctx, { refresh: false }).watch.lastCycle).toEqual({
      at: '2026-11-20T10:00:05.000Z',
      durationMs: 900,
      swept: 12,
      skipped: null,
    })
    clock.advance(91_000) // no heartbeat for three periods
    expect(fleetStatus(ctx, { refresh: false }).watch).toMatchObject({ status: 'stale', alive: false })
    runs.seen('w1', ctx.now())
    expect(fleetStatus(ctx, { refresh: false }).watch.status).toBe('live')
    runs.stop('w1', ctx.now())
    expect(fleetStatus(ctx, { refresh: false }).watch).toMatchObject({ status: 'stopped', alive: false })
    // cron: `watch --once` is live while its last cycle is within two intervals
    clock.advance(1_000)
    runs.start({
      id: 'w2',
      mode: 'once',
      heal: false,
      pid: 2,
      host: 'h',
      intervalMs: 300_000,
      startedAt: ctx.now(),
    })
    runs.cycle('w2', {
      at: ctx.now(),
      endedAt: ctx.now(),
      durationMs: 10,
      swept: 0,
      skipped: 'gateway unreachable',
    })
    runs.stop('w2', ctx.now())
    expect(fleetStatus(ctx, { refresh: false }).watch).toMatchObject({
      status: 'live',
      mode: 'once',
      lastCycle: { skipped: 'gateway unreachable' },
    })
    clock.advance(600_001)
    expect(fleetStatus(ctx, { refresh: false }).watch.status).toBe('stale')
  })

  it('keeps the Ledger part hourly: the numbers of cost report and provider health, a daily series and a 7-day trend', () => {
    const clock = manualClock('2026-11-20T10:30:00.000Z')
    const ctx = testContext({ clock })
    seed(ctx.store())
    expect(readLedgerGlance(ctx.store(), clock())).toEqual({ cost: null, providerScores: null })
    expect(refreshLedgerGlance(ctx).computed).toHaveLength(8) // cost, today, six earlier days
    const s = fleetStatus(ctx)
    const report = costReport(ctx, { period: 'month', at: clock() })
    expect(s.cost).toMatchObject({
      month: '2026-11',
      actualUsdCents: report.actualUsdCents,
      forecastUsdCents: report.forecastUsdCents,
      projection: {
        periodUsdCents: report.projection.periodUsdCents,
        toDateUsdCents: report.projection.toDateUsdCents,
      },
    })
    expect(s.cost!.daily).toHaveLength(20)
    expect(s.cost!.daily.at(-1)!.actualUsdCents).toBe(report.actualUsdCents)
    const day10 = costReport(ctx, { period: 'month', at: new Date('2026-11-11T00:00:00.000Z') })
    expect(s.cost!.daily[9]).toEqual({ day: '2026-11-10', actualUsdCents: day10.actualUsdCents })
    const health = providerHealth(ctx, { days: 7, at: clock() })
    expect(s.providerScores!.providers).toEqual(
      health.providers.map((p) => ({ provider: p.provider, score: p.score, status: p.status })),
    )
    expect(s.providerScores!.trend.map((d) => d.day)).toEqual([
      '2026-11-14',
      '2026-11-15',
      '2026-11-16',
      '2026-11-17',
      '2026-11-18',
      '2026-11-19',
      '2026-11-20',
    ])
    // Fresh: nothing is computed again within the hour; stale after it.
    clock.advance(30 * 60_000)
    expect(refreshLedgerGlance(ctx).computed).toEqual([])
    clock.advance(31 * 60_000)
    expect(refreshLedgerGlance(ctx).computed).toEqual(['cost-month:2026-11', 'provider-scores:2026-11-20'])
  })

  it('reads the same snapshot from a read-only store and never writes it', () => {
    const clock = manualClock('2026-11-20T10:30:00.000Z')
    const home = tempHome()
    const ctx = testContext({ home, clock })
    seed(ctx.store())
    const viaCli = fleetStatus(ctx)
    const location = ctx.storeLocation()
    ctx.close()
    const before = storeDump(location)
    const ro = Store.openReadOnly(location)
    try {
      const snap = fleetSnapshot({
        store: ro,
        rates: ctx.config().currency.rates,
        watchIntervalMs: 300_000,
        now: clock(),
      })
      expect(snap).toEqual(viaCli)
      expect(() => ro.db.exec("UPDATE instances SET state = 'FAILED'")).toThrow(/read-?only/i)
    } finally {
      ro.close()
    }
    expect(storeDump(location)).toBe(before)
    // No store yet (a missing file, an empty schema): NOT_FOUND on both engines, and none created.
    const none = onPostgres() ? freshSchemaUrl() : join(tempHome(), 'fleet.db')
    expect(() => Store.openReadOnly(none)).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }))
    if (onPostgres()) expect(storeDump(none)).toBe('')
    else expect(existsSync(none)).toBe(false)
    // A store that lacks one of this clawops's migrations is not migrated from here: refused, untouched.
    rawExec(
      location,
      'DELETE FROM schema_migrations WHERE version = (SELECT max(version) FROM schema_migrations)',
    )
    const lacking = storeDump(location)
    expect(() => Store.openReadOnly(location)).toThrow(expect.objectContaining({ code: 'CONFLICT' }))
    expect(storeDump(location)).toBe(lacking)
  })

  it('accepts only known filters and values', () => {
    expect(parseFleetFilter({ provider: 'hetzner', region: 'nbg1', state: 'FAILED' })).toEqual({
      provider: 'hetzner',
      region: 'nbg1',
      state: 'FAILED',
    })
    expect(parseFleetFilter(undefined)).toEqual({})
    expect(parseFleetFilter({ provider: '' })).toEqual({})
    for (const bad of [
      { provider: 'aws' },
      { region: 'mars1' },
      { state: 'active' },
      { tier: 'pro' },
      { provider: 1 },
      [1],
      'x',
    ]) {
      expect(() => parseFleetFilter(bad)).toThrow(UserError)
    }
  })
})

function seed(store: Store): void {
  store.tx(() => {
    for (const p of ['a', 'b', 'c'])
      store.repo(Pairs).insert({ id: p, userId: `u-${p}`, labels: {}, createdAt: t, updatedAt: t })
    store
      .repo(Instances)
      .insertMany([
        inst('a1', 'a', {}),
        inst('a2', 'a', { role: 'standby', provider: 'vultr', region: 'fra' }),
        inst('b1', 'b', { state: 'DEGRADED', healthScore: 40 }),
        inst('b2', 'b', { role: 'standby', provider: 'digitalocean', region: 'fra1' }),
        inst('c1', 'c', { state: 'FAILED', healthScore: 10 }),
        inst('c2', 'c', { role: 'standby', provider: 'vultr', region: 'fra', state: 'DEGRADED' }),
      ])
  })
}
