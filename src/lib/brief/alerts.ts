/**
 * The real-time operator alerts of PRD 9.2, sent like briefings through the gateway's channels:
 *
 * - unrecoverable: a user without a working gateway (PAIR_FAILED; PAIR_NO_PRIMARY, whose standby is
 *   ready but was never promoted) or a heal that ran out of options (HEAL_ESCALATED, critical):
 *   WhatsApp, high priority, within seconds of watch announcing it;
 * - provisionFailed: PROVISION_FAILED after `briefer.alerts.provisionMinAttempts` (3: the first try
 *   and 2 retries) create attempts, or with no count (a final report): Telegram, with the error;
 * - costAnomaly: COST_ANOMALY (spend over projection by ledger.anomalyPct, 15 %): Telegram, with the
 *   top movers and the command to drill down.
 *
 * Events are read from the store (where watch, heal, failover and the webhook receiver record them),
 * so whoever announced an event, its alert goes out once per event and channel (a unique row), also
 * across restarts. An event whose agent deliveries were all silenced is skipped, as is a second
 * unrecoverable alert for the same pair within 15 minutes (PAIR_FAILED, PAIR_NO_PRIMARY and
 * HEAL_ESCALATED arrive together). Failed sends are retried with the same idempotency key, at most 5 times. Events older
 * than `briefer.alerts.maxAgeMinutes` (60) are left to the briefings.
 */

import type { Context } from '../context.js'
import type { FleetEvent } from '../domain/event.js'
import { UserError } from '../errors.js'
import { newId } from '../ids.js'
import type { Logger } from '../log.js'
import { AuditTrail } from '../store/audit-trail.js'
import { BriefDeliveries, type BriefDelivery } from '../store/brief-deliveries.js'
import { FleetEvents } from '../store/fleet-events.js'
import { Outbox } from '../store/outbox.js'
import type { ChannelGateway, ChannelState } from './channel-gateway.js'
import { deliveryError, outcomeOf, sendDelivery, targetFor } from './delivery.js'
import { placeOf } from './incident-log.js'
import { type AlertRule, type BriefChannel, brieferSettings } from './settings.js'
import { dollars, signedPct } from './words.js'

const ALERT_TYPES = [
  'PAIR_FAILED',
  'PAIR_NO_PRIMARY',
  'HEAL_ESCALATED',
  'PROVISION_FAILED',
  'COST_ANOMALY',
] as const
const FOLD_MS = 15 * 60_000
const RETRY_AFTER_MS = 30_000
export const MAX_ALERT_ATTEMPTS = 5

interface EventPayload {
  summary?: string
  suggest?: string[]
  data?: Record<string, unknown>
}

/** Which alert an event is, if any. */
export function alertRuleFor(e: FleetEvent, o: { provisionMinAttempts: number }): AlertRule | null {
  switch (e.type) {
    case 'PAIR_FAILED':
    case 'PAIR_NO_PRIMARY':
      return 'unrecoverable'
    case 'HEAL_ESCALATED':
      return e.severity === 'critical' ? 'unrecoverable' : null
    case 'PROVISION_FAILED': {
      const attempts = (e.payload as EventPayload | null)?.data?.attempts
      return typeof attempts !== 'number' || attempts >= o.provisionMinAttempts ? 'provisionFailed' : null
    }
    case 'COST_ANOMALY':
      return 'costAnomaly'
    default:
      return null
  }
}

/** What an alert folds by: the pair for failures, the event otherwise. */
function scopeKey(e: FleetEvent, rule: AlertRule): string {
  return rule === 'unrecoverable' && e.pairId ? `pair:${e.pairId}` : `event:${e.id}`
}

