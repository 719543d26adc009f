import { describe, expect, it } from 'vitest'
import {
  alertRuleFor,
  composeAlert,
  MAX_ALERT_ATTEMPTS,
  OperatorAlerts,
} from '../../../src/lib/brief/alerts.js'
import { DEFAULT_CONFIG } from '../../../src/lib/config/defaults.js'
import type { Config } from '../../../src/lib/config/schema.js'
import type { FleetEvent } from '../../../src/lib/domain/event.js'
import { UserError } from '../../../src/lib/errors.js'
import { AuditTrail } from '../../../src/lib/store/audit-trail.js'
import { BriefDeliveries } from '../../../src/lib/store/brief-deliveries.js'
import { FleetEvents } from '../../../src/lib/store/fleet-events.js'
import { Outbox } from '../../../src/lib/store/outbox.js'
import { manualClock, testContext } from '../../support/context.js'
import { FakeChannels } from './fake-gateway.js'
import { event } from './fixtures.js'

const config: Config = {
  ...structuredClone(DEFAULT_CONFIG),
  briefer: { channels: { whatsapp: { to: '+15551234567' }, telegram: { to: '123456789' } } },
}

function setup(cfg: Config = config) {
  const clock = manualClock('2026-11-26T07:00:00.000Z')
  const ctx = testContext({ clock, config: cfg })
  const gw = new FakeChannels()
  const alerts = new OperatorAlerts(ctx, { gateway: async () => gw })
  const at = (minutesAgo: number) => new Date(clock().getTime() - minutesAgo * 60_000).toISOString()
  return { ctx, gw, alerts, clock, at }
}

const ev = (type: FleetEvent['type'], severity: FleetEvent['severity'], data: object = {}): FleetEvent => ({
  id: 'e',
  type,
  severity,
  instanceId: 'i-1',
  pairId: 'p-1',
  provider: 'hetzner',
  region: 'nbg1',
  payload: { summary: 's', suggest: ['clawops pair status p-1 --json'], data },
  createdAt: '2026-11-26T06:59:00.000Z',
})

describe('which events page the operator (PRD 9.2)', () => {
  it('unrecoverable failures, provisioning failures after 2 retries, cost anomalies', () => {
    const o = { provisionMinAttempts: 3 }
    expect(alertRuleFor(ev('PAIR_FAILED', 'critical'), o)).toBe('unrecoverable')
    expect(alertRuleFor(ev('HEAL_ESCALATED', 'critical'), o)).toBe('unrecoverable')
    expect(alertRuleFor(ev('HEAL_ESCALATED', 'high'), o)).toBeNull()
    expect(alertRuleFor(ev('PROVISION_FAILED', 'high', { attempts: 2 }), o)).toBeNull()
    expect(alertRuleFor(ev('PROVISION_FAILED', 'high', { attempts: 3 }), o)).toBe('provisionFailed')
    expect(alertRuleFor(ev('PROVISION_FAILED', 'high'), o)).toBe('provisionFailed')
    expect(alertRuleFor(ev('COST_ANOMALY', 'warning'), o)).toBe('costAnomaly')
    expect(alertRuleFor(ev('INSTANCE_DEGRADED', 'warning'), o)).toBeNull()
  })

  it('carries the context: where, when, the error, the movers, the next command', () => {
    const text = composeAlert(
      ev('COST_ANOMALY', 'high', {
        period: 'week',
        topMovers: [{ key: 'hetzner', changeUsdCents: 12_000, changePct: 12.5 }],
      }),
      'costAnomaly',
    )
    expect(text).toContain('Top movers: hetzner +$120 (+12.5%)')
    expect(text).toContain('`clawops cost report --period week --by provider`')
    const urgent = composeAlert(ev('PAIR_FAILED', 'critical'), 'unrecoverable')
    expect(urgent).toMatch(/^\*\*URGENT, clawops\*\*/)
    expect(urgent).toContain(
      'Where: Hetzner Nuremberg (hetzner/nbg1) · When: 06:59:00 UTC · Pair: p-1 · Instance: i-1',
    )
    expect(urgent).toContain('Next: `clawops pair status p-1 --json`')
    const prov = composeAlert(
      ev('PROVISION_FAILED', 'high', { attempts: 3, error: 'server_never_running' }),
      'provisionFailed',
    )
    expect(prov).toContain('Error context: error: server_never_running; attempts: 3')
  })
})

