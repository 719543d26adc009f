import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { DEFAULT_CONFIG } from '../../../src/lib/config/defaults.js'
import type { Config } from '../../../src/lib/config/schema.js'
import { AGENT_NAMES, watchSettings } from '../../../src/lib/config/watch-settings.js'
import type { Context } from '../../../src/lib/context.js'
import type { EventType, Severity } from '../../../src/lib/domain/event.js'
import { emitEvent } from '../../../src/lib/events/emit.js'
import { FleetEvents } from '../../../src/lib/store/fleet-events.js'
import { Outbox } from '../../../src/lib/store/outbox.js'
import { Silences } from '../../../src/lib/store/silences.js'
import { Store } from '../../../src/lib/store/store.js'
import { Deliverer } from '../../../src/lib/watch/deliverer.js'
import { bundleChild } from '../../support/bundle-child.js'
import { manualClock, testContext } from '../../support/context.js'
import { FakeHooksGateway } from '../../support/watch-fakes.js'

const TOKEN = 'hooks-token-for-tests'
let ctx: Context
let clock: ReturnType<typeof manualClock>
let gw: FakeHooksGateway
let config: Config

function emit(
  type: EventType,
  key: string,
  o: { severity?: Severity; provider?: string; region?: string; instanceId?: string } = {},
) {
  return emitEvent(
    ctx.store(),
    watchSettings(config),
    {
      type,
      severity: o.severity ?? 'warning',
      provider: o.provider ?? 'hetzner',
      region: o.region ?? 'nbg1',
      instanceId: o.instanceId ?? 'i-1',
      summary: `${type} ${key}`,
      suggest: ['clawops heal i-1 --json'],
      dedupeKey: key,
    },
    ctx.now(),
  )
}

function deliverer(
  o: { store?: Store; token?: string; afterPost?: (id: string) => void; verifier?: boolean } = {},
) {
  return new Deliverer({
    store: o.store ?? ctx.store(),
    settings: watchSettings(config),
    hooks: { url: gw.hooksUrl, token: o.token ?? TOKEN },
    verifier: o.verifier ? gw.verifier() : null,
    clock,
    ...(o.afterPost ? { afterPost: o.afterPost } : {}),
  })
}

beforeEach(async () => {
  clock = manualClock()
  config = { ...structuredClone(DEFAULT_CONFIG), watch: { delivery: { ratePerMinute: 2 } } }
  ctx = testContext({ clock, config })
  gw = await new FakeHooksGateway({ token: TOKEN, allowedAgentIds: [...AGENT_NAMES] }).start()
})

afterEach(async () => {
  await gw.close()
})

