/**
 * Read-only views the Ledger needs over other features' tables (instances, health roll-ups,
 * incidents), shaped and indexed for a 10,000-pair fleet: lean rows, one pass, no JSON parsing.
 */
import type { InstanceState, Role } from '../domain/instance.js'
import type { Provider } from '../domain/provider.js'
import type { Tier } from '../domain/tier.js'
import type { Store } from './store.js'

export interface Member {
  id: string
  pairId: string
  userId: string
  role: Role
  provider: Provider
  region: string
  tier: Tier
  state: InstanceState
  createdAt: string
}

export interface UsagePeak {
  instanceId: string
  /** Hours with at least one sample (a daily roll-up counts 24). */
  hours: number
  cpuAvg: number | null
  cpuMax: number | null
  memAvg: number | null
  memMax: number | null
  scoreAvg: number | null
  /** Samples whose score was below 50. */
  downSamples: number
  samples: number
}

export class LedgerViews {
  constructor(private readonly store: Store) {}

  /** Every instance that is not DELETED. */
  liveMembers(): Member[] {
    return this.store.db
      .prepare(
        `SELECT id, pair_id AS pairId, user_id AS userId, role, provider, region, tier, state, created_at AS createdAt
         FROM instances WHERE state <> 'DELETED' ORDER BY pair_id, role`,
      )
      .all() as unknown as Member[]
  }

  /**
   * CPU, memory and health per instance since `since`, from hourly and daily roll-ups and raw samples.
   * The roll-up table is walked in primary-key order (instance, bucket, start) so the grouping streams
   * instead of sorting millions of rows.
   */
  usageSince(since: string): Map<string, UsagePeak> {
    const rows = this.store.db
      .prepare(
        `SELECT instance_id AS instanceId,
                sum(CASE bucket WHEN 'hour' THEN 1 ELSE 24 END) AS hours,
                sum(cpu_avg * n) / sum(CASE WHEN cpu_avg IS NULL THEN 0 ELSE n END) AS cpuAvg, max(cpu_max) AS cpuMax,
                sum(mem_avg * n) / sum(CASE WHEN mem_avg IS NULL THEN 0 ELSE n END) AS memAvg, max(mem_max) AS memMax,
                sum(score_avg * n) / sum(n) AS scoreAvg, sum(down_samples) AS downSamples, sum(n) AS samples
         FROM health_rollups NOT INDEXED WHERE start >= ? GROUP BY instance_id`,
      )
      .all(since) as unknown as UsagePeak[]
    const out = new Map(rows.map((r) => [r.instanceId, r]))
    const raw = this.store.db
      .prepare(
        `SELECT instance_id AS instanceId, count(DISTINCT substr(ts, 1, 13)) AS hours,
                avg(cpu_pct) AS cpuAvg, max(cpu_pct) AS cpuMax, avg(mem_pct) AS memAvg, max(mem_pct) AS memMax,
                avg(score) AS scoreAvg, sum(score < 50) AS downSamples, count(*) AS samples
         FROM health_samples WHERE ts >= ? GROUP BY instance_id`,
      )
      .all(since) as unknown as UsagePeak[]
    for (const r of raw) {
      const prev = out.get(r.instanceId)
      out.set(r.instanceId, prev ? mergeUsage(prev, r) : r)
    }
    return out
  }

  /** Incidents open at some time in [since, until): opened before `until`, not resolved before `since`. */
  incidentsBetween(
    since: string,
    until: string,
  ): {
    id: string
    provider: string | null
    region: string | null
    severity: string
    status: string
    openedAt: string
    resolvedAt: string | null
    title: string
  }[] {
    return this.store.db
      .prepare(
        `SELECT id, provider, region, severity, status, opened_at AS openedAt, resolved_at AS resolvedAt, title
         FROM incidents WHERE opened_at < ? AND (resolved_at IS NULL OR resolved_at >= ?) ORDER BY opened_at`,
      )
      .all(until, since) as unknown as ReturnType<LedgerViews['incidentsBetween']>
  }

  /** Provider of every instance, deleted ones included (health history outlives instances). */
  providerOf(): Map<string, Provider> {
    const rows = this.store.db.prepare('SELECT id, provider FROM instances').all() as unknown as {
      id: string
      provider: Provider
    }[]
    return new Map(rows.map((r) => [r.id, r.provider]))
  }

  /** Pairs created per day (UTC) since `since`, and pairs whose last member was deleted per day. */
  pairFlow(since: string): { day: string; created: number; deleted: number }[] {
    return this.store.db
      .prepare(
        `WITH p AS (
           SELECT pair_id, min(created_at) AS created,
                  CASE WHEN sum(state <> 'DELETED') = 0 THEN max(updated_at) END AS deleted
           FROM instances GROUP BY pair_id
         ), days AS (
           SELECT substr(created, 1, 10) AS day, 1 AS c, 0 AS d FROM p WHERE created >= ?
           UNION ALL SELECT substr(deleted, 1, 10), 0, 1 FROM p WHERE deleted >= ?
         )
         SELECT day, sum(c) AS created, sum(d) AS deleted FROM days GROUP BY day ORDER BY day`,
      )
      .all(since, since) as unknown as { day: string; created: number; deleted: number }[]
  }
}

function mergeUsage(a: UsagePeak, b: UsagePeak): UsagePeak {
  const w = (x: number | null, nx: number, y: number | null, ny: number) =>
    x === null ? y : y === null ? x : (x * nx + y * ny) / (nx + ny)
  const max = (x: number | null, y: number | null) => (x === null ? y : y === null ? x : Math.max(x, y))
  return {
    instanceId: a.instanceId,
    hours: a.hours + b.hours,
    cpuAvg: w(a.cpuAvg, a.samples, b.cpuAvg, b.samples),
    cpuMax: max(a.cpuMax, b.cpuMax),
    memAvg: w(a.memAvg, a.samples, b.memAvg, b.samples),
    memMax: max(a.memMax, b.memMax),
    scoreAvg: w(a.scoreAvg, a.samples, b.scoreAvg, b.samples),
    downSamples: a.downSamples + b.downSamples,
    samples: a.samples + b.samples,
  }
}
