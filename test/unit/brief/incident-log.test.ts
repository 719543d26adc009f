import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { syncIncidentLog } from '../../../src/lib/brief/incident-log.js'
import { writeIncidentMemory } from '../../../src/lib/brief/memory.js'
import { BrieferLog } from '../../../src/lib/store/briefer-log.js'
import { Incidents } from '../../../src/lib/store/incidents.js'
import type { Store } from '../../../src/lib/store/store.js'
import { testContext } from '../../support/context.js'
import { event, pair } from './fixtures.js'

const NOW = '2026-11-26T07:00:00.000Z'
const DAY = 86_400_000

function incident(store: Store, id: string, openedAt: string, region = 'nbg1', minutes = 40) {
  store.repo(Incidents).insert({
    id,
    provider: 'hetzner',
    region,
    kind: 'provider-outage',
    status: 'open',
    severity: 'high',
    title: `Hetzner ${region}: network issues`,
    openedAt,
    timeline: [],
  })
  store.repo(Incidents).update(id, () => ({
    status: 'resolved',
    resolvedAt: new Date(Date.parse(openedAt) + minutes * 60_000).toISOString(),
  }))
}

const sync = (store: Store, since = new Date(Date.parse(NOW) - DAY).toISOString()) =>
  syncIncidentLog(store, { since, until: NOW, briefingId: 'brf-test', maxUnservedMinutes: 10, now: NOW })

describe('the Briefer incident log', () => {
  it('logs incidents once and names the n-th in the same place within 30 days', () => {
    const store = testContext().store()
    incident(store, 'inc-old', '2026-10-01T00:00:00.000Z') // more than 30 days back: no pattern
    incident(store, 'inc-a', '2026-11-10T03:00:00.000Z')
    incident(store, 'inc-fsn', '2026-11-12T03:00:00.000Z', 'fsn1')
    incident(store, 'inc-b', '2026-11-20T03:00:00.000Z')
    incident(store, 'inc-c', '2026-11-26T01:00:00.000Z')
    const first = sync(store)
    expect(first.entries.map((e) => e.sourceId)).toEqual(['inc-c'])
    expect(first.patterns.map((p) => p.text)).toEqual(['the third Hetzner Nuremberg incident in 30 days'])
    const again = sync(store)
    expect(again.entries.map((e) => e.id)).toEqual(first.entries.map((e) => e.id))
    expect(store.repo(BrieferLog).bySource('incident', 'inc-c')?.briefingId).toBe('brf-test')
  })

  it('groups the failovers of a region and day, and drops entries whose source is gone', () => {
    const store = testContext().store()
    pair(store, 'p-1', ['ACTIVE', 'ACTIVE'])
    incident(store, 'inc-x', '2026-11-26T02:00:00.000Z')
    event(store, 'HEAL_ESCALATED', '2026-11-26T03:00:00.000Z', { severity: 'critical', pairId: 'p-1' })
    event(store, 'HEAL_ESCALATED', '2026-11-26T03:05:00.000Z', { severity: 'warning', pairId: 'p-1' })
    store.db
      .prepare(
        `INSERT INTO failovers (id, op_id, pair_id, user_id, from_instance_id, to_instance_id, provider, region, state, actor, started_at)
         VALUES ('f1', 'o1', 'p-1', 'u', 'a', 'b', 'hetzner', 'nbg1', 'complete', 'guardian', '2026-11-26T02:10:00.000Z'),
                ('f2', 'o1', 'p-2', 'u', 'c', 'd', 'hetzner', 'nbg1', 'failed', 'guardian', '2026-11-26T02:11:00.000Z')`,
      )
      .run()
    const { entries } = sync(store)
    expect(entries.map((e) => [e.kind, e.title])).toEqual([
      ['incident', 'Hetzner nbg1: network issues'],
      ['failovers', '2 pairs failed over out of Hetzner Nuremberg'],
      ['heal-escalated', 'HEAL_ESCALATED p-1'],
    ])
    expect(entries[1]!.detail).toMatchObject({ count: 2, complete: 1, failed: 1 })
    store.db.prepare("DELETE FROM incidents WHERE id = 'inc-x'").run()
    expect(sync(store).entries.map((e) => e.kind)).toEqual(['failovers', 'heal-escalated'])
  })

  it('writes one memory file per day into the workspace, unchanged when nothing changed', () => {
    const store = testContext().store()
    incident(store, 'inc-a', '2026-11-20T03:00:00.000Z')
    incident(store, 'inc-b', '2026-11-26T01:00:00.000Z', 'nbg1', 25)
    sync(store, '2026-10-27T07:00:00.000Z')
    const ws = mkdtempSync(join(tmpdir(), 'clawops-ws-'))
    // The agent's own daily note is never touched.
    writeFileSync(join(ws, 'own.md'), 'mine')
    const r = writeIncidentMemory(store, ws, { until: NOW })
    expect(r).toMatchObject({ entries: 2, changed: 2 })
    expect(r.files).toEqual(['memory/2026-11-20-incident-log.md', 'memory/2026-11-26-incident-log.md'])
    const today = readFileSync(join(ws, 'memory/2026-11-26-incident-log.md'), 'utf8')
    expect(today).toMatch(/^# Incident log, 2026-11-26\n/)
    expect(today).toContain(
      '- 01:00 UTC, incident Hetzner Nuremberg (hetzner/nbg1): Hetzner nbg1: network issues. Resolved after 25 min. The second Hetzner Nuremberg incident in 30 days.',
    )
    expect(writeIncidentMemory(store, ws, { until: NOW }).changed).toBe(0)
    expect(readdirSync(join(ws, 'memory')).sort()).toEqual([
      '2026-11-20-incident-log.md',
      '2026-11-26-incident-log.md',
    ])
    expect(readFileSync(join(ws, 'own.md'), 'utf8')).toBe('mine')
  })
})