describe('delivery into agent sessions', () => {
  it('posts one agent turn per target into its persistent session, with the hooks token and the delivery id as Idempotency-Key', async () => {
    emit('PAIR_FAILED', 'PAIR_FAILED:p-1@t0', { severity: 'critical' })
    const r = await deliverer().deliverDue()
    expect(r).toMatchObject({ deliveries: 2, events: 2, failed: [] })
    expect(gw.runs.map((x) => [x.agentId, x.sessionKey, x.sessionMode, x.deliver]).sort()).toEqual([
      ['commander', 'clawops:commander', 'persistent', false],
      ['guardian', 'clawops:guardian', 'persistent', false],
    ])
    const run = gw.runs[0]!
    expect(run.message).toMatch(/\[CRITICAL\] PAIR_FAILED: PAIR_FAILED PAIR_FAILED:p-1@t0/)
    expect(run.message).toContain('next: clawops heal i-1 --json')
    expect(run.message).toContain(`clawops-delivery ${run.idempotencyKey}`)
    expect(ctx.store().repo(Outbox).stats()).toMatchObject({ pending: 0, sending: 0, delivered: 2 })
  })

  it('queues a condition once per target however often it is emitted', async () => {
    expect(emit('INSTANCE_DEGRADED', 'k1').queued).toEqual(['guardian'])
    expect(emit('INSTANCE_DEGRADED', 'k1')).toMatchObject({
      eventId: null,
      queued: [],
      duplicates: ['guardian'],
    })
    await deliverer().deliverDue()
    expect(emit('INSTANCE_DEGRADED', 'k1').duplicates).toEqual(['guardian'])
    await deliverer().deliverDue()
    expect(gw.runs).toHaveLength(1)
    expect(ctx.store().repo(FleetEvents).list()).toHaveLength(1)
  })

  it('respects silences, at queueing and at delivery, but never hides a critical event behind a broad silence', async () => {
    const silences = ctx.store().repo(Silences)
    const base = { instanceId: null, reason: 'test', createdBy: 'guardian', createdAt: ctx.now() }
    const until = new Date(clock().getTime() + 30 * 60_000).toISOString()
    silences.insert({
      ...base,
      id: 'sil-region',
      provider: 'hetzner',
      region: 'nbg1',
      eventType: null,
      expiresAt: until,
    })
    expect(emit('INSTANCE_DEGRADED', 'a').silenced).toEqual([{ target: 'guardian', silenceId: 'sil-region' }])
    expect(emit('INSTANCE_DEGRADED', 'b', { provider: 'vultr', region: 'ams' }).queued).toEqual(['guardian'])
    expect(emit('PAIR_FAILED', 'c', { severity: 'critical' }).queued).toEqual(['guardian', 'commander'])
    // A silence added after an event was queued still holds it back at delivery.
    silences.insert({
      ...base,
      id: 'sil-late',
      provider: 'vultr',
      region: null,
      eventType: null,
      expiresAt: until,
    })
    const r = await deliverer().deliverDue()
    expect(r.silenced).toBe(1)
    expect(gw.runs.map((x) => x.message).join('\n')).not.toMatch(/INSTANCE_DEGRADED/)
    expect(gw.runs.map((x) => x.message).join('\n')).toMatch(/PAIR_FAILED c/)
    // Naming the event type does silence a critical event.
    silences.insert({
      ...base,
      id: 'sil-type',
      provider: 'hetzner',
      region: null,
      eventType: 'PAIR_FAILED',
      expiresAt: until,
    })
    expect(emit('PAIR_FAILED', 'd', { severity: 'critical' }).silenced).toHaveLength(2)
    // Expired silences do nothing.
    clock.advance(31 * 60_000)
    expect(emit('INSTANCE_DEGRADED', 'e').queued).toEqual(['guardian'])
  })

  it('limits deliveries per agent and batches what waits, without holding back a critical event', async () => {
    emit('INSTANCE_DEGRADED', 'e1')
    await deliverer().deliverDue()
    emit('INSTANCE_DEGRADED', 'e2')
    await deliverer().deliverDue()
    emit('INSTANCE_DEGRADED', 'e3')
    emit('INSTANCE_DEGRADED', 'e4')
    const held = await deliverer().deliverDue()
    expect(held.deliveries).toBe(0)
    expect(held.deferred).toEqual([{ target: 'guardian', events: 2, until: expect.any(String) }])
    expect(gw.runs).toHaveLength(2)
    clock.advance(61_000)
    const later = await deliverer().deliverDue()
    expect(later).toMatchObject({ deliveries: 1, events: 2 })
    expect(gw.runs.at(-1)!.message).toMatch(/2 events/)
    emit('INSTANCE_DEGRADED', 'e5')
    emit('PAIR_FAILED', 'e6', { severity: 'critical' })
    await deliverer().deliverDue()
    // The critical event went out at once (over the limit) and took the waiting one along, most urgent first.
    const last = gw.runs.filter((x) => x.agentId === 'guardian').at(-1)!.message
    expect(last.indexOf('PAIR_FAILED')).toBeLessThan(last.indexOf('INSTANCE_DEGRADED e5'))
  })

  it('retries when the gateway is down or busy and loses nothing; a restarted gateway gets it once', async () => {
    emit('INSTANCE_DEGRADED', 'k')
    gw.failNext(503)
    const first = await deliverer().deliverDue()
    expect(first.failed).toEqual([expect.objectContaining({ status: 503 })])
    expect(ctx.store().repo(Outbox).stats()).toMatchObject({ sending: 1, delivered: 0 })
    const port = Number(new URL(gw.url).port)
    await gw.close()
    clock.advance(5_000)
    const down = await deliverer().deliverDue()
    expect(down.failed[0]!.error).toMatch(/gateway unreachable/)
    gw = await new FakeHooksGateway({ token: TOKEN }).start(port)
    clock.advance(5_000)
    const ok = await deliverer().deliverDue()
    expect(ok).toMatchObject({ deliveries: 1, events: 1 })
    expect(gw.runs).toHaveLength(1)
  })

  it('keeps events a misconfigured gateway refuses (401, 400) and retries them slowly', async () => {
    emit('INSTANCE_DEGRADED', 'k')
    const bad = await deliverer({ token: 'wrong' }).deliverDue()
    expect(bad.failed).toEqual([
      expect.objectContaining({ status: 401, error: expect.stringMatching(/hooks token/) }),
    ])
    expect(bad.failed[0]!.error).not.toContain('wrong')
    const d = ctx.store().repo(Outbox).unsent()[0]!
    expect(Date.parse(d.nextAttemptAt) - clock().getTime()).toBe(60_000)
    clock.advance(60_000)
    expect((await deliverer().deliverDue()).deliveries).toBe(1)
    const gw2 = await new FakeHooksGateway({ token: TOKEN, allowedSessionKeyPrefixes: ['hook:'] }).start()
    emit('INSTANCE_DEGRADED', 'k2')
    const refused = await new Deliverer({
      store: ctx.store(),
      settings: watchSettings(config),
      hooks: { url: gw2.hooksUrl, token: TOKEN },
      verifier: null,
      clock,
    }).deliverDue()
    await gw2.close()
    expect(refused.failed).toEqual([
      expect.objectContaining({ status: 400, error: expect.stringMatching(/sessionKey must start/) }),
    ])
    expect(ctx.store().repo(Outbox).stats().sending).toBe(1)
  })
})

