/**
 * Health history: raw samples from sweeps, rolled up into hourly and daily buckets so 30 days of a
 * 10,000-pair fleet stay small. Watch writes it; the Ledger (waste, provider scores) and the Briefer
 * read it.
 */
import type { Store } from './store.js'

export interface HealthSample {
  instanceId: string
  ts: string
  score: number
  heartbeatAgeS: number | null
  cpuPct: number | null
  memPct: number | null
  diskPct: number | null
  openclawOk: boolean | null
}

export interface Rollup {
  instanceId: string
  bucket: 'hour' | 'day'
  start: string
  n: number
  scoreAvg: number
  scoreMin: number
  cpuAvg: number | null
  cpuMax: number | null
  memAvg: number | null
  memMax: number | null
  /** Samples in the bucket whose score was below 50 (degraded or down). */
  downSamples: number
}

export interface Usage {
  instanceId: string
  samples: number
  cpuAvg: number | null
  cpuMax: number | null
  memAvg: number | null
  memMax: number | null
  scoreAvg: number
}

/** Raw samples older than this become hourly roll-ups; hourly older than a week become daily. */
export const RAW_RETENTION_MS = 48 * 3600_000
export const HOURLY_RETENTION_MS = 7 * 24 * 3600_000
export const HISTORY_RETENTION_MS = 30 * 24 * 3600_000

const iso = (ms: number) => new Date(ms).toISOString()

export class HealthHistory {
  constructor(private readonly store: Store) {}

  record(samples: readonly HealthSample[]): void {
    this.store.tx(() => {
      this.store.db.batch(
        `INSERT INTO health_samples (instance_id, ts, score, heartbeat_age_s, cpu_pct, mem_pct, disk_pct, openclaw_ok)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (instance_id, ts) DO UPDATE SET score = excluded.score, heartbeat_age_s = excluded.heartbeat_age_s,
           cpu_pct = excluded.cpu_pct, mem_pct = excluded.mem_pct, disk_pct = excluded.disk_pct,
           openclaw_ok = excluded.openclaw_ok`,
        samples.map((s) => [
          s.instanceId,
          s.ts,
          s.score,
          s.heartbeatAgeS,
          s.cpuPct,
          s.memPct,
          s.diskPct,
          s.openclawOk === null ? null : Number(s.openclawOk),
        ]),
      )
    })
  }

  /** Writes roll-ups directly (synthetic lab history, imports). */
  recordRollups(rows: readonly Rollup[]): void {
    this.store.tx(() => {
      this.store.db.batch(
        `INSERT INTO health_rollups (instance_id, bucket, start, n, score_avg, score_min, cpu_avg, cpu_max,
         mem_avg, mem_max, down_samples) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (instance_id, bucket, start) DO UPDATE SET n = excluded.n, score_avg = excluded.score_avg,
           score_min = excluded.score_min, cpu_avg = excluded.cpu_avg, cpu_max = excluded.cpu_max,
           mem_avg = excluded.mem_avg, mem_max = excluded.mem_max, down_samples = excluded.down_samples`,
        rows.map((r) => [
          r.instanceId,
          r.bucket,
          r.start,
          r.n,
          r.scoreAvg,
          r.scoreMin,
          r.cpuAvg,
          r.cpuMax,
          r.memAvg,
          r.memMax,
          r.downSamples,
        ]),
      )
    })
  }

