/** Rows of `watch_runs` (migration 10): each `clawops watch` process, its cycles and its last sign of life. */
import type { Store } from './store.js'

/** A watch daemon records a sign of life this often; readers judge it gone after three missed ones. */
export const WATCH_HEARTBEAT_MS = 30_000

export interface WatchRun {
  id: string
  mode: 'daemon' | 'once'
  heal: boolean
  pid: number
  host: string
  intervalMs: number
  startedAt: string
  lastSeenAt: string
  lastCycleAt: string | null
  lastCycleMs: number | null
  lastCycleSwept: number | null
  /** Why the last cycle's sweep did not run (the gateway was unreachable), or null. */
  lastCycleSkipped: string | null
  cycles: number
  stoppedAt: string | null
}

interface Row {
  id: string
  mode: 'daemon' | 'once'
  heal: number
  pid: number
  host: string
  interval_ms: number
  started_at: string
  last_seen_at: string
  last_cycle_at: string | null
  last_cycle_ms: number | null
  last_cycle_swept: number | null
  last_cycle_skipped: string | null
  cycles: number
  stopped_at: string | null
}

const fromRow = (r: Row): WatchRun => ({
  id: r.id,
  mode: r.mode,
  heal: r.heal === 1,
  pid: r.pid,
  host: r.host,
  intervalMs: r.interval_ms,
  startedAt: r.started_at,
  lastSeenAt: r.last_seen_at,
  lastCycleAt: r.last_cycle_at,
  lastCycleMs: r.last_cycle_ms,
  lastCycleSwept: r.last_cycle_swept,
  lastCycleSkipped: r.last_cycle_skipped,
  cycles: r.cycles,
  stoppedAt: r.stopped_at,
})

export class WatchRuns {
  constructor(private readonly store: Store) {}

  start(r: Pick<WatchRun, 'id' | 'mode' | 'heal' | 'pid' | 'host' | 'intervalMs' | 'startedAt'>): void {
    this.store.db
      .prepare(
        `INSERT INTO watch_runs (id, mode, heal, pid, host, interval_ms, started_at, last_seen_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(r.id, r.mode, r.heal ? 1 : 0, r.pid, r.host, r.intervalMs, r.startedAt, r.startedAt)
  }

  seen(id: string, at: string): void {
    this.store.db.prepare('UPDATE watch_runs SET last_seen_at = ? WHERE id = ?').run(at, id)
  }

  cycle(
    id: string,
    c: { at: string; endedAt: string; durationMs: number; swept: number | null; skipped: string | null },
  ): void {
    this.store.db
      .prepare(
        `UPDATE watch_runs SET last_cycle_at = ?, last_cycle_ms = ?, last_cycle_swept = ?, last_cycle_skipped = ?,
           cycles = cycles + 1, last_seen_at = ? WHERE id = ?`,
      )
      .run(c.at, c.durationMs, c.swept, c.skipped, c.endedAt, id)
  }

  stop(id: string, at: string): void {
    this.store.db
      .prepare('UPDATE watch_runs SET stopped_at = ?, last_seen_at = ? WHERE id = ? AND stopped_at IS NULL')
      .run(at, at, id)
  }

  /** The run seen most recently, and the newest run that completed a cycle (often the same one). */
  latest(): { run: WatchRun | undefined; lastCycle: WatchRun | undefined } {
    const run = this.store.db.prepare('SELECT * FROM watch_runs ORDER BY last_seen_at DESC LIMIT 1').get() as
      | Row
      | undefined
    const cyc = this.store.db
      .prepare('SELECT * FROM watch_runs WHERE last_cycle_at IS NOT NULL ORDER BY last_cycle_at DESC LIMIT 1')
      .get() as Row | undefined
    return { run: run && fromRow(run), lastCycle: cyc && fromRow(cyc) }
  }
}
