import { describe, expect, it } from 'vitest'
import { PhaseClock } from '../../../src/lib/provisioning/eta.js'
import { recordProvision } from '../../../src/lib/store/provision-history.js'
import { manualClock, testContext } from '../../support/context.js'

describe('the provisioning ETA', () => {
  it('uses this operation’s phases once seen, the provider’s last week before that, a default before anything', () => {
    const clock = manualClock('2026-12-05T12:00:00.000Z')
    const ctx = testContext({ clock })
    const fresh = new PhaseClock(ctx)
    // Nothing measured anywhere: the defaults (5 s create, 60 s boot, 30 s join, 5 s health).
    expect(fresh.remaining('hetzner', 'create')).toBe(100_000)
    for (const [i, boot] of [80_000, 90_000, 100_000].entries()) {
      recordProvision(ctx.store(), {
        provider: 'hetzner',
        region: 'hel1',
        tier: 'nano',
        role: 'primary',
        instanceId: `i-${i}`,
        pairId: `p-${i}`,
        opId: 'op-old',
        startedAt: '2026-12-04T12:00:00.000Z',
        finishedAt: '2026-12-04T12:03:00.000Z',
        outcome: 'ok',
        attempts: 1,
        errorCode: null,
        phases: { create: 2_000, boot, join: 20_000, health: 1_000 },
      })
    }
    const fromHistory = new PhaseClock(ctx)
    expect(fromHistory.expected('hetzner', 'boot')).toBe(90_000)
    expect(fromHistory.remaining('hetzner', 'boot', 30_000)).toBe(60_000 + 20_000 + 1_000)
    fromHistory.observe('hetzner', 'boot', 10_000)
    expect(fromHistory.remaining('hetzner', 'boot')).toBe(10_000 + 20_000 + 1_000)
    // Another provider has no history: defaults.
    expect(fromHistory.remaining('vultr', 'join')).toBe(35_000)
  })

  it('estimates the pairs left at this operation’s pace, so many at a time', () => {
    const c = new PhaseClock(testContext())
    for (const ms of [60_000, 90_000, 120_000]) c.observePair(ms)
    expect(c.pairsRemaining(10, 4)).toBe(3 * 90_000)
  })
})
