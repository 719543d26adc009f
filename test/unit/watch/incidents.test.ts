import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { DEFAULT_CONFIG } from '../../../src/lib/config/defaults.js'
import type { Config } from '../../../src/lib/config/schema.js'
import { watchSettings } from '../../../src/lib/config/watch-settings.js'
import type { Context } from '../../../src/lib/context.js'
import failoverKind from '../../../src/lib/heal/failover.js'
import healKind, { healOutcome } from '../../../src/lib/heal/heal.js'
import { sweepHealth } from '../../../src/lib/health/sweep.js'
import type { LabCloud } from '../../../src/lib/lab/cloud/lab-cloud.js'
import { HttpProviderStatus } from '../../../src/lib/providers/status-page.js'
import { FleetEvents } from '../../../src/lib/store/fleet-events.js'
import { Incidents } from '../../../src/lib/store/incidents.js'
import { Instances } from '../../../src/lib/store/instances.js'
import { ReprovisionQueue } from '../../../src/lib/store/reprovision-queue.js'
import {
  detectBacklog,
  detectCost,
  detectPairFailures,
  detectProviderScores,
  detectProviders,
  fireReprovisionQueue,
} from '../../../src/lib/watch/detectors.js'
import { incidentExposure } from '../../../src/lib/watch/exposure.js'
import { incidentReport } from '../../../src/lib/watch/incident-report.js'
import { declareProviderIncident } from '../../../src/lib/watch/incidents.js'
import { manualClock, tempHome, testContext } from '../../support/context.js'
import { engine } from '../../support/engine.js'
import { freePort } from '../../support/gateway-process.js'
import { addPair, FakeNodes, FakeStatus, fakeDeps, statusPage } from '../../support/watch-fakes.js'
import { startLab } from '../providers/lab-fixture.js'

let home: string
let nodes: FakeNodes
let config: Config
let lab: LabCloud
let stopLab: () => Promise<void>
const as = (actor: string): Context => {
  const ctx = testContext({ home, actor, config, services: fakeDeps({ nodes }).services })
  return ctx
}
const settings = () => watchSettings(config)
const eventTypes = (ctx: Context) =>
  ctx
    .store()
    .repo(FleetEvents)
    .list()
    .map((e) => e.type)

beforeEach(async () => {
  home = tempHome()
  nodes = new FakeNodes()
  const l = await startLab()
  lab = l.lab
  stopLab = l.stop
  config = { ...structuredClone(DEFAULT_CONFIG), watch: { statusPageBase: `${lab.endpoints.url}/_status` } }
})

afterEach(async () => {
  await stopLab()
})

