import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { DEFAULT_CONFIG } from '../../../src/lib/config/defaults.js'
import type { Config } from '../../../src/lib/config/schema.js'
import { AGENT_NAMES, type WatchSettings, watchSettings } from '../../../src/lib/config/watch-settings.js'
import type { Context } from '../../../src/lib/context.js'
import { Engine } from '../../../src/lib/engine/engine.js'
import type { OperationKind } from '../../../src/lib/engine/kind.js'
import { productionKinds } from '../../../src/lib/kinds.js'
import { AuditTrail } from '../../../src/lib/store/audit-trail.js'
import { Instances } from '../../../src/lib/store/instances.js'
import { Operations } from '../../../src/lib/store/operations.js'
import { Outbox } from '../../../src/lib/store/outbox.js'
import { listBackups } from '../../../src/lib/store-admin/backup.js'
import { WatchDaemon } from '../../../src/lib/watch/daemon.js'
import type { PresenceChange, PresenceSource, WatchDeps } from '../../../src/lib/watch/ports.js'
import { tempHome, testContext } from '../../support/context.js'
import { engine } from '../../support/engine.js'
import { onPostgres } from '../../support/store-engine.js'
import { addPair, FakeHooksGateway, FakeNodes, fakeDeps } from '../../support/watch-fakes.js'

const TOKEN = 'hooks-token'
let home: string
let nodes: FakeNodes
let gw: FakeHooksGateway
let config: Config
const daemons: WatchDaemon[] = []

class FakePresence implements PresenceSource {
  h: { change(c: PresenceChange): void; link(up: boolean): void } | null = null
  async start(h: { change(c: PresenceChange): void; link(up: boolean): void }) {
    this.h = h
    h.link(true)
  }
  async stop() {
    this.h = null
  }
  drop(instanceId: string) {
    this.h?.change({ instanceId, nodeId: null, state: 'disconnected', at: new Date() })
  }
}

function setup(
  o: {
    presence?: PresenceSource
    deps?: Partial<WatchDeps>
    settings?: Partial<WatchSettings>
    sleep?: (ms: number) => Promise<void>
  } = {},
) {
  const fakes = fakeDeps({
    nodes,
    hooks: { url: gw.hooksUrl, token: TOKEN },
    ...(o.sleep ? { sleep: o.sleep } : {}),
  })
  const ctx: Context = testContext({ home, config, services: fakes.services })
  const deps = { ...fakes, presence: o.presence ?? null, ...o.deps }
  const settings = { ...watchSettings(config), disconnectGraceMs: 50, ...o.settings }
  const daemon = new WatchDaemon(ctx, engine, deps, settings, {
    heal: true,
    listen: { host: '127.0.0.1', port: 0 },
    secrets: { current: null, previous: null },
    stopGraceMs: 200,
  })
  daemons.push(daemon)
  return { ctx, daemon }
}

async function until<T>(f: () => T | undefined | false, ms = 10_000): Promise<T> {
  const t0 = Date.now()
  for (;;) {
    const v = f()
    if (v) return v
    if (Date.now() - t0 > ms) throw new Error('timed out waiting')
    await new Promise((r) => setTimeout(r, 10))
  }
}

beforeEach(async () => {
  home = tempHome()
  nodes = new FakeNodes()
  config = { ...structuredClone(DEFAULT_CONFIG), watch: { heal: { waitSeconds: 1 } } }
  gw = await new FakeHooksGateway({ token: TOKEN, allowedAgentIds: [...AGENT_NAMES] }).start()
})

afterEach(async () => {
  for (const d of daemons.splice(0)) await d.stop()
  await gw.close()
})

