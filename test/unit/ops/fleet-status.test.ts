import { describe, expect, it } from 'vitest'
import { monthlyUsdCents } from '../../../src/lib/domain/catalog.js'
import type { Instance } from '../../../src/lib/domain/instance.js'
import { fleetStatus } from '../../../src/lib/fleet/status.js'
import { Instances } from '../../../src/lib/store/instances.js'
import { Pairs } from '../../../src/lib/store/pairs.js'
import { testContext } from '../../support/context.js'

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
})