describe('a regional outage, end to end against the lab status page', () => {
  it('declares one incident after checking the provider, fails over within the blast radius, reports, and recovers', async () => {
    const g = as('guardian')
    const status = new HttpProviderStatus(settings(), g.clock)
    const nbg = Array.from({ length: 10 }, () => addPair(g, { region: 'nbg1' }))
    for (let i = 0; i < 10; i++) addPair(g, { region: 'fsn1' })
    lab.addFault({ provider: 'hetzner', region: 'nbg1', outage: true })
    for (const p of nbg) nodes.set(p.primary.id, { node: 'down' })

    await sweepHealth(g, settings())
    const first = await detectProviders(g, settings(), status)
    expect(first.degraded.map((s) => [s.provider, s.region])).toEqual([['hetzner', 'nbg1']])
    expect(first.opened).toHaveLength(1)
    const again = await detectProviders(g, settings(), status)
    expect(again.opened).toEqual([])
    const incident = g.store().repo(Incidents).get(first.opened[0]!)!
    expect(incident).toMatchObject({
      provider: 'hetzner',
      region: 'nbg1',
      kind: 'region-outage',
      status: 'open',
      severity: 'high',
    })
    expect(incident.timeline.map((t) => t.kind)).toEqual(['detected', 'provider-status'])
    expect(incident.timeline[1]!.text).toMatch(
      /nbg1 major_outage; provider says: "Hetzner Cloud: outage in nbg1"/,
    )
    expect(
      eventTypes(g)
        .filter((t) => t === 'INCIDENT_OPENED' || t === 'PROVIDER_DEGRADED')
        .sort(),
    ).toEqual(['INCIDENT_OPENED', 'PROVIDER_DEGRADED'])

    // Guardian heals them one by one: two fail over, the third crosses the blast radius.
    const outcomes: string[] = []
    for (const p of nbg.slice(0, 3)) {
      const r = await engine.mutate(g, healKind, { instance: p.primary.id, waitMs: 10 })
      if (r.status === 'dry-run') throw new Error('unexpected')
      outcomes.push(healOutcome(r.operation.steps)!)
    }
    expect(outcomes).toEqual(['failed-over', 'failed-over', 'awaiting-confirmation'])

    const exposure = await incidentExposure(g, status, { provider: 'hetzner', region: 'nbg1' })
    // The ten primaries that ran in nbg1 when it went down still count after two failed over; the
    // eight not failed over yet leave their users without an ACTIVE primary (their standbys wait).
    const notFailedOver = nbg.filter((p) => p !== nbg[0] && p !== nbg[1]).map((p) => p.pairId)
    expect(exposure).toMatchObject({
      incident: { id: incident.id },
      pairs: 10,
      primariesAffected: 10,
      failoversComplete: 2,
      stillPromoting: [],
      primaries: { total: 10, active: 0, degraded: 7, failed: 1, failedOver: 2 },
      reprovision: { waiting: 2, ready: 0 },
      providerStatus: {
        reachable: true,
        indicator: 'major',
        regions: expect.objectContaining({ nbg1: 'major_outage', fsn1: 'operational' }),
      },
    })
    expect(exposure.awaitingConfirmation).toEqual([expect.objectContaining({ pairs: [nbg[2]!.pairId] })])
    expect(exposure.usersWithoutActiveGateway.map((u) => u.pairId).sort()).toEqual([...notFailedOver].sort())
    expect(new Set(exposure.usersWithoutActiveGateway.map((u) => u.condition))).toEqual(
      new Set(['degraded', 'at-risk']),
    )

    const report = incidentReport(g, incident.id)
    expect(report.impact).toMatchObject({ pairs: 10, primariesAffected: 10, primaries: { total: 10 } })
    expect(report.suspectedRootCause.summary).toMatch(/Provider-side outage in hetzner\/nbg1/)
    // Ten instances went bad (one of them degraded, then failed): ten, not eleven.
    expect(report.suspectedRootCause.evidence.join('\n')).toMatch(/^10 instance\(s\) went bad/m)
    expect(report.actionsTaken.filter((a) => a.action === 'failover.promote').map((a) => a.outcome)).toEqual([
      'intent',
      'intent',
    ])
    expect(report.actionItems.join('\n')).toMatch(/Confirm or let expire failover plan/)
    expect(report.actionItems.join('\n')).toMatch(/Provision 2 replacement standby/)
    expect(report.timeline.some((t) => t.kind === 'event FAILOVER_COMPLETE')).toBe(true)

    // The provider recovers: the incident resolves once its page agrees, and the queue fires.
    lab.clearFaults()
    for (const p of nbg) nodes.set(p.primary.id, { node: 'up' })
    await sweepHealth(g, settings())
    const later = await detectProviders(g, settings(), status)
    expect(later.resolved).toEqual([incident.id])
    expect(g.store().repo(Incidents).get(incident.id)!.status).toBe('resolved')
    const fired = await fireReprovisionQueue(g, settings(), status)
    expect(fired.ready).toHaveLength(2)
    expect(eventTypes(g).filter((t) => t === 'REPROVISION_READY')).toHaveLength(2)
    expect(incidentReport(g, incident.id).timeline.map((t) => t.kind)).toContain('resolved')
  })

  it('keeps the queue waiting while the provider still reports trouble in that region', async () => {
    const g = as('guardian')
    const status = new HttpProviderStatus(settings(), g.clock)
    const p = addPair(g, { state: 'FAILED' })
    nodes.set(p.primary.id, { node: 'down' })
    await engine.mutate(g, failoverKind, { pairs: [p.pairId] })
    lab.addFault({ provider: 'hetzner', region: 'nbg1', outage: true })
    expect((await fireReprovisionQueue(g, settings(), status)).ready).toEqual([])
    lab.clearFaults()
    expect((await fireReprovisionQueue(g, settings(), status)).ready).toHaveLength(1)
  })
})

