/**
 * Provider scores from hand-made inputs (7-day window ending 2026-11-26 07:00 UTC):
 *   hostinger: provisions of 9, 10 (retried) and 11 min and one failed; one high incident; health 90.
 *     reliability (1 + 0.5 + 1 + 0) / 4 = 62.5; speed median 10 min: (12 - 10) / (12 - 4) = 25;
 *     incidents 100 - 25 = 75; health 90 -> 0.3 x 62.5 + 0.25 x 25 + 0.2 x 75 + 0.25 x 90 = 62.5 -> 63
 *   hetzner: three 4-minute provisions, health 98 -> 30 + 25 + 20 + 24.5 = 99.5 -> 100
 *   vultr: two provisions (fewer than 3: not scored), health 95 -> (0.2 x 100 + 0.25 x 95) / 0.45 = 97.2 -> 97
 */
import { beforeEach, describe, expect, it } from 'vitest'
import type { Context } from '../../../src/lib/context.js'
import { providerHealth } from '../../../src/lib/ledger/provider-health.js'
import { HealthHistory } from '../../../src/lib/store/health-history.js'
import { ProvisionHistory } from '../../../src/lib/store/provision-history.js'
import { testContext } from '../../support/context.js'
import { addMember } from './fixtures.js'

const now = new Date('2026-11-26T07:00:00Z')
const MIN = 60_000
let ctx: Context

function provision(
  provider: 'hostinger' | 'hetzner' | 'vultr',
  minutes: number,
  opts: { attempts?: number; failed?: boolean } = {},
) {
  const finished = now.getTime() - 2 * 86_400_000
  ctx
    .store()
    .repo(ProvisionHistory)
    .record([
      {
        provider,
        region: 'x',
        tier: 'standard',
        role: 'primary',
        instanceId: null,
        pairId: null,
        opId: null,
        startedAt: new Date(finished - minutes * MIN).toISOString(),
        finishedAt: new Date(finished).toISOString(),
        outcome: opts.failed ? 'failed' : 'ok',
        attempts: opts.attempts ?? 1,
        errorCode: null,
      },
    ])
}

function health(instanceId: string, score: number) {
  ctx
    .store()
    .repo(HealthHistory)
    .recordRollups([
      {
        instanceId,
        bucket: 'hour',
        start: '2026-11-25T00:00:00.000Z',
        n: 12,
        scoreAvg: score,
        scoreMin: score,
        cpuAvg: 10,
        cpuMax: 20,
        memAvg: 10,
        memMax: 20,
        downSamples: 0,
      },
    ])
}

beforeEach(() => {
  ctx = testContext({ clock: () => now })
  const s = ctx.store()
  addMember(s, {
    id: 'i-h',
    pair: 'p-1',
    provider: 'hostinger',
    region: 'us-bos',
    tier: 'standard',
    created: '2026-06-01T00:00:00.000Z',
  })
  addMember(s, {
    id: 'i-z',
    pair: 'p-1',
    role: 'standby',
    provider: 'hetzner',
    region: 'ash',
    tier: 'standard',
    created: '2026-06-01T00:00:00.000Z',
  })
  addMember(s, {
    id: 'i-v',
    pair: 'p-2',
    provider: 'vultr',
    region: 'ewr',
    tier: 'standard',
    created: '2026-06-01T00:00:00.000Z',
  })
  provision('hostinger', 9)
  provision('hostinger', 10, { attempts: 2 })
  provision('hostinger', 11)
  provision('hostinger', 15, { failed: true, attempts: 3 })
  for (let k = 0; k < 3; k++) provision('hetzner', 4)
  provision('vultr', 5)
  provision('vultr', 5)
  // outside the window: ignored
  ctx
    .store()
    .db.prepare(
      `INSERT INTO provision_attempts (id, provider, region, tier, role, started_at, finished_at, outcome, attempts)
     VALUES ('old', 'hetzner', 'x', 'nano', 'primary', '2026-11-01T00:00:00Z', '2026-11-01T01:00:00Z', 'failed', 1)`,
    )
    .run()
  s.db
    .prepare(
      `INSERT INTO incidents (id, provider, region, kind, status, severity, title, opened_at, resolved_at)
     VALUES ('inc-1', 'hostinger', 'us-bos', 'provider-outage', 'resolved', 'high', 'slow purchases', '2026-11-24T00:00:00Z', '2026-11-24T03:00:00Z')`,
    )
    .run()
  health('i-h', 90)
  health('i-z', 98)
  health('i-v', 95)
})

describe('provider health', () => {
  it('scores each provider from its inputs and shows them', () => {
    const r = providerHealth(ctx)
    const by = Object.fromEntries(r.providers.map((p) => [p.provider, p]))
    expect(by.hostinger).toMatchObject({
      score: 63,
      status: 'degraded',
      components: { reliability: 62.5, speed: 25, incidents: 75, health: 90 },
      inputs: {
        provisions: { total: 4, ok: 3, failed: 1, retried: 2, p50Ms: 10 * MIN },
        incidents: { count: 1, ids: ['inc-1'], bySeverity: { high: 1 } },
      },
    })
    expect(by.hetzner).toMatchObject({ score: 100, status: 'ok' })
    expect(by.vultr).toMatchObject({ score: 97, components: { reliability: null, speed: null } })
    expect(by.contabo).toMatchObject({ score: null, status: 'no-data' })
  })

  it('recommends leaving the primary pools below 75, priced per user', () => {
    const r = providerHealth(ctx)
    const us = r.recommendations.find((x) => x.group === 'us')!
    // US primaries go to hostinger first; next healthy: vultr. Standard: $20.00 - $8.99 = $11.01
    expect(us).toMatchObject({
      provider: 'hostinger',
      replacement: 'vultr',
      firstChoice: true,
      costImpactPerUserMonthlyUsdCents: 1101,
      command:
        "clawops provider routing set --group us --remove-primary hostinger --reason 'hostinger health 63/100 below 75'",
    })
    expect(r.recommendations.find((x) => x.group === 'eu')).toMatchObject({
      firstChoice: false,
      costImpactPerUserMonthlyUsdCents: 0,
    })
    expect(r.recommendations.every((x) => x.provider === 'hostinger')).toBe(true)
  })

  it('uses the configured threshold', () => {
    const strict = testContext({
      home: ctx.home,
      clock: () => now,
      config: {
        currency: { rates: { USD: 1, EUR: 1.08 } },
        policy: { planTtlMinutes: 60, confirmationTtlMinutes: 60, lockWaitSeconds: 30 },
        ledger: { providerHealth: { leavePrimaryBelow: 60 } },
      },
    })
    expect(providerHealth(strict).recommendations).toEqual([])
  })
})
