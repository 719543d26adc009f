/**
 * The process bench/watch.js measures (bundled from src/ by esbuild, so it runs the code in src/):
 *
 *   sweep   <home> <pairs> <latencyMs> <concurrency>
 *     Seeds a lab fleet, then runs what `clawops watch` runs per cycle (sweep, detectors, delivery)
 *     with an in-process gf-clawnode fake (test/support/watch-fakes.ts, the documented payloads) that
 *     answers every node.invoke after `latencyMs`. Reports the cycle time and the process RSS.
 *
 *   latency <home> <trials>
 *     A running watch daemon (--heal) with default settings, a presence source and a fake
 *     /hooks/agent over real HTTP. Per trial a primary's node drops: time to detection (DEGRADED),
 *     to the event accepted by the gateway, to failover complete.
 */
import { writeSync } from 'node:fs'
import { watchSettings } from '../src/lib/config/watch-settings.js'
import { Context } from '../src/lib/context.js'
import { seedFleet } from '../src/lib/lab/seed.js'
import { Instances } from '../src/lib/store/instances.js'
import { WatchDaemon } from '../src/lib/watch/daemon.js'
import type { PresenceChange, PresenceSource } from '../src/lib/watch/ports.js'
import { engine } from '../test/support/engine.js'
import { FakeHooksGateway, FakeNodes, fakeDeps } from '../test/support/watch-fakes.js'

const [mode, home, a, b, c] = process.argv.slice(2)
const out = (o: unknown) => writeSync(1, `${JSON.stringify(o)}\n`)

let peak = 0
const sample = setInterval(() => {
  peak = Math.max(peak, process.memoryUsage().rss)
}, 25)

if (mode === 'seed') {
  const ctx = new Context({ home, actor: 'operator', env: {} })
  seedFleet(ctx, { pairs: Number(a), seed: 11, replace: true })
  ctx.close()
  out({ mode, pairs: Number(a) })
} else if (mode === 'sweep') {
  const pairs = Number(a)
  const latencyMs = Number(b)
  const concurrency = Number(c)
  const baseline = process.memoryUsage().rss
  const nodes = new FakeNodes({ record: false, defaults: { latencyMs } })
  const gw = await new FakeHooksGateway({ token: 't' }).start()
  const fakes = fakeDeps({ nodes, hooks: { url: gw.hooksUrl, token: 't' } })
  const run = new Context({ home, actor: 'guardian', env: {}, services: fakes.services })
  const settings = { ...watchSettings(run.config()), concurrency }
  const daemon = new WatchDaemon(run, engine, fakes, settings, {
    heal: false,
    listen: null,
    secrets: { current: null, previous: null },
  })
  const mem = () =>
    Object.fromEntries(Object.entries(process.memoryUsage()).map(([k, v]) => [k, Math.round(v / 2 ** 20)]))
  if (process.env.BENCH_DEBUG) out({ before: mem() })
  const t0 = performance.now()
  const r = await daemon.runOnce()
  if (process.env.BENCH_DEBUG) {
    out({ after: mem() })
    ;(globalThis as { gc?: () => void }).gc?.()
    out({ afterGc: mem() })
  }
  const ms = performance.now() - t0
  const second = performance.now()
  await daemon.runOnce()
  const ms2 = performance.now() - second
  peak = Math.max(peak, process.memoryUsage().rss)
  out({
    mode,
    pairs,
    instances: 'swept' in r.sweep ? r.sweep.swept : 0,
    latencyMs,
    concurrency,
    firstCycleMs: Math.round(ms),
    secondCycleMs: Math.round(ms2),
    sweepMs: 'swept' in r.sweep ? r.sweep.durationMs : null,
    nodeCalls: nodes.count,
    maxInFlight: nodes.maxInFlight,
    baselineRssMb: Math.round(baseline / 2 ** 20),
    peakRssMb: Math.round(peak / 2 ** 20),
    heapUsedMb: Math.round(process.memoryUsage().heapUsed / 2 ** 20),
  })
  await gw.close()
} else if (mode === 'latency') {
  const trials = Number(a)
  const ctx = new Context({ home, actor: 'operator', env: {} })
  seedFleet(ctx, { pairs: Math.max(50, trials * 10), seed: 12, replace: true })
  ctx.close()
  const nodes = new FakeNodes()
  const fakes = fakeDeps({ nodes })
  const run = new Context({ home, actor: 'guardian', env: {}, services: fakes.services })
  for (const i of run.store().repo(Instances).list()) nodes.set(i.id, { latencyMs: 5 })
  let handlers: { change(c: PresenceChange): void; link(up: boolean): void } | null = null
  const presence: PresenceSource = {
    async start(h) {
      handlers = h
      h.link(true)
    },
    async stop() {},
  }
  const gw = await new FakeHooksGateway({ token: 't' }).start()
  const deps = { ...fakeDeps({ nodes, hooks: { url: gw.hooksUrl, token: 't' } }), presence }
  const daemon = new WatchDaemon(run, engine, deps, watchSettings(run.config()), {
    heal: true,
    listen: null,
    secrets: { current: null, previous: null },
  })
  await daemon.start()
  const until = async (f: () => boolean) => {
    const t = performance.now()
    while (!f()) {
      if (performance.now() - t > 60_000) throw new Error('timed out')
      await new Promise((r) => setTimeout(r, 5))
    }
    return performance.now()
  }
  await until(() => (daemon.health().cycles as number) >= 1)
  const healthy = run
    .store()
    .repo(Instances)
    .list({ states: ['ACTIVE'], roles: ['primary'] })
    .filter((i) => {
      const partner = run
        .store()
        .repo(Instances)
        .list({ pairId: i.pairId })
        .find((m) => m.id !== i.id)
      return partner?.state === 'ACTIVE'
    })
  const results = []
  for (const victim of healthy.slice(0, trials)) {
    const partner = run
      .store()
      .repo(Instances)
      .list({ pairId: victim.pairId })
      .find((m) => m.id !== victim.id)!
    const runsBefore = gw.runs.length
    const t0 = performance.now()
    nodes.set(victim.id, { node: 'down' })
    handlers!.change({ instanceId: victim.id, nodeId: null, state: 'disconnected', at: new Date() })
    const detected = await until(() => daemon.detections.some((d) => d.instanceId === victim.id))
    const accepted = await until(() =>
      gw.runs
        .slice(runsBefore)
        .some(
          (r: { message: string }) => r.message.includes(victim.id) && /INSTANCE_DEGRADED/.test(r.message),
        ),
    )
    const failedOver = await until(() => run.store().repo(Instances).get(partner.id)!.role === 'primary')
    results.push({
      detectionMs: Math.round(detected - t0),
      eventAcceptedAfterDetectionMs: Math.round(accepted - detected),
      failoverMs: Math.round(failedOver - t0),
    })
  }
  await daemon.stop()
  await gw.close()
  out({ mode, graceMs: watchSettings(run.config()).disconnectGraceMs, trials: results })
}
clearInterval(sample)
process.exit(0)
