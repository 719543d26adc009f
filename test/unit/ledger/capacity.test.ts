/**
 * Capacity plan on a hand-made history (as of 2026-11-26): 6 pairs, 4 of them created in the last 90
 * days (all Hetzner primary + Vultr standby, standard) and one pair gone in that window:
 * net (4 - 1) x 30.4375 / 90 = 1.01 pairs a month.
 */
import { beforeEach, describe, expect, it } from 'vitest'
import type { Context } from '../../../src/lib/context.js'
import { capacityPlan } from '../../../src/lib/ledger/capacity.js'
import { testContext } from '../../support/context.js'
import { engine } from '../../support/engine.js'
import { addMember } from './fixtures.js'

const now = new Date('2026-11-26T07:00:00Z')
let ctx: Context

beforeEach(() => {
  ctx = testContext({
    clock: () => now,
    config: {
      currency: { rates: { USD: 1, EUR: 1.08 } },
      policy: { planTtlMinutes: 60, confirmationTtlMinutes: 60, lockWaitSeconds: 30 },
      ledger: { budgetUsd: { month: 170 }, quotas: { hetzner: { instances: 5, regions: { nbg1: 4 } } } },
    },
  })
  const s = ctx.store()
  const created = ['2026-01-10', '2026-03-01', '2026-09-01', '2026-10-01', '2026-10-15', '2026-11-20']
  created.forEach((day, n) => {
    addMember(s, {
      id: `i-${n}p`,
      pair: `p-${n}`,
      provider: 'hetzner',
      region: 'nbg1',
      tier: 'standard',
      created: `${day}T00:00:00.000Z`,
    })
    addMember(s, {
      id: `i-${n}s`,
      pair: `p-${n}`,
      role: 'standby',
      provider: 'vultr',
      region: 'fra',
      tier: 'standard',
      created: `${day}T00:00:00.000Z`,
    })
  })
  // a pair created and deleted within the window
  addMember(s, {
    id: 'i-gp',
    pair: 'p-g',
    provider: 'hetzner',
    region: 'nbg1',
    tier: 'standard',
    created: '2026-10-02T00:00:00.000Z',
    deleted: '2026-10-09T00:00:00.000Z',
  })
  addMember(s, {
    id: 'i-gs',
    pair: 'p-g',
    role: 'standby',
    provider: 'vultr',
    region: 'fra',
    tier: 'standard',
    created: '2026-10-02T00:00:00.000Z',
    deleted: '2026-10-09T00:00:00.000Z',
  })
})

describe('capacity plan', () => {
  it('projects users from the net growth of the basis window', () => {
    const p = capacityPlan(ctx, { months: 3 })
    // created in the window: 09-01, 10-01, 10-02 (deleted later), 10-15, 11-20 = 5; deleted 1
    expect(p.basis).toMatchObject({ pairsCreated: 5, pairsDeleted: 1 })
    // (5 - 1) x 30.4375 / 90 = 1.35 a month
    expect(p.basis.netPairsPerMonth).toBe(1.4)
    expect(p.users.now).toBe(6)
    expect(p.users.projected.map((u) => u.users)).toEqual([7, 9, 10])
  })

  it('prices new users and compares with the budget', () => {
    const p = capacityPlan(ctx, { months: 3 })
    // a pair: Hetzner cx33 $8.09 (808.92) + Vultr standard $20.00 = $28.09; six pairs: $168.54
    expect(p.cost.runRateMonthlyUsdCents).toBe(6 * (809 + 2000))
    expect(p.cost.perNewUserMonthlyUsdCents).toBe(809 + 2000)
    // month 1: 7 users -> 168.54 + 28.09 = 196.63 > 170: over budget from the first month on
    expect(p.cost.projected[0]).toMatchObject({
      monthlyUsdCents: 7 * 2809,
      headroomUsdCents: 17_000 - 7 * 2809,
    })
    expect(p.cost.budgetExceededIn).toBe('2026-12-26')
  })

  it('shows headroom against quotas per provider and region', () => {
    const p = capacityPlan(ctx, { months: 3 })
    const hetzner = p.providers.find((r) => r.provider === 'hetzner')!
    // 6 now; + 1.35 x 3 = 4.06 new pairs -> ceil -> 11 in three months; quota 5: exhausted already
    expect(hetzner).toMatchObject({ now: 6, projected: 11, quota: 5, headroom: -6, exhaustsIn: 'now' })
    const nbg1 = p.regions.find((r) => r.region === 'nbg1')!
    expect(nbg1).toMatchObject({ quota: 4, exhaustsIn: 'now' })
    const vultr = p.providers.find((r) => r.provider === 'vultr')!
    expect(vultr).toMatchObject({ quota: null, headroom: null })
    expect(p.notes.join()).toMatch(/no instance quota configured for vultr/)
  })

  it('places new pairs only where the routing allows', async () => {
    const { setRouting } = await import('../../../src/lib/ledger/set-routing.js')
    await setRouting(ctx, engine, { groups: ['eu'], removePrimary: ['hetzner'] }, {})
    const p = capacityPlan(ctx, { months: 3 })
    // recent primaries went to Hetzner, which left the EU primary pool: they count for the routing's
    // first choice there now (Vultr, in its first EU region)
    expect(p.allocation.filter((a) => a.role === 'primary')).toEqual([
      { provider: 'vultr', region: 'fra', role: 'primary', share: 1 },
    ])
    // and their Vultr standbys move to the next standby provider that is not Vultr: DigitalOcean.
    // A new pair is now Vultr $20.00 + DigitalOcean $24.00 standard
    expect(p.allocation.filter((a) => a.role === 'standby')).toEqual([
      { provider: 'digitalocean', region: 'fra1', role: 'standby', share: 1 },
    ])
    expect(p.cost.perNewUserMonthlyUsdCents).toBe(2000 + 2400)
  })
})
