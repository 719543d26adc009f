/**
 * The audit trail: append-only (SQLite triggers refuse UPDATE and DELETE) and hash-chained. Each entry
 * hashes its own fields and the previous entry's hash, and the head (last seq and hash) is kept in
 * `meta` in the same transaction, so `verify` finds an edited, removed, reordered or truncated entry.
 * An entry names the role policy judged (`actor`) and who acted (`identity`: an operator's name or an
 * agent's id); entries written before identities existed have none, and hash as they always did.
 */
import { createHash } from 'node:crypto'
import canonicalize from 'canonicalize'
import { isActor } from '../domain/actor.js'
import type { AuditEntry, AuditOutcome } from '../domain/audit.js'
import { redactSecrets } from '../redact.js'
import type { Store } from './store.js'

export const GENESIS_HASH = '0'.repeat(64)
const HEAD_KEY = 'audit.head'

export interface AuditInput {
  actor: string
  /** Who acted under that role; required, so no path writes an entry without it. */
  identity: string
  action: string
  target?: string | null
  opId?: string | null
  planId?: string | null
  outcome: AuditOutcome
  details?: unknown
}

interface AuditRow {
  seq: number
  ts: string
  actor: string
  identity: string | null
  action: string
  target: string | null
  op_id: string | null
  plan_id: string | null
  outcome: AuditOutcome
  details: string
  prev_hash: string
  hash: string
}

function fromRow(r: AuditRow): AuditEntry {
  return {
    seq: r.seq,
    ts: r.ts,
    actor: r.actor,
    identity: r.identity,
    action: r.action,
    target: r.target,
    opId: r.op_id,
    planId: r.plan_id,
    outcome: r.outcome,
    details: JSON.parse(r.details),
    prevHash: r.prev_hash,
    hash: r.hash,
  }
}

/**
 * The hash of an entry: SHA-256 over the RFC 8785 canonical JSON of every field but the hash. The
 * identity is a field only when there is one, so an entry from before migration 18 keeps its hash.
 */
export function hashEntry(e: Omit<AuditEntry, 'hash'>): string {
  const { seq, ts, actor, identity, action, target, opId, planId, outcome, details, prevHash } = e
  const canonical = canonicalize({
    seq,
    ts,
    actor,
    ...(identity === null ? {} : { identity }),
    action,
    target,
    opId,
    planId,
    outcome,
    details,
    prevHash,
  })
  return createHash('sha256')
    .update(canonical ?? '')
    .digest('hex')
}

export interface AuditFilter {
  /** A role (its name) or an identity (anything else). */
  actor?: string
  target?: string
  action?: string
  since?: string
  opId?: string
  limit?: number
}

export interface VerifyResult {
  ok: boolean
  entries: number
  head: { seq: number; hash: string } | null
  /** The first entry that does not check out, and why. */
  firstBad: { seq: number; reason: string } | null
}

export class AuditTrail {
  constructor(private readonly store: Store) {}

