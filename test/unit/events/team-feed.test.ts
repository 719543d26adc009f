import { chmodSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeEach, describe, expect, it } from 'vitest'
import { DEFAULT_CONFIG } from '../../../src/lib/config/defaults.js'
import { ConfigSchema } from '../../../src/lib/config/schema.js'
import { feedUrl } from '../../../src/lib/config/team-feeds.js'
import { Engine } from '../../../src/lib/engine/engine.js'
import { UserError } from '../../../src/lib/errors.js'
import { emitEvent } from '../../../src/lib/events/emit.js'
import { productionKinds } from '../../../src/lib/kinds.js'
import { seedFleet } from '../../../src/lib/lab/seed.js'
import { FleetEvents } from '../../../src/lib/store/fleet-events.js'
import { Instances } from '../../../src/lib/store/instances.js'
import { Outbox } from '../../../src/lib/store/outbox.js'
import { manualClock, tempHome, testContext } from '../../support/context.js'
import { labelKind } from '../../support/test-kinds.js'

const kind = labelKind('test.feed-label')
const engine = new Engine(productionKinds().add(kind.kind, kind))
const config = (team?: object) =>
  ConfigSchema.parse({ ...structuredClone(DEFAULT_CONFIG), ...(team ? { team } : {}) })
const eng = (o: object = {}) => ({ feeds: { eng: { kind: 'discord', urlEnv: 'ENG_WEBHOOK', ...o } } })

let home: string
beforeEach(() => {
  home = tempHome()
  seedFleet(testContext({ home, clock: manualClock() }), { pairs: 4, seed: 3 })
})

const feedTypes = (ctx: ReturnType<typeof testContext>) =>
  ctx
    .store()
    .repo(FleetEvents)
    .list({ limit: 1000 })
    .filter((e) =>
      ctx
        .store()
        .repo(Outbox)
        .byEvent(e.id)
        .some((r) => r.target === 'feed:eng'),
    )
    .map((e) => [e.type, e.severity, (e.payload as { data: { identity?: string } }).data.identity])

describe('team feed events', () => {
  it('records an operation started and failed, with who ran it, for a feed that hears them', async () => {
    const ctx = testContext({
      home,
      env: { CLAWOPS_OPERATOR: 'ada@laptop' },
      config: config(eng({ events: ['OPERATION_STARTED', 'OPERATION_FAILED'] })),
    })
    const one = ctx.store().repo(Instances).list()[0]!
    const r = await engine.mutate(ctx, kind, {
      selector: `pair=${one.pairId}`,
      value: 'a',
      failOnce: [one.id],
    })
    expect(r.status).toBe('partial')
    expect(feedTypes(ctx)).toEqual([
      ['OPERATION_STARTED', 'info', 'ada@laptop'],
      ['OPERATION_FAILED', 'warning', 'ada@laptop'],
    ])
  })

  it('records no operation events where no feed hears them', async () => {
    const ctx = testContext({ home, config: config() })
    await engine.mutate(ctx, kind, { selector: 'role=primary', value: 'b' })
    expect(
      ctx
        .store()
        .repo(FleetEvents)
        .list({ limit: 1000 })
        .filter((e) => e.type.startsWith('OPERATION_')),
    ).toEqual([])
  })

  it('queues for a feed only the types it hears at or above its severity', () => {
    const ctx = testContext({
      home,
      config: config(eng({ events: ['INCIDENT_OPENED', 'PAIR_FAILED'], minSeverity: 'high' })),
    })
    const emit = (
      type: 'INCIDENT_OPENED' | 'PAIR_FAILED' | 'INSTANCE_DEGRADED',
      severity: 'warning' | 'high',
      key: string,
    ) =>
      emitEvent(ctx.store(), ctx.watchSettings(), { type, severity, summary: key, dedupeKey: key }, ctx.now())
    expect(emit('INCIDENT_OPENED', 'high', 'a').queued).toContain('feed:eng')
    expect(emit('INCIDENT_OPENED', 'warning', 'b').queued).not.toContain('feed:eng')
    expect(emit('INSTANCE_DEGRADED', 'high', 'c').queued).not.toContain('feed:eng')
    // Queued once per condition, like the agents' rows.
    expect(emit('INCIDENT_OPENED', 'high', 'a').duplicates).toContain('feed:eng')
  })
})

describe('a feed webhook URL', () => {
  const refused = (f: () => unknown): UserError => {
    try {
      f()
    } catch (e) {
      expect(e).toBeInstanceOf(UserError)
      expect((e as UserError).code).toBe('CONFIG_INVALID')
      return e as UserError
    }
    throw new Error('not refused')
  }

  it('comes from its env var or 0600 file: https, or http on loopback only, and is never echoed', () => {
    const cfg = config(eng())
    const secret = 'https://discord.com/api/webhooks/1/s3cr3t'
    expect(feedUrl(cfg, 'eng', { ENG_WEBHOOK: secret })).toBe(secret)
    expect(feedUrl(cfg, 'eng', { ENG_WEBHOOK: 'http://127.0.0.1:9/api/webhooks/1/t' })).toMatch(
      /^http:\/\/127/,
    )
    for (const bad of ['http://discord.com/api/webhooks/1/s3cr3t', 'not a url s3cr3t', '']) {
      const e = refused(() => feedUrl(cfg, 'eng', { ENG_WEBHOOK: bad }))
      expect(JSON.stringify(e.toBody())).not.toContain('s3cr3t')
    }
    const file = join(home, 'hook')
    writeFileSync(file, secret)
    chmodSync(file, 0o644)
    const fromFile = config(eng({ urlEnv: undefined, urlFile: file }))
    refused(() => feedUrl(fromFile, 'eng', {}))
    chmodSync(file, 0o600)
    expect(feedUrl(fromFile, 'eng', {})).toBe(secret)
    expect(
      ConfigSchema.safeParse({ ...DEFAULT_CONFIG, team: { feeds: { eng: { kind: 'discord' } } } }).success,
    ).toBe(false)
  })
})