  /**
   * Folds old raw samples into hourly buckets and old hourly buckets into daily ones, and drops what
   * is older than 30 days; one transaction, so a crash never loses or double-counts samples.
   */
  downsample(now: Date): { hourly: number; daily: number; dropped: number } {
    const t = now.getTime()
    // Merging into a bucket that already exists (a later fold of the same hour) weighs both by count.
    const sql = this.store.sql
    const r = 'health_rollups'
    const merge = `
             score_avg = (${r}.score_avg * ${r}.n + excluded.score_avg * excluded.n) / (${r}.n + excluded.n),
             score_min = ${sql.least(`${r}.score_min`, 'excluded.score_min')},
             cpu_avg = (coalesce(${r}.cpu_avg, 0) * ${r}.n + coalesce(excluded.cpu_avg, 0) * excluded.n) / (${r}.n + excluded.n),
             cpu_max = ${sql.greatest(`coalesce(${r}.cpu_max, 0)`, 'coalesce(excluded.cpu_max, 0)')},
             mem_avg = (coalesce(${r}.mem_avg, 0) * ${r}.n + coalesce(excluded.mem_avg, 0) * excluded.n) / (${r}.n + excluded.n),
             mem_max = ${sql.greatest(`coalesce(${r}.mem_max, 0)`, 'coalesce(excluded.mem_max, 0)')},
             down_samples = ${r}.down_samples + excluded.down_samples,
             n = ${r}.n + excluded.n`
    return this.store.tx(() => {
      const db = this.store.db
      const rawCut = iso(t - RAW_RETENTION_MS)
      const hourly = db
        .prepare(
          `INSERT INTO health_rollups (instance_id, bucket, start, n, score_avg, score_min, cpu_avg, cpu_max, mem_avg, mem_max, down_samples)
           SELECT instance_id, 'hour', substr(ts, 1, 13) || ':00:00.000Z', count(*), avg(score), min(score),
                  avg(cpu_pct), max(cpu_pct), avg(mem_pct), max(mem_pct), count(CASE WHEN score < 50 THEN 1 END)
           FROM health_samples WHERE ts < ? GROUP BY instance_id, substr(ts, 1, 13)
           ON CONFLICT (instance_id, bucket, start) DO UPDATE SET ${merge}`,
        )
        .run(rawCut).changes
      db.prepare('DELETE FROM health_samples WHERE ts < ?').run(rawCut)

      const hourCut = iso(t - HOURLY_RETENTION_MS)
      const daily = db
        .prepare(
          `INSERT INTO health_rollups (instance_id, bucket, start, n, score_avg, score_min, cpu_avg, cpu_max, mem_avg, mem_max, down_samples)
           SELECT instance_id, 'day', substr(start, 1, 10) || 'T00:00:00.000Z', sum(n), sum(score_avg * n) / sum(n), min(score_min),
                  sum(cpu_avg * n) / sum(n), max(cpu_max), sum(mem_avg * n) / sum(n), max(mem_max), sum(down_samples)
           FROM health_rollups WHERE bucket = 'hour' AND start < ? GROUP BY instance_id, substr(start, 1, 10)
           ON CONFLICT (instance_id, bucket, start) DO UPDATE SET ${merge}`,
        )
        .run(hourCut).changes
      db.prepare("DELETE FROM health_rollups WHERE bucket = 'hour' AND start < ?").run(hourCut)
      const dropped = db
        .prepare("DELETE FROM health_rollups WHERE bucket = 'day' AND start < ?")
        .run(iso(t - HISTORY_RETENTION_MS)).changes
      return { hourly: Number(hourly), daily: Number(daily), dropped: Number(dropped) }
    })
  }

  /** CPU and memory use per instance since `since`, over raw samples and roll-ups alike. */
  usageSince(since: string): Usage[] {
    return this.store.db
      .prepare(
        `SELECT instance_id AS "instanceId", sum(n) AS samples,
                sum(cpu_avg * n) / nullif(sum(CASE WHEN cpu_avg IS NULL THEN 0 ELSE n END), 0) AS "cpuAvg", max(cpu_max) AS "cpuMax",
                sum(mem_avg * n) / nullif(sum(CASE WHEN mem_avg IS NULL THEN 0 ELSE n END), 0) AS "memAvg", max(mem_max) AS "memMax",
                sum(score_avg * n) / sum(n) AS "scoreAvg"
         FROM (
           SELECT instance_id, n, cpu_avg, cpu_max, mem_avg, mem_max, score_avg FROM health_rollups WHERE start >= ?
           UNION ALL
           SELECT instance_id, 1, cpu_pct, cpu_pct, mem_pct, mem_pct, score FROM health_samples WHERE ts >= ?
         ) AS u GROUP BY instance_id`,
      )
      .all(since, since) as unknown as Usage[]
  }

  /** One instance's recent raw samples, newest last. */
  samples(instanceId: string, since: string): HealthSample[] {
    return (
      this.store.db
        .prepare('SELECT * FROM health_samples WHERE instance_id = ? AND ts >= ? ORDER BY ts')
        .all(instanceId, since) as unknown as {
        instance_id: string
        ts: string
        score: number
        heartbeat_age_s: number | null
        cpu_pct: number | null
        mem_pct: number | null
        disk_pct: number | null
        openclaw_ok: number | null
      }[]
    ).map((r) => ({
      instanceId: r.instance_id,
      ts: r.ts,
      score: r.score,
      heartbeatAgeS: r.heartbeat_age_s,
      cpuPct: r.cpu_pct,
      memPct: r.mem_pct,
      diskPct: r.disk_pct,
      openclawOk: r.openclaw_ok === null ? null : r.openclaw_ok === 1,
    }))
  }
}