  /** Appends one entry; joins the caller's transaction or opens its own. */
  append(input: AuditInput): AuditEntry {
    return this.store.tx(() => {
      const last = this.store.db.prepare('SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1').get() as
        | { seq: number; hash: string }
        | undefined
      const entry: Omit<AuditEntry, 'hash'> = {
        seq: (last?.seq ?? 0) + 1,
        ts: this.store.now(),
        actor: input.actor,
        identity: input.identity,
        action: input.action,
        target: input.target ?? null,
        opId: input.opId ?? null,
        planId: input.planId ?? null,
        outcome: input.outcome,
        details: redactSecrets(input.details ?? null),
        prevHash: last?.hash ?? GENESIS_HASH,
      }
      const hash = hashEntry(entry)
      this.store.db
        .prepare(
          `INSERT INTO audit (seq, ts, actor, identity, action, target, op_id, plan_id, outcome, details, prev_hash, hash)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          entry.seq,
          entry.ts,
          entry.actor,
          entry.identity,
          entry.action,
          entry.target,
          entry.opId,
          entry.planId,
          entry.outcome,
          JSON.stringify(entry.details),
          entry.prevHash,
          hash,
        )
      this.store.db
        .prepare(
          'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value',
        )
        .run(HEAD_KEY, JSON.stringify({ seq: entry.seq, hash }))
      return { ...entry, hash }
    })
  }

  query(f: AuditFilter = {}): AuditEntry[] {
    const { where, params } = this.filter(f)
    const sql = `SELECT * FROM (SELECT * FROM audit${where}
      ORDER BY seq DESC LIMIT ?) AS recent ORDER BY seq`
    return (this.store.db.prepare(sql).all(...params, f.limit ?? 100) as unknown as AuditRow[]).map(fromRow)
  }

  /** How many entries match `f`, whatever its limit. */
  count(f: AuditFilter = {}): number {
    const { where, params } = this.filter(f)
    return (this.store.db.prepare(`SELECT count(*) AS n FROM audit${where}`).get(...params) as { n: number })
      .n
  }

  private filter(f: AuditFilter): { where: string; params: (string | number)[] } {
    const where: string[] = []
    const params: (string | number)[] = []
    const eq = (col: string, v: string | undefined) => {
      if (v === undefined) return
      where.push(`${col} = ?`)
      params.push(v)
    }
    // A role's name is the role (never a human who took it as a name: see resolveIdentity).
    if (f.actor !== undefined) {
      where.push(isActor(f.actor) ? 'actor = ?' : 'identity = ?')
      params.push(f.actor)
    }
    eq('target', f.target)
    eq('op_id', f.opId)
    if (f.action) {
      // `provision` matches provision and provision.*: actions are dotted paths.
      where.push('(action = ? OR action LIKE ?)')
      params.push(f.action, `${f.action}.%`)
    }
    if (f.since) {
      where.push('ts >= ?')
      params.push(f.since)
    }
    return { where: where.length ? ` WHERE ${where.join(' AND ')}` : '', params }
  }

  /** Walks the whole chain in order; stops at the first entry that does not check out. */
  verify(): VerifyResult {
    let prevHash = GENESIS_HASH
    let expectSeq = 1
    let count = 0
    let last: { seq: number; hash: string } | null = null
    const bad = (seq: number, reason: string): VerifyResult => ({
      ok: false,
      entries: count,
      head: last,
      firstBad: { seq, reason },
    })
    for (const row of this.store.db
      .prepare('SELECT * FROM audit ORDER BY seq')
      .iterate() as Iterable<AuditRow>) {
      let entry: AuditEntry
      try {
        entry = fromRow(row)
      } catch {
        return bad(row.seq, 'details are not valid JSON (edited)')
      }
      if (row.seq !== expectSeq) {
        return bad(
          expectSeq,
          row.seq > expectSeq ? `entry ${expectSeq} is missing (removed)` : 'sequence out of order',
        )
      }
      if (entry.prevHash !== prevHash) {
        return bad(
          row.seq,
          'previous-hash link is broken (an entry before it was removed, reordered or edited)',
        )
      }
      if (hashEntry(entry) !== entry.hash) return bad(row.seq, 'content does not match its hash (edited)')
      prevHash = entry.hash
      expectSeq++
      count++
      last = { seq: entry.seq, hash: entry.hash }
    }
    const headRow = this.store.db.prepare('SELECT value FROM meta WHERE key = ?').get(HEAD_KEY) as
      | { value: string }
      | undefined
    const head = headRow ? (JSON.parse(headRow.value) as { seq: number; hash: string }) : null
    if (head && (!last || head.seq !== last.seq || head.hash !== last.hash)) {
      return bad(
        last ? last.seq + 1 : 1,
        `the trail ends before its recorded head (seq ${head.seq}): entries were removed`,
      )
    }
    if (!head && last) return bad(1, 'the recorded head is missing')
    return { ok: true, entries: count, head: last, firstBad: null }
  }
}