describe('exactly once across restarts', () => {
  const crash = () => {
    throw new Error('process died after the POST, before recording it')
  }

  it('replays the same request after a crash; the gateway recognises the key and does not run it again', async () => {
    emit('INSTANCE_DEGRADED', 'k')
    await expect(deliverer({ afterPost: crash }).deliverDue()).rejects.toThrow(/process died/)
    expect(gw.runs).toHaveLength(1)
    const unsent = ctx.store().repo(Outbox).unsent()
    expect(unsent.map((d) => d.attempts)).toEqual([1])
    // A new watch process: its own store connection, no memory of the old one.
    const store = Store.open(ctx.storeLocation(), { clock })
    const next = deliverer({ store })
    await next.recover()
    const r = await next.deliverDue()
    store.close()
    expect(r.deliveries).toBe(1)
    expect(gw.runs).toHaveLength(1)
    // Two accepted answers for one key: the dispatch, then the replay of the same run.
    expect(gw.requests.map((x) => [x.status, x.idempotencyKey])).toEqual([
      [200, unsent[0]!.id],
      [200, unsent[0]!.id],
    ])
    expect(ctx.store().repo(Outbox).stats()).toMatchObject({ sending: 0, pending: 0, delivered: 1 })
    expect(ctx.store().repo(Outbox).delivery(unsent[0]!.id)!.runId).toBe(gw.runs[0]!.runId)
  })

  it('asks the session transcript when the gateway restarted inside the window too', async () => {
    emit('INSTANCE_DEGRADED', 'k')
    await expect(deliverer({ afterPost: crash }).deliverDue()).rejects.toThrow()
    gw.restart()
    const next = deliverer({ verifier: true })
    expect(await next.recover()).toEqual({ unsent: 1, confirmed: 1 })
    await next.deliverDue()
    expect(gw.runs).toHaveLength(1)
    expect(ctx.store().repo(Outbox).stats()).toMatchObject({ sending: 0, delivered: 1 })
  })

  it('without a verifier, a gateway restart inside the window is the one case that runs twice', async () => {
    emit('INSTANCE_DEGRADED', 'k')
    await expect(deliverer({ afterPost: crash }).deliverDue()).rejects.toThrow()
    gw.restart()
    await deliverer().deliverDue()
    expect(gw.runs).toHaveLength(2)
  })
})

describe('a delivering process killed while the gateway holds its answer', () => {
  let child: string
  beforeAll(async () => {
    child = await bundleChild(join(import.meta.dirname, '../../support/deliver-child.ts'))
  })

  it('is delivered exactly once after the next process recovers', async () => {
    emit('PAIR_FAILED', 'killed', { severity: 'critical' })
    ctx.close()
    const held: (() => void)[] = []
    const killedAt = new Promise<void>((resolve) => {
      const p = spawn(process.execPath, [child, ctx.storeLocation(), gw.hooksUrl, TOKEN], {
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      const onHeld = (release: () => void) => {
        held.push(release)
        if (held.length === 1) p.kill('SIGKILL')
      }
      gw.holdNext(onHeld)
      gw.holdNext(onHeld)
      p.on('exit', () => resolve())
    })
    await killedAt
    gw.clearHolds()
    for (const release of held) release()
    expect(gw.runs.length).toBeGreaterThanOrEqual(1)
    const dispatchedBefore = gw.runs.length
    const store = Store.open(ctx.storeLocation())
    const next = new Deliverer({
      store,
      settings: watchSettings(config),
      hooks: { url: gw.hooksUrl, token: TOKEN },
      verifier: null,
      clock: () => new Date(),
    })
    await next.recover()
    await next.deliverDue()
    const stats = store.repo(Outbox).stats()
    store.close()
    expect(stats).toMatchObject({ pending: 0, sending: 0, delivered: 2 })
    // Two targets (guardian, commander): each run exists exactly once, whichever got out before the kill.
    expect(gw.runs).toHaveLength(2)
    expect(dispatchedBefore).toBeLessThanOrEqual(2)
    expect(new Set(gw.runs.map((r) => r.idempotencyKey)).size).toBe(2)
  })
})