/** The alert's text (Markdown for chat): what happened, where, when, and the command to run next. */
export function composeAlert(e: FleetEvent, rule: AlertRule): string {
  const p = (e.payload ?? {}) as EventPayload
  const place = placeOf({ provider: e.provider, region: e.region })
  const when = `${e.createdAt.slice(11, 19)} UTC`
  const lines: string[] = []
  if (e.type === 'PAIR_NO_PRIMARY') {
    lines.push(
      '**URGENT, clawops**: a user has no working gateway; the standby is ready but was not promoted.',
    )
  } else if (rule === 'unrecoverable') {
    lines.push('**URGENT, clawops**: unrecoverable failure, a user has no working gateway.')
  } else if (rule === 'provisionFailed') {
    lines.push('**clawops**: provisioning failed.')
  } else lines.push('**clawops**: cost anomaly.')
  lines.push(p.summary ?? e.type)
  const facts = [
    place ? `Where: ${place}${e.region ? ` (${e.provider}/${e.region})` : ''}` : '',
    `When: ${when}`,
    e.pairId ? `Pair: ${e.pairId}` : '',
    e.instanceId ? `Instance: ${e.instanceId}` : '',
  ].filter(Boolean)
  lines.push(facts.join(' · '))
  const d = p.data ?? {}
  if (rule === 'provisionFailed') {
    const ctx = ['error', 'attempts', 'provider', 'region', 'source', 'webhookId', 'queueId']
      .filter((k) => d[k] !== undefined && d[k] !== null)
      .map((k) => `${k}: ${typeof d[k] === 'string' ? d[k] : JSON.stringify(d[k])}`)
    if (ctx.length) lines.push(`Error context: ${ctx.join('; ')}`)
  }
  if (rule === 'costAnomaly') {
    const movers = (
      (d.topMovers ?? []) as { key: string; changeUsdCents: number; changePct: number | null }[]
    )
      .slice(0, 5)
      .map(
        (m) =>
          `${m.key} ${m.changeUsdCents >= 0 ? '+' : ''}${dollars(m.changeUsdCents)} (${signedPct(m.changePct)})`,
      )
    if (movers.length) lines.push(`Top movers: ${movers.join(', ')}`)
    lines.push(`Drill down: \`clawops cost report --period ${String(d.period ?? 'week')} --by provider\``)
  }
  for (const s of (p.suggest ?? []).slice(0, 2)) lines.push(`Next: \`${s}\``)
  return lines.join('\n')
}

export interface AlertReport {
  considered: number
  sent: number
  queued: number
  skipped: number
  failed: { deliveryId: string; eventId: string | null; channel: string; reason: string; message: string }[]
}

/** Agent deliveries of this event all held back by a silence: the operator is not paged either. */
function silenced(ctx: Context, eventId: string): boolean {
  const rows = ctx.store().repo(Outbox).byEvent(eventId)
  return rows.length > 0 && rows.every((r) => r.state === 'silenced')
}

export class OperatorAlerts {
  constructor(
    private readonly ctx: Context,
    private readonly o: { gateway: () => Promise<ChannelGateway>; logger?: Logger },
  ) {}

  /** Creates the delivery rows of new alertable events (skipped ones included) and returns the new sends. */
  private plan(now: Date, report: AlertReport): BriefDelivery[] {
    const settings = brieferSettings(this.ctx.config())
    const store = this.ctx.store()
    const repo = store.repo(BriefDeliveries)
    const since = new Date(now.getTime() - settings.alerts.maxAgeMinutes * 60_000).toISOString()
    const fresh: BriefDelivery[] = []
    // Alertable events of the window that have no delivery row yet (one query: watch runs this every 2 s).
    const ids = repo.undeliveredEvents(since, ALERT_TYPES)
    for (const e of store.repo(FleetEvents).getMany(ids)) {
      const rule = alertRuleFor(e, settings.alerts)
      if (!rule) continue
      report.considered++
      const body = composeAlert(e, rule)
      const quiet = silenced(this.ctx, e.id)
      const key = scopeKey(e, rule)
      store.tx(() => {
        for (const channel of settings.routes[rule] as BriefChannel[]) {
          const id = newId('alr')
          const target = targetFor(this.ctx, channel)
          const base = {
            id,
            subject: 'alert' as const,
            eventId: e.id,
            rule,
            scopeKey: key,
            channel,
            body,
            createdAt: now.toISOString(),
          }
          if ('reason' in target) {
            repo.create({ ...base, target: '-', state: 'failed', error: target })
            continue
          }
          const fold =
            rule === 'unrecoverable' &&
            repo.alertedSince(rule, key, new Date(now.getTime() - FOLD_MS).toISOString(), channel)
          repo.create({
            ...base,
            target: target.to,
            accountId: target.accountId ?? null,
            ...(quiet || fold
              ? {
                  state: 'skipped' as const,
                  error: {
                    code: 'OK',
                    reason: quiet ? 'SILENCED' : 'DUPLICATE',
                    message: quiet ? 'silenced' : 'an alert for this pair went out already',
                  },
                }
              : {}),
          })
          const row = repo.get(id)!
          if (row.state === 'sending') fresh.push(row)
          else if (row.state === 'skipped') report.skipped++
        }
      })
    }
    return fresh
  }

