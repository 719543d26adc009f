/**
 * Read-only views the Ledger needs over other features' tables (instances, health roll-ups,
 * incidents), shaped and indexed for a 10,000-pair fleet: lean rows, one pass, no JSON parsing.
 */
import type { InstanceState, Role } from '../domain/instance.js'
import type { Provider } from '../domain/provider.js'
import type { Tier } from '../domain/tier.js'
import { HOURLY_RETENTION_MS } from './health-history.js'
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
        `SELECT id, pair_id AS "pairId", user_id AS "userId", role, provider, region, tier, state, created_at AS "createdAt"
         FROM instances WHERE state <> 'DELETED' ORDER BY pair_id, role`,
      )
      .all() as unknown as Member[]
  }

  /**
   * CPU and memory per instance since `since`, for the given instances only, from hourly and daily
   * roll-ups and raw samples. One primary-key range read per instance and bucket: on a 10,000-pair
   * fleet with 30 days of history that reads the candidates' rows only, instead of scanning millions
   * (and a plain `bucket = 'hour'` filter would lead SQLite to the (bucket, start) index, far slower).
   * With `onlyBelowPct`, instances with any CPU or memory sample at or above it are left out.
   */
  usageOf(
    instanceIds: Iterable<string>,
    since: string,
    opts: { onlyBelowPct?: number } = {},
  ): Map<string, UsagePeak> {
    const db = this.store.db
    // With onlyBelowPct, one indexed probe per instance finds a sample at or above it and skips the
    // instance: most instances are busy somewhere in a week, so few need the full aggregate.
    const busyRollup = db.prepare(
      `SELECT 1 FROM health_rollups WHERE instance_id = ? AND bucket = ? AND start >= ? AND (cpu_max >= ? OR mem_max >= ?) LIMIT 1`,
    )
    const busyRaw = db.prepare(
      `SELECT 1 FROM health_samples WHERE instance_id = ? AND ts >= ? AND (cpu_pct >= ? OR mem_pct >= ?) LIMIT 1`,
    )
    const pct = opts.onlyBelowPct
    const busy = (id: string, withDays: boolean) =>
      pct !== undefined &&
      (busyRollup.get(id, 'hour', since, pct, pct) !== undefined ||
        busyRaw.get(id, since, pct, pct) !== undefined ||
        (withDays && busyRollup.get(id, 'day', since, pct, pct) !== undefined))
    const rollup = (bucket: 'hour' | 'day') =>
      db.prepare(
        `SELECT count(*) AS buckets, sum(n) AS samples, max(cpu_max) AS "cpuMax", max(mem_max) AS "memMax",
                sum(cpu_avg * n) AS "cpuSum", sum(CASE WHEN cpu_avg IS NULL THEN 0 ELSE n END) AS "cpuN",
                sum(mem_avg * n) AS "memSum", sum(CASE WHEN mem_avg IS NULL THEN 0 ELSE n END) AS "memN",
                sum(score_avg * n) AS "scoreSum", sum(down_samples) AS down
         FROM health_rollups WHERE instance_id = ? AND bucket = '${bucket}' AND start >= ?`,
      )
    const hour = rollup('hour')
    const day = rollup('day')
    const raw = db.prepare(
      `SELECT count(DISTINCT substr(ts, 1, 13)) AS buckets, count(*) AS samples, max(cpu_pct) AS "cpuMax",
              max(mem_pct) AS "memMax", sum(cpu_pct) AS "cpuSum", count(cpu_pct) AS "cpuN", sum(mem_pct) AS "memSum",
              count(mem_pct) AS "memN", sum(score) AS "scoreSum", count(CASE WHEN score < 50 THEN 1 END) AS down
       FROM health_samples WHERE instance_id = ? AND ts >= ?`,
    )
    // Daily roll-ups only hold hours older than the hourly retention: a shorter window never meets one.
    const needDays = Date.parse(since) < this.store.clock().getTime() - HOURLY_RETENTION_MS
    const out = new Map<string, UsagePeak>()
    for (const id of instanceIds) {
      if (busy(id, needDays)) continue
      const parts: [Part, number][] = [
        [hour.get(id, since) as unknown as Part, 1],
        [raw.get(id, since) as unknown as Part, 1],
      ]
      if (needDays) parts.push([day.get(id, since) as unknown as Part, 24])
      const u = combine(id, parts)
      if (u) out.set(id, u)
    }
    return out
  }

  /** Health per instance since `since` (score and down samples only), every instance, one pass. */
  healthSince(since: string): { instanceId: string; samples: number; scoreSum: number; down: number }[] {
    const rollups = this.store.db
      .prepare(
        `SELECT instance_id AS "instanceId", sum(n) AS samples, sum(score_avg * n) AS "scoreSum", sum(down_samples) AS down
         FROM health_rollups ${this.store.sql.notIndexed} WHERE start >= ? GROUP BY instance_id`,
      )
      .all(since) as unknown as { instanceId: string; samples: number; scoreSum: number; down: number }[]
    const raw = this.store.db
      .prepare(
        `SELECT instance_id AS "instanceId", count(*) AS samples, sum(score) AS "scoreSum", count(CASE WHEN score < 50 THEN 1 END) AS down
         FROM health_samples WHERE ts >= ? GROUP BY instance_id`,
      )
      .all(since) as unknown as { instanceId: string; samples: number; scoreSum: number; down: number }[]
    return rollups.concat(raw)
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
        `SELECT id, provider, region, severity, status, opened_at AS "openedAt", resolved_at AS "resolvedAt", title
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
                  CASE WHEN count(CASE WHEN state <> 'DELETED' THEN 1 END) = 0 THEN max(updated_at) END AS deleted
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

interface Part {
  buckets: number
  samples: number | null
  cpuMax: number | null
  memMax: number | null
  cpuSum: number | null
  cpuN: number | null
  memSum: number | null
  memN: number | null
  scoreSum: number | null
  down: number | null
}

/** One instance's usage from its hourly, daily and raw parts (each weighted by its samples). */
function combine(instanceId: string, parts: readonly (readonly [Part, number])[]): UsagePeak | null {
  let hours = 0
  let samples = 0
  let cpuMax: number | null = null
  let memMax: number | null = null
  let cpuSum = 0
  let cpuN = 0
  let memSum = 0
  let memN = 0
  let scoreSum = 0
  let down = 0
  const max = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : Math.max(a, b))
  for (const [p, hoursPerBucket] of parts) {
    if (!p.samples) continue
    hours += p.buckets * hoursPerBucket
    samples += p.samples
    cpuMax = max(cpuMax, p.cpuMax)
    memMax = max(memMax, p.memMax)
    cpuSum += p.cpuSum ?? 0
    cpuN += p.cpuN ?? 0
    memSum += p.memSum ?? 0
    memN += p.memN ?? 0
    scoreSum += p.scoreSum ?? 0
    down += p.down ?? 0
  }
  if (samples === 0) return null
  return {
    instanceId,
    hours,
    cpuAvg: cpuN === 0 ? null : cpuSum / cpuN,
    cpuMax,
    memAvg: memN === 0 ? null : memSum / memN,
    memMax,
    scoreAvg: scoreSum / samples,
    downSamples: down,
    samples,
  }
}
