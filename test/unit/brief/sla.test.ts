import { describe, expect, it } from 'vitest'
import { slaBreaches } from '../../../src/lib/brief/sla.js'
import { Episodes } from '../../../src/lib/store/episodes.js'
import { FleetStats } from '../../../src/lib/store/fleet-stats.js'
import { testContext } from '../../support/context.js'
import { event, pair } from './fixtures.js'

const UNTIL = '2026-11-26T07:00:00.000Z'
const SINCE = '2026-11-25T07:00:00.000Z'

function facts(store: Parameters<typeof slaBreaches>[0], max = 10) {
  return slaBreaches(store, {
    since: SINCE,
    until: UNTIL,
    maxUnservedMinutes: max,
    unservedPairs: store.repo(FleetStats).pairsWithoutActivePrimary(),
  })
}

describe('SLA breaches: a user without an ACTIVE gateway longer than the limit', () => {
  it('measures from PAIR_FAILED to the pair being served again, and counts only what exceeds the limit', () => {
    const store = testContext().store()
    pair(store, 'p-long', ['ACTIVE', 'ACTIVE'])
    pair(store, 'p-short', ['ACTIVE', 'ACTIVE'])
    pair(store, 'p-failover', ['ACTIVE', 'ACTIVE'])
    event(store, 'PAIR_FAILED', '2026-11-25T10:00:00.000Z', {
      pairId: 'p-long',
      data: { userId: 'u-p-long' },
    })
    event(store, 'HEAL_COMPLETE', '2026-11-25T10:18:00.000Z', { pairId: 'p-long' })
    event(store, 'PAIR_FAILED', '2026-11-25T11:00:00.000Z', { pairId: 'p-short' })
    event(store, 'INSTANCE_RECOVERED', '2026-11-25T11:09:00.000Z', { pairId: 'p-short' })
    event(store, 'PAIR_FAILED', '2026-11-25T12:00:00.000Z', { pairId: 'p-failover' })
    event(store, 'FAILOVER_COMPLETE', '2026-11-25T12:12:30.000Z', { pairId: 'p-failover' })
    const f = facts(store)
    expect(f.breaches.map((b) => [b.pairId, b.minutes, b.ongoing])).toEqual([
      ['p-long', 18, false],
      ['p-failover', 13, false],
    ])
    expect(f.breaches[0]).toMatchObject({
      userId: 'u-p-long',
      startSource: 'event',
      endedAt: '2026-11-25T10:18:00.000Z',
    })
    expect(facts(store, 15).breaches.map((b) => b.pairId)).toEqual(['p-long'])
  })

  it('counts an ended breach in the window in which it crossed the limit, an ongoing one always', () => {
    const store = testContext().store()
    pair(store, 'p-old', ['ACTIVE', 'ACTIVE'])
    pair(store, 'p-down', ['FAILED', 'FAILED'])
    // Crossed the limit two days ago: yesterday's briefing had it.
    event(store, 'PAIR_FAILED', '2026-11-24T06:00:00.000Z', { pairId: 'p-old' })
    event(store, 'HEAL_COMPLETE', '2026-11-25T08:00:00.000Z', { pairId: 'p-old' })
    // Unserved for three days and still.
    event(store, 'PAIR_FAILED', '2026-11-23T07:00:00.000Z', { pairId: 'p-down' })
    const f = facts(store)
    expect(f.breaches.map((b) => [b.pairId, b.ongoing, b.minutes])).toEqual([['p-down', true, 3 * 24 * 60]])
    expect(f.unservedNow).toBe(1)
  })

  it('dates a pair unserved without an announcement from watch\u2019s episode, else its last heartbeat; new pairs are not breaches', () => {
    const store = testContext().store()
    pair(store, 'p-episode', ['FAILED', 'DEGRADED'])
    store.repo(Episodes).open('pair-failed:p-episode', '2026-11-26T06:00:00.000Z')
    pair(store, 'p-beat', ['FAILED', 'FAILED'], { heartbeat: '2026-11-26T06:30:00.000Z' })
    pair(store, 'p-recent', ['FAILED', 'FAILED'], { heartbeat: '2026-11-26T06:55:00.000Z' })
    pair(store, 'p-new', ['BOOTSTRAPPING', 'BOOTSTRAPPING'])
    const f = facts(store)
    expect(f.breaches.map((b) => [b.pairId, b.startSource, b.minutes])).toEqual([
      ['p-episode', 'episode', 60],
      ['p-beat', 'heartbeat', 30],
    ])
    expect(f.unservedNow).toBe(3)
  })

  it('leaves a stretch whose end was never recorded out (the pair is served again)', () => {
    const store = testContext().store()
    pair(store, 'p-x', ['ACTIVE', 'ACTIVE'])
    event(store, 'PAIR_FAILED', '2026-11-25T10:00:00.000Z', { pairId: 'p-x' })
    expect(facts(store).breaches).toEqual([])
  })
})
