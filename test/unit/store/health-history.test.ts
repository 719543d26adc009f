import { describe, expect, it } from 'vitest'
import { HealthHistory } from '../../../src/lib/store/health-history.js'
import { testContext } from '../../support/context.js'

const H = 3600_000

describe('health history', () => {
  it('rolls raw samples into hours and hours into days without losing weight, and forgets after 30 days', () => {
    const store = testContext().store()
    const h = store.repo(HealthHistory)
    const now = new Date('2026-11-26T12:00:00.000Z')
    const at = (msAgo: number) => new Date(now.getTime() - msAgo).toISOString()
    const s = (msAgo: number, cpu: number, score = 90) => ({
      instanceId: 'i-1',
      ts: at(msAgo),
      score,
      heartbeatAgeS: 5,
      cpuPct: cpu,
      memPct: cpu / 2,
      diskPct: 40,
      openclawOk: true,
    })
    // Three samples in one hour three days ago, one fresh sample, one 40 days old.
    h.record([
      s(72 * H + 60_000, 10),
      s(72 * H + 120_000, 20),
      s(72 * H + 180_000, 30, 40),
      s(60_000, 90),
      s(40 * 24 * H, 5),
    ])
    const first = h.downsample(now)
    expect(first.hourly).toBe(2)
    const usage = h.usageSince(at(4 * 24 * H))
    expect(usage).toHaveLength(1)
    expect(usage[0]).toMatchObject({ samples: 4, cpuMax: 90 })
    expect(usage[0]!.cpuAvg).toBeCloseTo((10 + 20 + 30 + 90) / 4)
    // Eight days later the hour becomes a day; 40 days later everything old is gone.
    h.downsample(new Date(now.getTime() + 8 * 24 * H))
    const days = store.db
      .prepare("SELECT n, cpu_avg, down_samples FROM health_rollups WHERE bucket = 'day' ORDER BY start")
      .all() as {
      n: number
      cpu_avg: number
      down_samples: number
    }[]
    expect(days[days.length - 1]).toBeDefined()
    const threeSample = days.find((d) => d.n === 3)!
    expect(threeSample.cpu_avg).toBeCloseTo(20)
    expect(threeSample.down_samples).toBe(1)
    h.downsample(new Date(now.getTime() + 40 * 24 * H))
    expect((store.db.prepare('SELECT count(*) AS n FROM health_rollups').get() as { n: number }).n).toBe(0)
  })
})
