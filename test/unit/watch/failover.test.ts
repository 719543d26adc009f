import { beforeEach, describe, expect, it } from 'vitest'
import type { Context } from '../../../src/lib/context.js'
import { UserError } from '../../../src/lib/errors.js'
import failoverKind from '../../../src/lib/heal/failover.js'
import { blastRadiusExceeded } from '../../../src/lib/policy/rules.js'
import { Failovers } from '../../../src/lib/store/failovers.js'
import { FleetEvents } from '../../../src/lib/store/fleet-events.js'
import { Instances } from '../../../src/lib/store/instances.js'
import { ReprovisionQueue } from '../../../src/lib/store/reprovision-queue.js'
import { tempHome, testContext } from '../../support/context.js'
import { engine } from '../../support/engine.js'
import { addPair, FakeNodes, fakeDeps } from '../../support/watch-fakes.js'

let home: string
let nodes: FakeNodes
const as = (actor: string): Context => {
  const ctx = testContext({ home, actor, services: fakeDeps({ nodes }).services })
  return ctx
}
const inst = (ctx: Context, id: string) => ctx.store().repo(Instances).get(id)!

async function expectCode(p: Promise<unknown>, code: string): Promise<UserError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(UserError)
  expect((err as UserError).code).toBe(code)
  return err as UserError
}

beforeEach(() => {
  home = tempHome()
  nodes = new FakeNodes()
})

