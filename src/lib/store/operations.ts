/**
 * The operations journal: one row per operation and one per step. Every step is marked running
 * before it touches anything and done after, so `clawops ops resume` knows exactly where a crashed
 * run stopped.
 */
import { isActor } from '../domain/actor.js'
import type { Operation, OperationState, OperationStep, StepState } from '../domain/operation.js'
import type { PlanStep } from '../domain/plan.js'
import { cached } from './statement-cache.js'
import type { Store } from './store.js'

interface OpRow {
  id: string
  kind: string
  plan_id: string
  actor: string
  identity: string | null
  state: OperationState
  params: string
  summary: string
  lease_owner: string | null
  lease_until: string | null
  created_at: string
  updated_at: string
  finished_at: string | null
  error: string | null
}

interface StepRow {
  op_id: string
  seq: number
  name: string
  target: string | null
  input: string
  state: StepState
  attempts: number
  checkpoint: string | null
  result: string | null
  error: string | null
  started_at: string | null
  finished_at: string | null
  final: number
}

const json = (s: string | null) => (s === null ? null : JSON.parse(s))

function opFromRow(r: OpRow): Operation {
  return {
    id: r.id,
    kind: r.kind,
    planId: r.plan_id,
    actor: r.actor,
    identity: r.identity,
    state: r.state,
    params: JSON.parse(r.params),
    summary: r.summary,
    leaseOwner: r.lease_owner,
    leaseUntil: r.lease_until,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    finishedAt: r.finished_at,
    error: json(r.error),
  }
}

function stepFromRow(r: StepRow): OperationStep {
  return {
    opId: r.op_id,
    seq: r.seq,
    name: r.name,
    target: r.target,
    input: JSON.parse(r.input),
    state: r.state,
    attempts: r.attempts,
    checkpoint: json(r.checkpoint),
    result: json(r.result),
    error: json(r.error),
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    final: r.final === 1,
  }
}

export interface OperationFilter {
  states?: readonly OperationState[]
  kind?: string
  actor?: string
  limit?: number
}

export class Operations {
  constructor(private readonly store: Store) {}

  /** Creates the operation and all its steps (pending) in the caller's transaction. */
  create(
    op: {
      id: string
      kind: string
      planId: string
      actor: string
      identity: string
      params: unknown
      summary: string
    },
    steps: readonly PlanStep[],
  ): void {
    const now = this.store.now()
    this.store.db
      .prepare(
        `INSERT INTO operations (id, kind, plan_id, actor, identity, state, params, summary, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, 'running', ?, ?, ?, ?)`,
      )
      .run(op.id, op.kind, op.planId, op.actor, op.identity, JSON.stringify(op.params), op.summary, now, now)
    const ins = this.store.db.prepare(
      `INSERT INTO op_steps (op_id, seq, name, target, input, state, final) VALUES (?, ?, ?, ?, ?, 'pending', ?)`,
    )
    for (const [i, s] of steps.entries())
      ins.run(op.id, i + 1, s.name, s.target, JSON.stringify(s.input ?? null), s.final ? 1 : 0)
  }

  get(id: string): Operation | undefined {
    const row = this.store.db.prepare('SELECT * FROM operations WHERE id = ?').get(id) as OpRow | undefined
    return row && opFromRow(row)
  }

  list(f: OperationFilter = {}): Operation[] {
    const { where, params } = opFilter(f)
    const sql = `SELECT * FROM operations${where}
      ORDER BY created_at DESC, id DESC LIMIT ?`
    return (this.store.db.prepare(sql).all(...params, f.limit ?? 50) as unknown as OpRow[]).map(opFromRow)
  }

  /** How many operations match `f`, whatever its limit. */
  count(f: OperationFilter = {}): number {
    const { where, params } = opFilter(f)
    return (
      this.store.db.prepare(`SELECT count(*) AS n FROM operations${where}`).get(...params) as { n: number }
    ).n
  }

