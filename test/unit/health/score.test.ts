import { describe, expect, it } from 'vitest'
import { DEFAULT_CONFIG } from '../../../src/lib/config/defaults.js'
import { DEFAULT_ROUTES, watchSettings } from '../../../src/lib/config/watch-settings.js'
import type { Probe } from '../../../src/lib/health/probe.js'
import { scoreProbe } from '../../../src/lib/health/score.js'
import { decideState } from '../../../src/lib/health/state.js'

const healthy: Probe = {
  instanceId: 'i-1',
  at: '2026-11-26T07:00:00.000Z',
  reached: true,
  heartbeatAgeS: 0,
  vps: { status: 'ok', problems: [], memPct: 40, diskPct: 40 },
  metrics: { cpuBusyPct: 10, memPct: 40 },
  openclaw: { live: true, ready: true },
  lastActivityAt: null,
  errors: [],
}

const t = watchSettings(DEFAULT_CONFIG).thresholds
const now = new Date('2026-11-26T07:00:00.000Z')
const minutes = (m: number) => new Date(now.getTime() - m * 60_000).toISOString()

describe('health score', () => {
  it('is 100 for a healthy instance, with no reasons', () => {
    expect(scoreProbe(healthy)).toEqual({ score: 100, reasons: [] })
  })

  it('puts a dead OpenClaw on a fine host below the DEGRADED line (40)', () => {
    const s = scoreProbe({ ...healthy, openclaw: { live: false, ready: false } })
    expect(s.score).toBe(40)
    expect(s.reasons.join()).toMatch(/OpenClaw not answering/)
  })

  it('scores a node that does not answer at most 10, falling with the heartbeat age', () => {
    const down = { ...healthy, reached: false, vps: null, metrics: null, openclaw: null }
    expect(scoreProbe({ ...down, heartbeatAgeS: 30 }).score).toBe(10)
    expect(scoreProbe({ ...down, heartbeatAgeS: 200 }).score).toBe(0)
  })

  it('loses up to 40 points for the heartbeat, linearly from 60 s to 3 min', () => {
    expect(scoreProbe({ ...healthy, heartbeatAgeS: 60 }).score).toBe(100)
    expect(scoreProbe({ ...healthy, heartbeatAgeS: 120 }).score).toBe(80)
    expect(scoreProbe({ ...healthy, heartbeatAgeS: 180 }).score).toBe(60)
    expect(scoreProbe({ ...healthy, heartbeatAgeS: 900 }).score).toBe(60)
  })

  it('deducts for host problems and CPU, and for OpenClaw live but not ready', () => {
    const s = scoreProbe({
      ...healthy,
      vps: { status: 'degraded', problems: ['disk / at 95%', 'memory at 92%'], memPct: 92, diskPct: 95 },
      metrics: { cpuBusyPct: 97, memPct: 92 },
      openclaw: { live: true, ready: false },
    })
    expect(s.score).toBe(100 - 20 - 10 - 25)
    expect(s.reasons).toHaveLength(3)
  })
})

describe('state decisions (ACTIVE ⇄ DEGRADED → FAILED)', () => {
  const base = { heartbeatAgeS: 0, badSince: null, now, thresholds: t }

  it('degrades below 50 and on a heartbeat missing over 3 minutes', () => {
    expect(decideState({ ...base, current: 'ACTIVE', score: 49 }).next).toBe('DEGRADED')
    expect(decideState({ ...base, current: 'ACTIVE', score: 50 }).next).toBe('ACTIVE')
    const hb = decideState({ ...base, current: 'ACTIVE', score: 90, heartbeatAgeS: 181 })
    expect(hb).toMatchObject({ next: 'DEGRADED', heartbeatMissing: true })
  })

  it('recovers only above 70 (no flapping between 50 and 70)', () => {
    expect(decideState({ ...base, current: 'DEGRADED', score: 60, badSince: minutes(1) }).next).toBe(
      'DEGRADED',
    )
    expect(decideState({ ...base, current: 'DEGRADED', score: 71, badSince: minutes(1) })).toMatchObject({
      next: 'ACTIVE',
      badSince: null,
    })
    expect(decideState({ ...base, current: 'FAILED', score: 71, badSince: minutes(30) }).next).toBe('ACTIVE')
  })

  it('fails an instance that has been bad continuously for 10 minutes, not before', () => {
    expect(decideState({ ...base, current: 'DEGRADED', score: 10, badSince: minutes(9) }).next).toBe(
      'DEGRADED',
    )
    expect(decideState({ ...base, current: 'DEGRADED', score: 10, badSince: minutes(10) }).next).toBe(
      'FAILED',
    )
    // A score in the band keeps the bad run going without resetting it, but does not fail it either.
    expect(decideState({ ...base, current: 'DEGRADED', score: 60, badSince: minutes(20) })).toMatchObject({
      next: 'DEGRADED',
      badSince: null,
    })
  })

  it('starts the bad run at the first bad probe', () => {
    expect(decideState({ ...base, current: 'ACTIVE', score: 10 }).badSince).toBe(now.toISOString())
  })

  it('keeps a new instance BOOTSTRAPPING (warming up) through its boot grace, ACTIVE at its first healthy probe', () => {
    const booting = { ...base, current: 'BOOTSTRAPPING' as const }
    // OpenClaw still starting (−60): not degraded while the grace (20 min from creation) lasts.
    expect(decideState({ ...booting, score: 40, createdAt: minutes(5) })).toMatchObject({
      next: 'BOOTSTRAPPING',
      badSince: null,
    })
    expect(decideState({ ...booting, score: 40, createdAt: minutes(19) }).next).toBe('BOOTSTRAPPING')
    expect(decideState({ ...booting, score: 100, createdAt: minutes(1) })).toMatchObject({ next: 'ACTIVE' })
    // After the grace it is judged like any instance; its bad run starts then.
    expect(decideState({ ...booting, score: 40, createdAt: minutes(20) })).toMatchObject({
      next: 'DEGRADED',
      badSince: now.toISOString(),
    })
    expect(decideState({ ...booting, score: 60, createdAt: minutes(25) }).next).toBe('ACTIVE')
    expect(t.bootGraceMs).toBe(20 * 60_000)
  })
})

describe('routes', () => {
  it('sends PAIR_FAILED to Guardian, provider trouble to Commander, cost to Ledger, backlog to Forge', () => {
    expect(DEFAULT_ROUTES.PAIR_FAILED).toContain('guardian')
    expect(DEFAULT_ROUTES.PROVIDER_DEGRADED).toEqual(['commander'])
    expect(DEFAULT_ROUTES.COST_ANOMALY).toEqual(['ledger'])
    expect(DEFAULT_ROUTES.PROVISION_QUEUE_BACKLOG).toEqual(['forge'])
  })
})