describe('failover', () => {
  it('promotes the standby, quarantines the old primary and queues a replacement on its provider', async () => {
    const g = as('guardian')
    const p = addPair(g, { state: 'FAILED', healthScore: 0 })
    nodes.set(p.primary.id, { node: 'down' })
    const r = await engine.mutate(g, failoverKind, { pairs: [p.pairId], reason: 'test' })
    expect(r.status).toBe('done')
    expect(inst(g, p.standby.id)).toMatchObject({ role: 'primary', state: 'ACTIVE' })
    expect(inst(g, p.primary.id)).toMatchObject({ role: 'standby', state: 'QUARANTINED' })
    expect(g.store().repo(ReprovisionQueue).list()).toEqual([
      expect.objectContaining({
        provider: 'hetzner',
        region: 'nbg1',
        tier: 'standard',
        state: 'waiting',
        reason: 'test',
      }),
    ])
    expect(g.store().repo(Failovers).list()).toEqual([
      expect.objectContaining({
        fromInstanceId: p.primary.id,
        toInstanceId: p.standby.id,
        state: 'complete',
      }),
    ])
    const ev = g
      .store()
      .repo(FleetEvents)
      .list({ types: ['FAILOVER_COMPLETE'] })
    expect(ev).toHaveLength(1)
    // The standby's OpenClaw was checked before it took over.
    expect(nodes.commandsFor(p.standby.id)).toContain('openclaw.health')
  })

  it('starts OpenClaw on the standby when it was not running, and fails cleanly when it does not come up', async () => {
    const g = as('guardian')
    const ok = addPair(g)
    nodes.set(ok.standby.id, { openclaw: 'down', restartFixes: true })
    expect((await engine.mutate(g, failoverKind, { pairs: [ok.pairId] })).status).toBe('done')
    expect(nodes.commandsFor(ok.standby.id)).toContain('openclaw.start')

    const bad = addPair(g, { state: 'FAILED' })
    nodes.set(bad.standby.id, { openclaw: 'down', restartFixes: false })
    const r = await engine.mutate(g, failoverKind, { pairs: [bad.pairId] })
    expect(r.status).toBe('failed')
    expect(inst(g, bad.standby.id)).toMatchObject({ role: 'standby', state: 'FAILED' })
    expect(inst(g, bad.primary.id)).toMatchObject({ role: 'primary', state: 'FAILED' })
    expect(
      g
        .store()
        .repo(FleetEvents)
        .list({ types: ['PAIR_FAILED'] }),
    ).toHaveLength(1)
  })

  it('is denied when the standby is not ACTIVE, and changes nothing', async () => {
    const g = as('guardian')
    const p = addPair(g, {}, { state: 'DEGRADED' })
    const err = await expectCode(engine.mutate(g, failoverKind, { pairs: [p.pairId] }), 'POLICY_DENIED')
    expect((err.details as { rules: string[] }).rules).toContain('standby-active-before-failover')
    expect(inst(g, p.standby.id).role).toBe('standby')
    expect(nodes.calls).toEqual([])
  })

  it('stops a failover storm: past the share of a region it waits for a confirmation, which the operator gives', async () => {
    const g = as('guardian')
    const pairs = Array.from({ length: 10 }, () => addPair(g))
    for (const p of pairs.slice(0, 2))
      expect((await engine.mutate(g, failoverKind, { pairs: [p.pairId] })).status).toBe('done')
    const third = pairs[2]!
    const err = await expectCode(
      engine.mutate(g, failoverKind, { pairs: [third.pairId] }),
      'CONFIRMATION_REQUIRED',
    )
    const d = err.details as { planId: string; findings: { rule: string; message: string }[] }
    expect(d.findings.map((f) => f.rule)).toContain('failover-blast-radius')
    expect(d.findings.find((f) => f.rule === 'failover-blast-radius')!.message).toMatch(
      /3 of 10 pairs in region hetzner\/nbg1/,
    )
    expect(inst(g, third.standby.id).role).toBe('standby')
    // Guardian cannot confirm its own plan; the operator (or Commander) can.
    await expectCode(
      engine.mutate(g, failoverKind, { pairs: [third.pairId] }, { confirm: d.planId }),
      'POLICY_DENIED',
    )
    const r = await engine.mutate(
      as('operator'),
      failoverKind,
      { pairs: [third.pairId] },
      { confirm: d.planId },
    )
    expect(r.status).toBe('done')
  })

  it('fails over many pairs in one confirmed plan (a regional outage), in parallel', async () => {
    const o = as('operator')
    const pairs = Array.from({ length: 8 }, () => addPair(o, { state: 'FAILED' }))
    for (const p of pairs) nodes.set(p.primary.id, { node: 'down', latencyMs: 20 })
    const err = await expectCode(
      engine.mutate(o, failoverKind, { pairs: pairs.map((p) => p.pairId) }),
      'CONFIRMATION_REQUIRED',
    )
    const planId = (err.details as { planId: string }).planId
    const r = await engine.mutate(o, failoverKind, { pairs: pairs.map((p) => p.pairId) }, { confirm: planId })
    expect(r.status).toBe('done')
    if (r.status === 'dry-run') throw new Error('unexpected')
    expect(r.operation.counts.done).toBe(8)
    for (const p of pairs) expect(inst(o, p.standby.id)).toMatchObject({ role: 'primary', state: 'ACTIVE' })
    expect(o.store().repo(ReprovisionQueue).depth()).toBe(8)
  })

  it('resumes a failover its process left mid-step from the checkpoint, without promoting twice', async () => {
    const g = as('guardian')
    const p = addPair(g, { state: 'FAILED' })
    // The old primary's stop never answers: the first process is stuck after the promotion, as if it died there.
    const real = nodes.invoke.bind(nodes)
    let hang = true
    nodes.invoke = (t, c, params) =>
      hang && t.id === p.primary.id && c === 'openclaw.stop' ? new Promise(() => {}) : real(t, c, params)
    void engine.mutate(g, failoverKind, { pairs: [p.pairId] })
    await new Promise((r) => setTimeout(r, 200))
    expect(inst(g, p.standby.id)).toMatchObject({ role: 'primary', state: 'ACTIVE' })
    expect(inst(g, p.primary.id).state).toBe('FAILED')
    // The dead process's lease runs out; another clawops resumes the journaled operation.
    g.store().db.prepare("UPDATE operations SET lease_until = '2000-01-01T00:00:00.000Z'").run()
    hang = false
    const other = as('guardian')
    const resumed = await engine.resume(other, {})
    expect(resumed.operations.map((o) => [o.kind, o.state])).toEqual([['failover', 'done']])
    expect(inst(other, p.primary.id)).toMatchObject({ role: 'standby', state: 'QUARANTINED' })
    expect(nodes.commandsFor(p.standby.id).filter((c) => c === 'openclaw.health')).toHaveLength(1)
    expect(other.store().repo(Failovers).list()).toEqual([expect.objectContaining({ state: 'complete' })])
    expect(other.store().repo(ReprovisionQueue).depth()).toBe(1)
  })

  it('finishes a promotion its process died inside (standby STANDBY_PROMOTING) instead of leaving it half-done', async () => {
    const g = as('guardian')
    const p = addPair(g, { state: 'FAILED' })
    // The standby's health check never answers: the process is stuck after claiming the promotion.
    const real = nodes.invoke.bind(nodes)
    let hang = true
    nodes.invoke = (t, c, params) =>
      hang && t.id === p.standby.id && c === 'openclaw.health' ? new Promise(() => {}) : real(t, c, params)
    void engine.mutate(g, failoverKind, { pairs: [p.pairId] })
    await new Promise((r) => setTimeout(r, 200))
    expect(inst(g, p.standby.id)).toMatchObject({ role: 'standby', state: 'STANDBY_PROMOTING' })
    g.store().db.prepare("UPDATE operations SET lease_until = '2000-01-01T00:00:00.000Z'").run()
    hang = false
    const resumed = await engine.resume(as('guardian'), {})
    expect(resumed.operations.map((o) => [o.kind, o.state])).toEqual([['failover', 'done']])
    expect(inst(g, p.standby.id)).toMatchObject({ role: 'primary', state: 'ACTIVE' })
    expect(inst(g, p.primary.id)).toMatchObject({ role: 'standby', state: 'QUARANTINED' })
    expect(g.store().repo(Failovers).list()).toEqual([expect.objectContaining({ state: 'complete' })])
  })
})

describe('the blast-radius rule', () => {
  const fact = (pairs: number, would: number) => ({
    maxShare: 0.2,
    minFailovers: 3,
    windowMinutes: 15,
    scopes: [{ scope: 'region' as const, name: 'hetzner/nbg1', pairs, wouldFailOver: would }],
  })
  it('lets small numbers through and stops a share above the limit', () => {
    expect(blastRadiusExceeded(fact(10, 2))).toEqual([])
    expect(blastRadiusExceeded(fact(100, 20))).toEqual([])
    expect(blastRadiusExceeded(fact(100, 21))).toHaveLength(1)
    expect(blastRadiusExceeded(fact(4, 3))).toHaveLength(1)
  })
})
