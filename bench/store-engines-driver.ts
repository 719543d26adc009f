/**
 * Driver of bench/store-engines.js (bundled by it with esbuild): the same fleet on SQLite and on
 * PostgreSQL, the same run. Modes:
 *
 *   seed HOME PAIRS PUSH_PAIRS   adds PUSH_PAIRS ACTIVE pairs labelled bench=push (HOME is already seeded
 *                                 with `clawops lab seed`), the pairs a config push targets
 *   push LOCATION HOME           times a rolling config push (batches of 50) to the bench=push instances
 *                                 of the store at LOCATION, in this process, the real pipeline, journal,
 *                                 audit and store, and for each instance the real gf-clawnode config
 *                                 commands on its own openclaw.json (test/support/config-push-fleet.ts)
 *   statements LOCATION N        per-statement cost: N primary-key reads and N single-row updates
 *
 * Prints one JSON line.
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DEFAULT_CONFIG } from '../src/lib/config/defaults.js'
import { pushConfig } from '../src/lib/config-push/push.js'
import { Context } from '../src/lib/context.js'
import type { Instance, Role } from '../src/lib/domain/instance.js'
import { InstanceHealth } from '../src/lib/store/instance-health.js'
import { Instances } from '../src/lib/store/instances.js'
import { Pairs } from '../src/lib/store/pairs.js'
import { isPostgresUrl } from '../src/lib/store/postgres.js'
import { Store } from '../src/lib/store/store.js'
import { FakeConfigFleet, userConfig } from '../test/support/config-push-fleet.js'
import { engine } from '../test/support/engine.js'

const [mode, a, b, c] = process.argv.slice(2)

function pushInstances(
  pairs: number,
  now: string,
): { pairs: { id: string; userId: string }[]; instances: Instance[] } {
  const out: Instance[] = []
  const ps: { id: string; userId: string }[] = []
  for (let p = 0; p < pairs; p++) {
    const pairId = `p-push-${String(p).padStart(4, '0')}`
    const userId = `u-push-${String(p).padStart(4, '0')}`
    ps.push({ id: pairId, userId })
    for (const role of ['primary', 'standby'] as Role[]) {
      const id = `i-push-${String(p).padStart(4, '0')}${role === 'primary' ? 'p' : 's'}`
      out.push({
        id,
        pairId,
        userId,
        provider: role === 'primary' ? 'hetzner' : 'vultr',
        region: role === 'primary' ? 'nbg1' : 'fra',
        tier: 'standard',
        role,
        state: 'ACTIVE',
        providerId: null,
        ip: null,
        tailscaleName: null,
        nodeId: `node-${id}`,
        labels: { bench: 'push' },
        healthScore: 100,
        lastHeartbeatAt: now,
        createdAt: now,
        updatedAt: now,
      })
    }
  }
  return { pairs: ps, instances: out }
}

if (mode === 'seed') {
  const store = Store.open(join(a!, 'fleet.db'))
  const now = new Date().toISOString()
  const { pairs, instances } = pushInstances(Number(c), now)
  store.tx(() => {
    store
      .repo(Pairs)
      .insertMany(pairs.map((p) => ({ ...p, labels: { bench: 'push' }, createdAt: now, updatedAt: now })))
    store.repo(Instances).insertMany(instances)
  })
  store.close()
  console.log(JSON.stringify({ pushPairs: pairs.length, pushInstances: instances.length }))
} else if (mode === 'push') {
  const location = a!
  const home = b!
  const fleet = new FakeConfigFleet(mkdtempSync(join(tmpdir(), 'clawops-bench-nodes-')))
  const config = structuredClone(DEFAULT_CONFIG)
  if (isPostgresUrl(location)) config.store = { url: location }
  const ctx = new Context({ home, env: {}, config, services: fleet.services() })
  const targets = ctx
    .store()
    .repo(Instances)
    .list({})
    .filter((i) => i.labels.bench === 'push')
  for (const [i, inst] of targets.entries()) fleet.add(inst.id, userConfig(i))
  const t0 = performance.now()
  const cpu0 = process.cpuUsage()
  const r = await pushConfig(
    ctx,
    engine,
    {
      format: 'merge',
      document: { agents: { defaults: { model: { primary: 'moonshot/kimi-k2.5' } } } },
      selector: 'bench=push',
      batchSize: 50,
      pauseMs: 0,
    },
    { yes: true },
  )
  const ms = performance.now() - t0
  const cpu = process.cpuUsage(cpu0)
  const rollout = (r as { rollout?: { counts?: { applied?: number } } }).rollout
  console.log(
    JSON.stringify({
      instances: targets.length,
      applied: rollout?.counts?.applied ?? null,
      ms: Math.round(ms),
      cpuMs: Math.round((cpu.user + cpu.system) / 1000),
    }),
  )
  await ctx.dispose()
} else if (mode === 'statements') {
  const store = Store.open(a!)
  const n = Number(b)
  const instances = store.repo(Instances)
  const health = store.repo(InstanceHealth)
  const ids = instances
    .list({})
    .slice(0, n)
    .map((i) => i.id)
  const time = (fn: (id: string, k: number) => void) => {
    for (const [k, id] of ids.slice(0, 100).entries()) fn(id, k)
    const t = performance.now()
    for (const [k, id] of ids.entries()) fn(id, k)
    return Math.round(((performance.now() - t) / ids.length) * 1000)
  }
  const set = (id: string, k: number) =>
    health.setInstanceHealth(id, { healthScore: k % 100, lastHeartbeatAt: null, state: 'ACTIVE' })
  const readUs = time((id) => health.instanceRow(id))
  const writeUs = time(set)
  // The same updates in one transaction (a sweep's writes): no commit per statement.
  const batchT = performance.now()
  store.tx(() => {
    for (const [k, id] of ids.entries()) set(id, k)
  })
  const batchUs = Math.round(((performance.now() - batchT) / ids.length) * 1000)
  store.close()
  console.log(JSON.stringify({ engine: store.engine, n: ids.length, readUs, writeUs, batchUs }))
} else {
  console.error('usage: store-engines-driver seed|push|statements …')
  process.exit(2)
}
