import { createHash } from 'node:crypto'
import canonicalize from 'canonicalize'
import { beforeEach, describe, expect, it } from 'vitest'
import { AuditTrail } from '../../../src/lib/store/audit-trail.js'
import type { Store } from '../../../src/lib/store/store.js'
import { dropAuditTriggers, openTestStore } from '../../support/store-engine.js'

let store: Store
let trail: AuditTrail

function seed(n: number) {
  for (let i = 1; i <= n; i++) {
    trail.append({
      actor: i % 2 ? 'guardian' : 'commander',
      identity: i % 2 ? 'guardian' : 'commander',
      action: 'instance.restart',
      target: `i-${i}`,
      outcome: 'ok',
      details: { n: i },
    })
  }
}

/** Raw edits as an attacker with the file would make them: triggers dropped first. */
function tamper(sql: string, ...params: (string | number)[]) {
  dropAuditTriggers(store)
  store.db.prepare(sql).run(...params)
}

beforeEach(() => {
  store = openTestStore()
  trail = store.repo(AuditTrail)
})

describe('audit trail', () => {
  it('chains entries and verifies an untouched trail', () => {
    seed(5)
    const all = trail.query()
    expect(all.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5])
    expect(all[1]!.prevHash).toBe(all[0]!.hash)
    expect(trail.verify()).toMatchObject({ ok: true, entries: 5, firstBad: null })
  })

  it('refuses UPDATE and DELETE through SQL', () => {
    seed(2)
    expect(() => store.db.prepare("UPDATE audit SET actor = 'x' WHERE seq = 1").run()).toThrow(/append-only/)
    expect(() => store.db.prepare('DELETE FROM audit WHERE seq = 2').run()).toThrow(/append-only/)
  })

  it('names an edited entry', () => {
    seed(6)
    tamper(`UPDATE audit SET details = '{"n":99}' WHERE seq = 4`)
    expect(trail.verify()).toMatchObject({
      ok: false,
      firstBad: { seq: 4, reason: expect.stringContaining('edited') },
    })
  })

  it('covers the identity: changing who acted, or removing it, breaks the chain', () => {
    seed(4)
    tamper(`UPDATE audit SET identity = 'mallory@x' WHERE seq = 2`)
    expect(trail.verify()).toMatchObject({ ok: false, firstBad: { seq: 2 } })
  })

  it('keeps verifying entries written before identities (identity NULL hashes as before)', () => {
    seed(3)
    // An entry as clawops wrote it before migration 18: its hash over the fields it had then.
    const last = trail.query().at(-1)!
    const old = {
      seq: 4,
      ts: new Date().toISOString(),
      actor: 'operator',
      action: 'gateway.setup',
      target: null,
      opId: null,
      planId: null,
      outcome: 'ok' as const,
      details: null,
      prevHash: last.hash,
    }
    const hash = createHash('sha256').update(canonicalize(old)!).digest('hex')
    tamper(
      `INSERT INTO audit (seq, ts, actor, action, target, op_id, plan_id, outcome, details, prev_hash, hash)
       VALUES (4, '${old.ts}', 'operator', 'gateway.setup', NULL, NULL, NULL, 'ok', 'null', '${last.hash}', '${hash}')`,
    )
    store.db
      .prepare("UPDATE meta SET value = ? WHERE key = 'audit.head'")
      .run(JSON.stringify({ seq: 4, hash }))
    expect(trail.verify()).toMatchObject({ ok: true, entries: 4 })
    expect(trail.query().at(-1)).toMatchObject({ seq: 4, identity: null })
    // And the next entry, with an identity, chains on.
    trail.append({ actor: 'operator', identity: 'ada@laptop', action: 'x', outcome: 'ok' })
    expect(trail.verify()).toMatchObject({ ok: true, entries: 5 })
  })

  it('filters by role or by identity', () => {
    trail.append({ actor: 'operator', identity: 'ada@laptop', action: 'a', outcome: 'ok' })
    trail.append({ actor: 'operator', identity: 'bob@desk', action: 'b', outcome: 'ok' })
    trail.append({ actor: 'guardian', identity: 'guardian', action: 'c', outcome: 'ok' })
    expect(trail.query({ actor: 'operator' }).map((e) => e.action)).toEqual(['a', 'b'])
    expect(trail.query({ actor: 'bob@desk' }).map((e) => e.action)).toEqual(['b'])
    expect(trail.count({ actor: 'guardian' })).toBe(1)
  })

  it('names a removed entry', () => {
    seed(6)
    tamper('DELETE FROM audit WHERE seq = 3')
    expect(trail.verify()).toMatchObject({
      ok: false,
      firstBad: { seq: 3, reason: expect.stringContaining('missing') },
    })
  })

  it('names reordered entries', () => {
    seed(6)
    // Swap the contents of entries 2 and 5, keeping the sequence numbers in place.
    const row = (seq: number) =>
      store.db.prepare('SELECT * FROM audit WHERE seq = ?').get(seq) as Record<string, string>
    const a = row(2)
    const b = row(5)
    const set =
      'UPDATE audit SET ts=?, actor=?, action=?, target=?, details=?, prev_hash=?, hash=? WHERE seq=?'
    tamper(set, b.ts!, b.actor!, b.action!, b.target!, b.details!, b.prev_hash!, b.hash!, 2)
    tamper(set, a.ts!, a.actor!, a.action!, a.target!, a.details!, a.prev_hash!, a.hash!, 5)
    const r = trail.verify()
    expect(r.ok).toBe(false)
    expect(r.firstBad!.seq).toBe(2)
  })

  it('notices the tail was cut off', () => {
    seed(6)
    tamper('DELETE FROM audit WHERE seq >= 5')
    expect(trail.verify()).toMatchObject({
      ok: false,
      firstBad: { seq: 5, reason: expect.stringContaining('removed') },
    })
  })

  it('never stores secrets in details', () => {
    const e = trail.append({
      actor: 'operator',
      identity: 'ada@laptop',
      action: 'gateway.setup',
      outcome: 'ok',
      details: { url: 'ws://x', token: 'hunter2', nested: { apiKey: 'k', hooksToken: 's' } },
    })
    expect(JSON.stringify(e.details)).not.toMatch(/hunter2|"k"|"s"/)
    expect(e.details).toMatchObject({ url: 'ws://x', token: '[redacted]' })
  })

  it('filters by actor, target, action prefix and time', () => {
    seed(6)
    trail.append({
      actor: 'forge',
      identity: 'forge',
      action: 'provision.create',
      target: 'p-1',
      outcome: 'intent',
    })
    expect(trail.query({ actor: 'guardian' })).toHaveLength(3)
    expect(trail.query({ target: 'i-2' })).toHaveLength(1)
    expect(trail.query({ action: 'provision' }).map((e) => e.action)).toEqual(['provision.create'])
    expect(trail.query({ since: '2999-01-01T00:00:00Z' })).toHaveLength(0)
    expect(trail.query({ limit: 2 }).map((e) => e.seq)).toEqual([6, 7])
  })
})