  /** One pass: new alerts and retries, sent now. For watch after each delivery drain, and for cron. */
  async deliverDue(): Promise<AlertReport> {
    const report: AlertReport = { considered: 0, sent: 0, queued: 0, skipped: 0, failed: [] }
    const settings = brieferSettings(this.ctx.config())
    if (!settings.alerts.enabled) return report
    const now = this.ctx.clock()
    const repo = this.ctx.store().repo(BriefDeliveries)
    const fresh = this.plan(now, report)
    const retries = repo
      .alertsToRetry(MAX_ALERT_ATTEMPTS, new Date(now.getTime() - RETRY_AFTER_MS).toISOString())
      .filter((d) => d.target !== '-' && !fresh.some((f) => f.id === d.id))
    const todo = [...fresh, ...retries]
    // Alerts with no target in clawops' own config failed when planned: reported once, not sent.
    for (const d of repo.alertsToRetry(1, now.toISOString()).filter((x) => x.target === '-')) {
      report.failed.push({
        deliveryId: d.id,
        eventId: d.eventId,
        channel: d.channel,
        reason: d.error?.reason ?? 'CHANNEL_NOT_CONFIGURED',
        message: d.error?.message ?? '',
      })
      repo.markAttempt(d.id, now.toISOString())
    }
    if (todo.length === 0) return report
    let gw: ChannelGateway | null = null
    let channels: Record<string, ChannelState> = {}
    try {
      gw = await this.o.gateway()
      channels = await gw.channels()
    } catch (err) {
      if (!(err instanceof UserError)) throw err
      for (const d of todo) {
        repo.markAttempt(d.id, now.toISOString())
        repo.finish(
          d.id,
          { state: 'failed', error: deliveryError('GATEWAY_UNREACHABLE', err.message) },
          now.toISOString(),
        )
        report.failed.push({
          deliveryId: d.id,
          eventId: d.eventId,
          channel: d.channel,
          reason: 'GATEWAY_UNREACHABLE',
          message: err.message,
        })
      }
      await gw?.close().catch(() => {})
      return report
    }
    try {
      for (const d of todo) {
        const done = await sendDelivery(repo, gw, d, {
          channels,
          agentId: settings.agentId,
          now: () => this.ctx.now(),
        })
        this.record(done, report)
      }
    } finally {
      await gw.close().catch(() => {})
    }
    return report
  }

  private record(d: BriefDelivery, report: AlertReport): void {
    const x = outcomeOf(d)
    if (x.state === 'sent') report.sent++
    else if (x.state === 'queued') report.queued++
    else {
      report.failed.push({
        deliveryId: d.id,
        eventId: d.eventId,
        channel: d.channel,
        reason: x.error?.reason ?? 'CHANNEL_SEND_FAILED',
        message: x.error?.message ?? '',
      })
    }
    this.ctx
      .store()
      .repo(AuditTrail)
      .append({
        // Alerts are the Briefer's proactive communications, whichever process sends them.
        ...this.ctx.as('briefer').who,
        action: 'brief.alert',
        target: `${d.channel}:${d.target}`,
        outcome: x.state === 'sent' || x.state === 'queued' ? 'ok' : 'failed',
        details: {
          eventId: d.eventId,
          rule: d.rule,
          deliveryId: d.id,
          state: x.state,
          messageId: x.messageId,
          reason: x.error?.reason ?? null,
        },
      })
    const log = this.o.logger
    if (x.state === 'failed')
      log?.warn({ deliveryId: d.id, channel: d.channel, reason: x.error?.reason }, 'operator alert failed')
    else log?.info({ deliveryId: d.id, channel: d.channel, state: x.state }, 'operator alert delivered')
  }
}

/**
 * The alerts watch runs, or null when they are off: `briefer.alerts.enabled` false, or no operator
 * channel configured at all (`briefer.channels`: the feature is not set up; with some channels set,
 * an alert routed to a missing one is reported as CHANNEL_NOT_CONFIGURED, never dropped silently).
 */
export function operatorAlertsFor(
  ctx: Context,
  o: { gateway: () => Promise<ChannelGateway>; logger?: Logger },
): OperatorAlerts | null {
  const s = brieferSettings(ctx.config())
  if (!s.alerts.enabled || Object.keys(s.channels).length === 0) return null
  return new OperatorAlerts(ctx, o)
}

/**
 * Sends the alerts due now (every alertable event of the last hour not alerted yet, and retries),
 * through `gateway`. What watch calls after each delivery pass; also usable on its own.
 */
export function alertOperator(
  ctx: Context,
  o: { gateway: () => Promise<ChannelGateway>; logger?: Logger },
): Promise<AlertReport> {
  return new OperatorAlerts(ctx, o).deliverDue()
}
