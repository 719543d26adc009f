/**
 * The waste rules on hand-made pairs, each next to a near miss: the boundary of each threshold, the
 * coverage needed to call a tier oversized, precedence (a pair is reported once), and the savings.
 * As of 2026-11-26 07:00 UTC; rates USD 1, EUR 1.08.
 */
import { beforeEach, describe, expect, it } from 'vitest'
import type { Context } from '../../../src/lib/context.js'
import { wasteReport } from '../../../src/lib/ledger/waste.js'
import { HealthHistory, type Rollup } from '../../../src/lib/store/health-history.js'
import type { Store } from '../../../src/lib/store/store.js'
import { recordUserActivity } from '../../../src/lib/store/user-activity.js'
import { testContext } from '../../support/context.js'
import { addMember } from './fixtures.js'

const now = new Date('2026-11-26T07:00:00Z')
const HOUR = 3_600_000
let ctx: Context

/** Hourly roll-ups for the last `hours` hours with the given peaks. */
function usage(store: Store, instanceId: string, cpuMax: number, memMax: number, hours = 168): void {
  const rows: Rollup[] = []
  const end = Math.floor(now.getTime() / HOUR) * HOUR
  for (let h = 1; h <= hours; h++) {
    rows.push({
      instanceId,
      bucket: 'hour',
      start: new Date(end - h * HOUR).toISOString(),
      n: 12,
      scoreAvg: 95,
      scoreMin: 90,
      cpuAvg: cpuMax / 2,
      cpuMax,
      memAvg: memMax / 2,
      memMax,
      downSamples: 0,
    })
  }
  store.repo(HealthHistory).recordRollups(rows)
}

function pair(
  store: Store,
  id: string,
  primary: [string, string, string],
  standby: [string, string, string],
  opts: { created?: string; state?: 'ACTIVE' | 'DEGRADED' } = {},
) {
  const created = opts.created ?? '2026-05-01T00:00:00.000Z'
  const [pp, pr, tier] = primary
  addMember(store, {
    id: `${id}-p`,
    pair: id,
    role: 'primary',
    provider: pp as never,
    region: pr,
    tier: tier as never,
    created,
    state: opts.state,
  })
  addMember(store, {
    id: `${id}-s`,
    pair: id,
    role: 'standby',
    provider: standby[0] as never,
    region: standby[1],
    tier: standby[2] as never,
    created,
  })
}

const active = (userPair: string, daysAgo: number) => ({
  userId: `u-${userPair}`,
  lastActiveAt: new Date(now.getTime() - daysAgo * 24 * HOUR).toISOString(),
  source: 'test',
})

beforeEach(() => {
  ctx = testContext({ clock: () => now })
  const s = ctx.store()
  // idle: 14 days without activity (the threshold); near miss: 13 days
  pair(s, 'p-idle', ['hetzner', 'nbg1', 'standard'], ['vultr', 'fra', 'standard'])
  pair(s, 'p-busy', ['hetzner', 'nbg1', 'standard'], ['vultr', 'fra', 'standard'])
  // oversized: peaks 19.9 % all week; near misses: one 20 % peak, and too little history
  pair(s, 'p-big', ['hetzner', 'fsn1', 'pro'], ['digitalocean', 'fra1', 'pro'])
  pair(s, 'p-peak', ['hetzner', 'fsn1', 'pro'], ['digitalocean', 'fra1', 'pro'])
  pair(s, 'p-new', ['hetzner', 'fsn1', 'pro'], ['digitalocean', 'fra1', 'pro'])
  // idle and oversized at once: reported once, as idle
  pair(s, 'p-both', ['vultr', 'ams', 'standard'], ['digitalocean', 'ams3', 'standard'])
  // cheaper elsewhere: a Contabo contract from the older price list; near miss: the current list
  pair(s, 'p-old', ['hetzner', 'hel1', 'standard'], ['contabo', 'EU', 'standard'], {
    created: '2024-03-15T00:00:00.000Z',
  })
  pair(s, 'p-cur', ['hetzner', 'hel1', 'standard'], ['contabo', 'EU', 'standard'])
  recordUserActivity(s, [
    active('p-idle', 14),
    active('p-busy', 13.9),
    active('p-big', 1),
    active('p-peak', 1),
    active('p-new', 1),
    active('p-both', 30),
    active('p-old', 2),
    active('p-cur', 2),
  ])
  usage(s, 'p-big-p', 19.9, 19.9)
  usage(s, 'p-peak-p', 20, 10)
  usage(s, 'p-new-p', 5, 5, 100)
  usage(s, 'p-both-p', 5, 5)
  for (const id of ['p-idle-p', 'p-busy-p', 'p-old-p', 'p-cur-p']) usage(s, id, 60, 60)
})