  steps(opId: string): OperationStep[] {
    return (
      this.store.db
        .prepare('SELECT * FROM op_steps WHERE op_id = ? ORDER BY seq')
        .all(opId) as unknown as StepRow[]
    ).map(stepFromRow)
  }

  stepCounts(opId: string): Record<StepState, number> {
    const counts: Record<StepState, number> = { pending: 0, running: 0, done: 0, failed: 0 }
    const rows = this.store.db
      .prepare('SELECT state, count(*) AS n FROM op_steps WHERE op_id = ? GROUP BY state')
      .all(opId) as { state: StepState; n: number }[]
    for (const r of rows) counts[r.state] = r.n
    return counts
  }

  /**
   * The instances that steps named `step` of operations of `kinds` touched since `since` (started
   * then), or are about to (pending in a running operation created since), with where the instance
   * is and whose it is. A step that finished with `{"skipped": true}` did nothing and is left out;
   * so is the step `except` (the one being judged).
   */
  stepTargetsSince(
    kinds: readonly string[],
    step: string,
    since: string,
    except?: { opId: string; seq: number },
  ): { opId: string; instanceId: string; userId: string; provider: string; region: string }[] {
    // Two lookups, not one OR: steps started in the window (by name and start time), and pending
    // steps of operations still running (by state and creation time).
    const kindList = kinds.map(() => '?').join(',')
    const rows = cached(
      this.store.db,
      `SELECT s.op_id, s.target, i.user_id, i.provider, i.region
           FROM op_steps s JOIN operations o ON o.id = s.op_id JOIN instances i ON i.id = s.target
          WHERE s.name = ? AND s.started_at >= ? AND o.kind IN (${kindList})
            AND NOT (s.state = 'done' AND ${this.store.sql.jsonTrue('s.result', "'skipped'")})
            AND NOT (s.op_id = ? AND s.seq = ?)
         UNION ALL
         SELECT s.op_id, s.target, i.user_id, i.provider, i.region
           FROM operations o JOIN op_steps s ON s.op_id = o.id JOIN instances i ON i.id = s.target
          WHERE o.state = 'running' AND o.created_at >= ? AND o.kind IN (${kindList})
            AND s.name = ? AND s.state = 'pending' AND s.started_at IS NULL
            AND NOT (s.op_id = ? AND s.seq = ?)`,
    ).all(
      step,
      since,
      ...kinds,
      except?.opId ?? '',
      except?.seq ?? -1,
      since,
      ...kinds,
      step,
      except?.opId ?? '',
      except?.seq ?? -1,
    ) as {
      op_id: string
      target: string
      user_id: string
      provider: string
      region: string
    }[]
    return rows.map((r) => ({
      opId: r.op_id,
      instanceId: r.target,
      userId: r.user_id,
      provider: r.provider,
      region: r.region,
    }))
  }

  startStep(opId: string, seq: number): void {
    this.store.db
      .prepare(
        `UPDATE op_steps SET state = 'running', attempts = attempts + 1, started_at = ?, error = NULL
         WHERE op_id = ? AND seq = ?`,
      )
      .run(this.store.now(), opId, seq)
  }

  checkpoint(opId: string, seq: number, data: unknown): void {
    this.store.db
      .prepare('UPDATE op_steps SET checkpoint = ? WHERE op_id = ? AND seq = ?')
      .run(JSON.stringify(data), opId, seq)
  }

  finishStep(
    opId: string,
    seq: number,
    outcome: { state: 'done'; result: unknown } | { state: 'failed'; error: unknown },
  ): void {
    const value = outcome.state === 'done' ? outcome.result : outcome.error
    this.store.db
      .prepare(
        `UPDATE op_steps SET state = ?, ${outcome.state === 'done' ? 'result' : 'error'} = ?, finished_at = ?
         WHERE op_id = ? AND seq = ?`,
      )
      .run(outcome.state, JSON.stringify(value ?? null), this.store.now(), opId, seq)
  }