describe('safety rule 4 and status pages', () => {
  it('refuses to declare an incident without a fresh check of that provider', () => {
    const g = as('guardian')
    const base = {
      provider: 'hetzner',
      region: 'nbg1',
      reason: 'test',
      actor: 'guardian',
      identity: 'guardian',
      now: new Date(),
    }
    const stale = statusPage('hetzner', { checkedAt: new Date(Date.now() - 10 * 60_000).toISOString() })
    expect(() => declareProviderIncident(g.store(), settings(), { ...base, status: stale })).toThrow(/rule 4/)
    expect(() =>
      declareProviderIncident(g.store(), settings(), { ...base, status: statusPage('vultr') }),
    ).toThrow(/rule 4/)
    const r = declareProviderIncident(g.store(), settings(), { ...base, status: statusPage('hetzner') })
    // The provider says all is well: declared, but unconfirmed (warning, not high).
    expect(r.incident.severity).toBe('warning')
  })

  it('reports an unreachable or unconfigured status page as such, never as healthy', async () => {
    const none = await new HttpProviderStatus({ statusPages: {}, statusPageBase: null }).fetch('hetzner')
    expect(none).toMatchObject({
      reachable: false,
      indicator: 'unknown',
      error: expect.stringMatching(/no status page/),
    })
    const closed = await freePort()
    const down = await new HttpProviderStatus({
      statusPages: { hetzner: `http://127.0.0.1:${closed}/x` },
      statusPageBase: null,
    }).fetch('hetzner')
    expect(down).toMatchObject({ reachable: false, error: expect.stringMatching(/ECONNREFUSED/) })
    const lab404 = await new HttpProviderStatus({
      statusPages: {},
      statusPageBase: `${lab.endpoints.url}/nope`,
    }).fetch('hetzner')
    expect(lab404).toMatchObject({ reachable: false, error: expect.stringMatching(/HTTP 404/) })
  })
})

