/** The functions lifecycle operations call (open, resize, close billing) and the activity record. */
import { describe, expect, it } from 'vitest'
import type { Instance } from '../../../src/lib/domain/instance.js'
import { seedFleet } from '../../../src/lib/lab/seed.js'
import { costReport } from '../../../src/lib/ledger/cost-report.js'
import { BillingSegments, closeBilling, openBilling, resizeBilling } from '../../../src/lib/store/billing.js'
import { Instances } from '../../../src/lib/store/instances.js'
import { Pairs } from '../../../src/lib/store/pairs.js'
import { recordUserActivity, UserActivity } from '../../../src/lib/store/user-activity.js'
import { testContext } from '../../support/context.js'

const server: Instance = {
  id: 'i-1',
  pairId: 'p-1',
  userId: 'u-1',
  provider: 'hetzner',
  region: 'nbg1',
  tier: 'nano',
  role: 'primary',
  state: 'ACTIVE',
  providerId: null,
  ip: null,
  tailscaleName: null,
  nodeId: null,
  labels: {},
  healthScore: null,
  lastHeartbeatAt: null,
  createdAt: '2026-11-01T00:00:00.000Z',
  updatedAt: '2026-11-01T00:00:00.000Z',
}

describe('billing segments', () => {
  it('opens at create, re-prices at a resize, closes at delete', () => {
    const ctx = testContext({ clock: () => new Date('2026-12-01T00:00:00Z') })
    const store = ctx.store()
    store.repo(Pairs).insert({
      id: 'p-1',
      userId: 'u-1',
      labels: {},
      createdAt: server.createdAt,
      updatedAt: server.createdAt,
    })
    store.repo(Instances).insert(server)
    openBilling(store, server, '2026-11-01T00:00:00.000Z')
    expect(() => openBilling(store, server, '2026-11-02T00:00:00.000Z')).toThrow(/UNIQUE|unique constraint/)
    const after = resizeBilling(store, { ...server, tier: 'standard' }, '2026-11-16T00:00:00.000Z')
    expect(after).toMatchObject({
      plan: 'cx33',
      monthlyMinor: 749,
      hourlyMicros: 11_900,
      openReason: 'resize from nano',
    })
    closeBilling(store, server.id, '2026-11-20T00:00:00.000Z')
    const segs = store.repo(BillingSegments).forInstance(server.id)
    expect(segs.map((s) => [s.plan, s.start, s.end, s.closeReason])).toEqual([
      ['cx23', '2026-11-01T00:00:00.000Z', '2026-11-16T00:00:00.000Z', 'resize to standard'],
      ['cx33', '2026-11-16T00:00:00.000Z', '2026-11-20T00:00:00.000Z', 'delete'],
    ])
    // 360 h x 0.0072 = 2.592 -> 259; 96 h x 0.0119 = 1.1424 -> 114; in USD 279.72 -> 280 and 123.12 -> 123
    expect(costReport(ctx, { period: 'month', previous: true }).actualUsdCents).toBe(280 + 123)
    expect(closeBilling(store, server.id, '2026-11-21T00:00:00.000Z')).toBeUndefined()
  })

  it('keeps the latest user activity whatever order reports arrive in', () => {
    const ctx = testContext()
    const store = ctx.store()
    recordUserActivity(store, [
      { userId: 'u-1', lastActiveAt: '2026-11-20T00:00:00.000Z', source: 'clawnode:i-1' },
    ])
    recordUserActivity(store, [
      { userId: 'u-1', lastActiveAt: '2026-11-10T00:00:00.000Z', source: 'clawnode:i-2' },
    ])
    expect(store.repo(UserActivity).get('u-1')).toMatchObject({
      lastActiveAt: '2026-11-20T00:00:00.000Z',
      source: 'clawnode:i-1',
    })
  })
})

describe('lab seed billing and history', () => {
  it('bills every seeded instance, is deterministic, and --replace clears the lab ledger rows', () => {
    const now = new Date('2026-11-26T07:00:00Z')
    const a = seedFleet(testContext({ clock: () => now }), { pairs: 60, seed: 5, historyDays: 14 })
    const b = seedFleet(testContext({ clock: () => now }), { pairs: 60, seed: 5, historyDays: 14 })
    expect(a.history!.manifest).toEqual(b.history!.manifest)
    expect(a.history!.rollups).toBe(b.history!.rollups)

    const ctx = testContext({ clock: () => now })
    const plain = seedFleet(ctx, { pairs: 30, seed: 2 })
    expect(plain.billingSegments).toBe(60)
    expect(plain.history).toBeUndefined()
    seedFleet(ctx, { pairs: 20, seed: 3, replace: true, historyDays: 7 })
    const db = ctx.store().db
    const orphans = db
      .prepare(
        'SELECT count(*) AS n FROM billing_segments WHERE instance_id NOT IN (SELECT id FROM instances)',
      )
      .get() as { n: number }
    expect(orphans.n).toBe(0)
    const open = db.prepare('SELECT count(*) AS n FROM billing_segments WHERE "end" IS NULL').get() as {
      n: number
    }
    expect(open.n).toBe(40)
  })
})