  /** Resets failed steps to pending so a resume retries them. */
  retryFailed(opId: string): number {
    return Number(
      this.store.db
        .prepare("UPDATE op_steps SET state = 'pending' WHERE op_id = ? AND state = 'failed'")
        .run(opId).changes,
    )
  }

  /** Sets the state; an operation that has ended gives up what it held (op_locks). */
  setState(opId: string, state: OperationState, error: unknown = null): void {
    const now = this.store.now()
    const finished = state === 'running' ? null : now
    this.store.db
      .prepare('UPDATE operations SET state = ?, error = ?, updated_at = ?, finished_at = ? WHERE id = ?')
      .run(state, error === null ? null : JSON.stringify(error), now, finished, opId)
    if (state !== 'running') this.store.db.prepare('DELETE FROM op_locks WHERE op_id = ?').run(opId)
  }

  /**
   * Takes the operation's lease so two clawops processes never run it at once. A lease whose
   * holder stopped renewing it (a crash) expires and can be taken over.
   */
  acquireLease(opId: string, owner: string, ttlMs: number): boolean {
    const now = this.store.sharedClock()
    const until = new Date(now.getTime() + ttlMs).toISOString()
    const r = this.store.db
      .prepare(
        `UPDATE operations SET lease_owner = ?, lease_until = ?
         WHERE id = ? AND (lease_owner IS NULL OR lease_owner = ? OR lease_until < ?)`,
      )
      .run(owner, until, opId, owner, now.toISOString())
    return Number(r.changes) === 1
  }

  /** Extends the lease only while `owner` still holds it: a renewal never takes back a lost lease. */
  renewLease(opId: string, owner: string, ttlMs: number): boolean {
    const until = new Date(this.store.sharedClock().getTime() + ttlMs).toISOString()
    const r = this.store.db
      .prepare('UPDATE operations SET lease_until = ? WHERE id = ? AND lease_owner = ?')
      .run(until, opId, owner)
    return Number(r.changes) === 1
  }

  releaseLease(opId: string, owner: string): void {
    this.store.db
      .prepare(
        'UPDATE operations SET lease_owner = NULL, lease_until = NULL WHERE id = ? AND lease_owner = ?',
      )
      .run(opId, owner)
  }

  /** How many operations of each kind ended done, failed or partial in [since, until), by kind. */
  finishedBetween(
    since: string,
    until: string,
  ): { kind: string; state: 'done' | 'failed' | 'partial'; n: number }[] {
    return this.store.db
      .prepare(
        `SELECT kind, state, count(*) AS n FROM operations WHERE finished_at >= ? AND finished_at < ?
         AND state IN ('done', 'failed', 'partial') GROUP BY kind, state ORDER BY kind`,
      )
      .all(since, until) as { kind: string; state: 'done' | 'failed' | 'partial'; n: number }[]
  }

  /** The newest failover operation of `pairId` created since operation `sinceOpId` was (a heal's own). */
  failoverOfPairSince(pairId: string, sinceOpId: string): string | undefined {
    const row = this.store.db
      .prepare(
        `SELECT f.id FROM operations f, operations h WHERE h.id = ? AND f.kind = 'failover' AND f.created_at >= h.created_at
           AND EXISTS (SELECT 1 FROM ${this.store.sql.jsonArray('f.params', "'pairs'")} WHERE value = ?)
         ORDER BY f.created_at DESC LIMIT 1`,
      )
      .get(sinceOpId, pairId) as { id: string } | undefined
    return row?.id
  }
}

function opFilter(f: OperationFilter): { where: string; params: (string | number)[] } {
  const where: string[] = []
  const params: (string | number)[] = []
  if (f.states?.length) {
    where.push(`state IN (${f.states.map(() => '?').join(',')})`)
    params.push(...f.states)
  }
  if (f.kind) {
    where.push('kind = ?')
    params.push(f.kind)
  }
  if (f.actor) {
    where.push(isActor(f.actor) ? 'actor = ?' : 'identity = ?')
    params.push(f.actor)
  }
  return { where: where.length ? ` WHERE ${where.join(' AND ')}` : '', params }
}