describe('detectors', () => {
  it('announces a pair without an ACTIVE member once per episode, and again when it comes back', () => {
    const g = as('guardian')
    const p = addPair(g, { state: 'FAILED' }, { state: 'FAILED' })
    addPair(g, { state: 'BOOTSTRAPPING' }, { state: 'BOOTSTRAPPING' })
    addPair(g, { state: 'FAILED' }, { state: 'STANDBY_PROMOTING' })
    expect(detectPairFailures(g, settings())).toEqual({ failed: 1, atRisk: 0, announced: 1 })
    expect(detectPairFailures(g, settings())).toEqual({ failed: 1, atRisk: 0, announced: 0 })
    const events = g
      .store()
      .repo(FleetEvents)
      .list({ types: ['PAIR_FAILED'] })
    expect(events).toEqual([expect.objectContaining({ pairId: p.pairId, severity: 'critical' })])
    // The standby comes back but nobody promotes it: the user still has no primary.
    g.store().repo(Instances).update(p.standby.id, { state: 'ACTIVE' })
    expect(detectPairFailures(g, settings())).toMatchObject({ failed: 0, atRisk: 1, announced: 1 })
    g.store().repo(Instances).update(p.standby.id, { state: 'FAILED' })
    expect(detectPairFailures(g, settings()).announced).toBe(1)
  })

  it('raises PAIR_NO_PRIMARY in the first cycle that sees a primary down with its ACTIVE standby never promoted', () => {
    const g = as('guardian')
    const torn = addPair(g, { state: 'DELETED' }, { state: 'ACTIVE' })
    const failed = addPair(g, { state: 'FAILED' }, { state: 'ACTIVE' })
    addPair(g, { state: 'DEGRADED' }, { state: 'ACTIVE' }) // the heal tree's, not this event's
    addPair(g, { state: 'QUARANTINED' }, { state: 'STANDBY_PROMOTING' }) // failing over already
    expect(detectPairFailures(g, settings())).toEqual({ failed: 0, atRisk: 2, announced: 2 })
    const events = g
      .store()
      .repo(FleetEvents)
      .list({ types: ['PAIR_NO_PRIMARY'] })
    expect(events.map((e) => e.pairId).sort()).toEqual([torn.pairId, failed.pairId].sort())
    expect(events[0]).toMatchObject({ severity: 'critical' })
    expect(JSON.stringify(events)).toContain('clawops failover')
    // Once per episode; over when the pair is served again (promoted), and again if it comes back.
    expect(detectPairFailures(g, settings()).announced).toBe(0)
    g.store().repo(Instances).update(failed.standby.id, { role: 'primary' })
    expect(detectPairFailures(g, settings())).toMatchObject({ atRisk: 1, announced: 0 })
    g.store().repo(Instances).update(failed.standby.id, { role: 'standby' })
    expect(detectPairFailures(g, settings())).toMatchObject({ atRisk: 2, announced: 1 })
    const outbox = g
      .store()
      .db.prepare(
        "SELECT target AS agent FROM watch_outbox o JOIN events e ON e.id = o.event_id WHERE e.type = 'PAIR_NO_PRIMARY'",
      )
      .all() as { agent: string }[]
    expect(new Set(outbox.map((r) => r.agent))).toEqual(new Set(['guardian', 'commander']))
  })

  it('announces a provisioning backlog over 20 to Forge once', () => {
    const g = as('guardian')
    const q = g.store().repo(ReprovisionQueue)
    const add = (n: number) =>
      q.enqueue({
        id: `rq-${n}`,
        pairId: `p-${n}`,
        replacesInstanceId: `i-${n}`,
        provider: 'hetzner',
        region: 'nbg1',
        tier: 'nano',
        reason: 't',
        incidentId: null,
        opId: null,
        createdAt: g.now(),
      })
    for (let n = 0; n < 20; n++) add(n)
    expect(detectBacklog(g, settings())).toEqual({ depth: 20, announced: false })
    add(20)
    expect(detectBacklog(g, settings())).toEqual({ depth: 21, announced: true })
    expect(detectBacklog(g, settings())).toEqual({ depth: 21, announced: false })
    const ev = g
      .store()
      .repo(FleetEvents)
      .list({ types: ['PROVISION_QUEUE_BACKLOG'] })
    expect(ev).toHaveLength(1)
  })

  it("announces the Ledger's cost anomalies and provider scores below 75, once each", async () => {
    const clock = manualClock()
    const g = testContext({ home, actor: 'guardian', config, clock })
    const cost = {
      anomalies: async () => [
        {
          period: 'month',
          periodStart: '2026-11-01T00:00:00.000Z',
          actualUsdCents: 130_000,
          projectedUsdCents: 100_000,
          overPct: 30,
          thresholdPct: 15,
          severity: 'warning' as const,
        },
      ],
    }
    expect(await detectCost(g, settings(), cost)).toEqual({ checked: true, anomalies: 1, announced: 1 })
    expect(await detectCost(g, settings(), cost)).toEqual({ checked: true, anomalies: 1, announced: 0 })
    expect(await detectCost(g, settings(), null)).toEqual({ checked: false, anomalies: 0, announced: 0 })
    let score = 71
    const scores = {
      scores: async () => [
        { provider: 'hostinger', score },
        { provider: 'hetzner', score: 96 },
      ],
    }
    expect((await detectProviderScores(g, settings(), scores)).degraded).toEqual(['hostinger'])
    await detectProviderScores(g, settings(), scores)
    score = 80
    clock.advance(3600_000)
    await detectProviderScores(g, settings(), scores)
    score = 70
    clock.advance(3600_000)
    await detectProviderScores(g, settings(), scores)
    const ev = g
      .store()
      .repo(FleetEvents)
      .list({ types: ['PROVIDER_DEGRADED', 'COST_ANOMALY'] })
    expect(ev.map((e) => [e.type, e.provider]).sort()).toEqual([
      ['COST_ANOMALY', null],
      ['PROVIDER_DEGRADED', 'hostinger'],
      ['PROVIDER_DEGRADED', 'hostinger'],
    ])
  })

  it('does not call a provider degraded for one or two bad instances', async () => {
    const g = as('guardian')
    addPair(g, { provider: 'hostinger', region: 'nl-ams', state: 'DEGRADED', healthScore: 10 })
    addPair(g, { provider: 'hostinger', region: 'nl-ams', state: 'DEGRADED', healthScore: 10 })
    const status = new FakeStatus(g.clock)
    expect((await detectProviders(g, settings(), status)).degraded).toEqual([])
    expect(status.fetched).toEqual([])
  })
})