describe('OperatorAlerts', () => {
  it('sends each alert once, on its route, audited as briefer', async () => {
    const { ctx, gw, alerts, at } = setup()
    const failed = event(ctx.store(), 'PAIR_FAILED', at(1), { pairId: 'p-1', severity: 'critical' })
    const cost = event(ctx.store(), 'COST_ANOMALY', at(2), { severity: 'warning', data: { period: 'week' } })
    event(ctx.store(), 'INSTANCE_DEGRADED', at(1), { pairId: 'p-2', severity: 'warning' })
    const r = await alerts.deliverDue()
    expect(r).toMatchObject({ considered: 2, sent: 2, failed: [] })
    expect(gw.sent.map((s) => [s.channel, s.to])).toEqual([
      ['telegram', '123456789'],
      ['whatsapp', '+15551234567'],
    ])
    const repo = ctx.store().repo(BriefDeliveries)
    expect(repo.forEvent(failed)[0]).toMatchObject({
      channel: 'whatsapp',
      state: 'sent',
      rule: 'unrecoverable',
    })
    expect(repo.forEvent(cost)[0]).toMatchObject({ channel: 'telegram', state: 'sent' })
    expect(gw.sent[1]!.idempotencyKey).toBe(repo.forEvent(failed)[0]!.id)
    expect(await alerts.deliverDue()).toMatchObject({ considered: 0, sent: 0 })
    expect(gw.sent).toHaveLength(2)
    expect(ctx.store().repo(AuditTrail).query({ action: 'brief.alert', actor: 'briefer' })).toHaveLength(2)
  })

  it('folds the escalation that arrives with PAIR_FAILED into one page, skips silenced events and old ones', async () => {
    const { ctx, gw, alerts, at } = setup()
    event(ctx.store(), 'PAIR_FAILED', at(1), { pairId: 'p-1', severity: 'critical' })
    event(ctx.store(), 'HEAL_ESCALATED', at(1), { pairId: 'p-1', severity: 'critical' })
    const quiet = event(ctx.store(), 'PAIR_FAILED', at(1), { pairId: 'p-9', severity: 'critical' })
    ctx
      .store()
      .repo(Outbox)
      .enqueue({
        id: 'ob-1',
        eventId: quiet,
        target: 'guardian',
        dedupeKey: 'k',
        priority: 3,
        state: 'silenced',
        silenceId: 'sil-1',
        createdAt: at(1),
      })
    event(ctx.store(), 'PAIR_FAILED', at(90), { pairId: 'p-old', severity: 'critical' })
    const r = await alerts.deliverDue()
    expect(r).toMatchObject({ considered: 3, sent: 1, skipped: 2 })
    expect(gw.sent).toHaveLength(1)
  })

  it('retries a failed alert with the same idempotency key, and gives up after the last attempt', async () => {
    const { ctx, gw, alerts, clock, at } = setup()
    const id = event(ctx.store(), 'PAIR_FAILED', at(1), { pairId: 'p-1', severity: 'critical' })
    gw.answers.set(
      'whatsapp',
      () => new UserError('TIMEOUT', 'gateway call send did not answer within 90000 ms'),
    )
    expect((await alerts.deliverDue()).failed).toEqual([
      expect.objectContaining({ reason: 'GATEWAY_UNREACHABLE' }),
    ])
    // Not again before 30 s.
    expect((await alerts.deliverDue()).failed).toEqual([])
    for (let k = 2; k <= MAX_ALERT_ATTEMPTS + 1; k++) {
      clock.advance(31_000)
      await alerts.deliverDue()
    }
    const keys = new Set(gw.sent.map((s) => s.idempotencyKey))
    expect(gw.sent).toHaveLength(MAX_ALERT_ATTEMPTS)
    expect([...keys]).toEqual([ctx.store().repo(BriefDeliveries).forEvent(id)[0]!.id])
    gw.answers.clear()
    clock.advance(31_000)
    await alerts.deliverDue()
    expect(gw.sent).toHaveLength(MAX_ALERT_ATTEMPTS)
  })

  it('reports an alert whose channel has no target instead of dropping it', async () => {
    const cfg: Config = { ...config, briefer: { channels: { telegram: { to: '1' } } } }
    const { ctx, gw, alerts, at } = setup(cfg)
    event(ctx.store(), 'PAIR_FAILED', at(1), { pairId: 'p-1', severity: 'critical' })
    const r = await alerts.deliverDue()
    expect(r.failed).toEqual([
      expect.objectContaining({ channel: 'whatsapp', reason: 'CHANNEL_NOT_CONFIGURED' }),
    ])
    expect(gw.sent).toEqual([])
    expect(
      ctx
        .store()
        .repo(FleetEvents)
        .list({ types: ['PAIR_FAILED'] }),
    ).toHaveLength(1)
  })
})