describe('waste rules', () => {
  it('calls an account idle from 14 days without activity, saving both members', () => {
    const r = wasteReport(ctx)
    expect(r.idle.items.map((i) => i.pairId).sort()).toEqual(['p-both', 'p-idle'])
    const idle = r.idle.items.find((i) => i.pairId === 'p-idle')!
    // Hetzner cx33 EUR 7.49 -> $8.09 (808.92) + Vultr standard $20.00
    expect(idle.monthlySavingUsdCents).toBe(809 + 2000)
    expect(idle.evidence).toMatchObject({ idleDays: 14, thresholdDays: 14, source: 'test' })
    expect(idle.savingStartsAt).toBeNull()
  })

  it('calls a tier oversized only below the threshold all week, with enough samples', () => {
    const r = wasteReport(ctx)
    expect(r.oversized.items.map((i) => i.pairId)).toEqual(['p-big'])
    const big = r.oversized.items[0]!
    // Hetzner pro (8 vCPU, 16 GB) peaks 19.9 %: on nano (2, 4) 79.6 % > 60; on standard (4, 8) 39.8 %
    expect(big.targetTier).toBe('standard')
    expect(big.evidence.peakOnTargetPct).toEqual({ cpu: 39.8, mem: 39.8 })
    // Hetzner cx43 14.99 -> cx33 7.49: EUR 7.50 -> $16.19 - $8.09 = $8.10; DO pro $48 -> standard $24: $24.00
    expect(big.monthlySavingUsdCents).toBe(1619 - 809 + 2400)
    expect(big.command).toBe('clawops resize --tier standard -l pair=p-big')
  })

  it('reports a contract priced above an allowed provider, with the renewal it can start at', () => {
    const r = wasteReport(ctx)
    expect(r.cheaperElsewhere.items.map((i) => i.instanceId)).toEqual(['p-old-s'])
    const c = r.cheaperElsewhere.items[0]!
    // V46 EUR 11.99 -> $12.95 (1294.92); cheapest allowed standby that is not Contabo or the partner's
    // Hetzner: Hostinger standard $8.99. Saving $3.96.
    expect(c.evidence).toMatchObject({ plan: 'V46', monthlyUsdCents: 1295, partnerProvider: 'hetzner' })
    expect(c.targetProvider).toBe('hostinger')
    expect(c.monthlySavingUsdCents).toBe(1295 - 899)
    // ordered on the 15th: the paid month runs to 2026-12-15
    expect(c.savingStartsAt).toBe('2026-12-15T00:00:00.000Z')
    expect(c.command).toBe('clawops resize --tier standard --provider hostinger -l pair=p-old,role=standby')
  })

  it('adds up the categories and filters by category', () => {
    const r = wasteReport(ctx)
    expect(r.totalMonthlySavingUsdCents).toBe(
      r.idle.monthlySavingUsdCents +
        r.oversized.monthlySavingUsdCents +
        r.cheaperElsewhere.monthlySavingUsdCents,
    )
    const only = wasteReport(ctx, { category: 'oversized' })
    expect(only.idle.count).toBe(0)
    expect(only.oversized.count).toBe(1)
  })

  it('does not judge users with no activity on record, and says so', () => {
    ctx.store().db.prepare("DELETE FROM user_activity WHERE user_id = 'u-p-idle'").run()
    const r = wasteReport(ctx)
    expect(r.idle.items.map((i) => i.pairId)).toEqual(['p-both'])
    expect(r.unknownActivityPairs).toBe(1)
    expect(ctx.warnings.join()).toMatch(/no user activity on record/)
  })

  it('only resizes pairs whose members are all ACTIVE', () => {
    ctx.store().db.prepare("UPDATE instances SET state = 'DEGRADED' WHERE id = 'p-big-s'").run()
    expect(wasteReport(ctx).oversized.count).toBe(0)
  })
})