describe('clawops watch', () => {
  it('--once: sweeps, heals as Guardian, and tells the agents what it did', async () => {
    const { ctx, daemon } = setup()
    const ok = addPair(ctx)
    const sick = addPair(ctx)
    nodes.set(sick.primary.id, { node: 'down' })
    const r = await daemon.runOnce()
    expect('swept' in r.sweep && r.sweep.transitions).toEqual([
      expect.objectContaining({ instanceId: sick.primary.id, to: 'DEGRADED' }),
    ])
    expect(r.heals).toEqual([
      expect.objectContaining({ instanceId: sick.primary.id, outcome: 'failed-over' }),
    ])
    expect(ctx.store().repo(Instances).get(sick.standby.id)).toMatchObject({
      role: 'primary',
      state: 'ACTIVE',
    })
    expect(ctx.store().repo(Instances).get(ok.primary.id)!.state).toBe('ACTIVE')
    const heal = ctx
      .store()
      .repo(Operations)
      .list()
      .find((o) => o.kind === 'heal')!
    expect(heal.actor).toBe('guardian')
    const told = gw.runs.map((x) => `${x.agentId}: ${x.message}`).join('\n')
    expect(told).toMatch(/guardian: [\s\S]*INSTANCE_DEGRADED/)
    expect(told).toMatch(/commander: [\s\S]*FAILOVER_COMPLETE/)
    expect(ctx.store().repo(Outbox).stats()).toMatchObject({ pending: 0, sending: 0 })
    // A second run repeats nothing.
    const before = gw.runs.length
    const again = await daemon.runOnce()
    expect(again.heals).toEqual([])
    expect(gw.runs.length).toBe(before)
  })

  it('leaves a pair a running operation holds to it (no state moved, no heal), and watches it again once that ends', async () => {
    const { ctx, daemon } = setup()
    const busy = addPair(ctx)
    // An in-place resize has the server off on purpose: the node does not answer.
    nodes.set(busy.primary.id, { node: 'down' })
    let release = () => {}
    const holding = new Promise<void>((r) => {
      release = r
    })
    let started = false
    const hold: OperationKind<{ pair: string }> = {
      kind: 'test.hold',
      action: 'instance.restart',
      parseParams: (raw) => raw as { pair: string },
      plan: (_c, p) => ({
        summary: `hold ${p.pair}`,
        targets: [p.pair],
        affectedUsers: 1,
        costDeltaMonthlyUsdCents: 0,
        steps: [{ name: 'hold', target: p.pair, input: {} }],
        locks: [`pair:${p.pair}`],
        facts: {},
      }),
      async runStep() {
        started = true
        await holding
        return {}
      },
    }
    const op = new Engine(productionKinds().add(hold.kind, hold)).mutate(
      testContext({ home, config }),
      hold,
      { pair: busy.pairId },
    )
    await until(() => started)
    const r = await daemon.runOnce()
    expect('swept' in r.sweep && r.sweep.transitions).toEqual([])
    expect(r.heals).toEqual([])
    expect(ctx.store().repo(Instances).get(busy.primary.id)!.state).toBe('ACTIVE')
    release()
    await op
    const after = await daemon.runOnce()
    expect('swept' in after.sweep && after.sweep.transitions).toEqual([
      expect.objectContaining({ instanceId: busy.primary.id, to: 'DEGRADED' }),
    ])
    expect(after.heals).toEqual([expect.objectContaining({ instanceId: busy.primary.id })])
  })

  it('detects a lost node from presence within seconds, fails over, and the event reaches Guardian', async () => {
    const presence = new FakePresence()
    const { ctx, daemon } = setup({ presence })
    const p = addPair(ctx)
    await daemon.start()
    await until(
      () =>
        ctx.store().repo(Instances).get(p.primary.id)!.healthScore === 100 && daemon.health().cycles === 1,
    )
    const t0 = Date.now()
    nodes.set(p.primary.id, { node: 'down' })
    presence.drop(p.primary.id)
    await until(() => daemon.detections.length > 0)
    const detected = Date.now() - t0
    await until(() => gw.runs.some((x) => x.agentId === 'guardian' && /INSTANCE_DEGRADED/.test(x.message)))
    const delivered = Date.now() - t0
    await until(() => ctx.store().repo(Instances).get(p.standby.id)!.role === 'primary')
    const failedOver = Date.now() - t0
    await until(() => gw.runs.some((x) => /FAILOVER_COMPLETE/.test(x.message)))
    expect(detected).toBeLessThan(10_000)
    expect(failedOver).toBeLessThan(30_000)
    expect(delivered - detected).toBeLessThan(5_000)
    const health = await fetch(`${daemon.url}/healthz`).then((r) => r.json())
    expect(health).toMatchObject({ ok: true, status: 'live', heal: true, gatewayLink: true })
    const summary = await daemon.stop()
    expect(summary).toMatchObject({ heals: 1, realtimeChecks: 1 })
    await expect(fetch(`${daemon.url}/healthz`)).rejects.toThrow()
  })

  it('ignores node disconnects while its own gateway link is down (a gateway restart is not a fleet outage)', async () => {
    const presence = new FakePresence()
    const { ctx, daemon } = setup({ presence })
    const p = addPair(ctx)
    await daemon.start()
    await until(() => daemon.health().cycles === 1)
    presence.h!.link(false)
    presence.drop(p.primary.id)
    await new Promise((r) => setTimeout(r, 300))
    expect(daemon.health()).toMatchObject({ ok: false, gatewayLink: false })
    expect(nodes.commandsFor(p.primary.id).filter((c) => c === 'vps.health')).toHaveLength(1)
  })

  it('reports a sweep it could not run and keeps the detectors going when the gateway is unreachable', async () => {
    const { ctx, daemon } = setup()
    addPair(ctx, { state: 'FAILED' }, { state: 'FAILED' })
    addPair(ctx, { state: 'DEGRADED' })
    nodes.gatewayDown = true
    const r = await daemon.runOnce()
    expect(r.sweep).toEqual({ skipped: expect.stringMatching(/cannot reach the gateway/) })
    // No heal starts without the gateway it needs for every step.
    expect(r.heals).toEqual([])
    expect(ctx.store().repo(Operations).list()).toEqual([])
    expect(r.pairsFailed).toBe(1)
    expect(gw.runs.some((x) => /PAIR_FAILED/.test(x.message))).toBe(true)
  })

  it('resumes a heal that a stopped watch left in its journal, and finishes the tree', async () => {
    const hang = new Promise<void>(() => {})
    const a = setup({ sleep: () => hang })
    const p = addPair(a.ctx)
    nodes.set(p.primary.id, { openclaw: 'down', restartFixes: false })
    const first = a.daemon.runOnce()
    await until(() =>
      a.ctx
        .store()
        .repo(Operations)
        .list()
        .find((o) => o.kind === 'heal' && o.state === 'running'),
    )
    await until(() => nodes.commandsFor(p.primary.id).includes('openclaw.restart'))
    void first
    // The first watch is gone (its process died); its lease runs out.
    a.ctx.store().db.prepare("UPDATE operations SET lease_until = '2000-01-01T00:00:00.000Z'").run()
    const b = setup()
    await b.daemon.start()
    await until(() =>
      b.ctx
        .store()
        .repo(Operations)
        .list()
        .find((o) => o.kind === 'heal' && o.state === 'done'),
    )
    expect(b.ctx.store().repo(Instances).get(p.standby.id)).toMatchObject({
      role: 'primary',
      state: 'ACTIVE',
    })
    expect(nodes.commandsFor(p.primary.id).filter((c) => c === 'openclaw.restart')).toHaveLength(1)
  })

  it.runIf(onPostgres())(
    'takes no file backup of a PostgreSQL store (the server’s own tools back it up)',
    async () => {
      const { ctx, daemon } = setup()
      addPair(ctx)
      await daemon.runOnce()
      expect(existsSync(join(home, 'backups'))).toBe(false)
      expect(ctx.store().repo(AuditTrail).query({ action: 'store.backup' })).toHaveLength(0)
      expect(String(daemon.health().problems)).not.toMatch(/backup/)
    },
  )

  // The backup and the damage mark are the SQLite file's.
  it.skipIf(onPostgres())(
    'backs the store up when one is due, and stops working on a store found damaged (/healthz says why)',
    async () => {
      const { ctx, daemon } = setup()
      addPair(ctx)
      await daemon.runOnce()
      const taken = listBackups(join(home, 'backups'))
      expect(taken).toHaveLength(1)
      await daemon.runOnce()
      expect(listBackups(join(home, 'backups'))).toHaveLength(1)
      expect(ctx.store().repo(AuditTrail).query({ action: 'store.backup' })).toHaveLength(1)

      writeFileSync(
        `${ctx.storePath}.damaged`,
        JSON.stringify({ detectedAt: 'now', reason: 'a bad page', pid: 1 }),
      )
      await expect(daemon.runOnce()).rejects.toMatchObject({ code: 'STORE_CORRUPT' })
      expect(daemon.health()).toMatchObject({
        ok: false,
        problems: expect.arrayContaining(['fleet store damaged: a bad page']),
      })
    },
  )
})
