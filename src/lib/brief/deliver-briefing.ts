/**
 * `--deliver`: a briefing to the operator on the channels routed for its kind (briefer.routes; PRD
 * 9.2: daily on WhatsApp, weekly and monthly on Telegram) or named with --channel, with the voice note
 * attached. Every target gets a delivery row and an audit entry (`brief.deliver`), whatever happened.
 */

import type { Context } from '../context.js'
import { UserError } from '../errors.js'
import { newId } from '../ids.js'
import { grantOf } from '../policy/roles.js'
import { AuditTrail } from '../store/audit-trail.js'
import { BriefDeliveries, type BriefDelivery } from '../store/brief-deliveries.js'
import { type ChannelGateway, openChannelGateway } from './channel-gateway.js'
import {
  type DeliveryOutcome,
  deliveryError,
  mediaFor,
  outcomeOf,
  sendDelivery,
  targetFor,
} from './delivery.js'
import { type BriefChannel, type BriefingKind, brieferSettings } from './settings.js'

/** Refuses roles that may not deliver (only operator, commander and briefer may), with an audit entry. */
export function assertMayDeliver(ctx: Context, action: 'brief.deliver' = 'brief.deliver'): void {
  if (grantOf(ctx.actor, action) !== 'deny') return
  ctx
    .store()
    .repo(AuditTrail)
    .append({
      ...ctx.who,
      action,
      outcome: 'denied',
      details: { rules: ['role-permission'] },
    })
  throw new UserError('POLICY_DENIED', `${ctx.actor} may not deliver briefings to the operator`, {
    hint: 'Run it as briefer (--as briefer), commander or the operator; other agents ask Briefer.',
    details: { rules: ['role-permission'], action },
  })
}

export async function deliverBriefing(
  ctx: Context,
  b: { id: string; kind: BriefingKind; markdown: string },
  o: {
    channels?: readonly BriefChannel[]
    voicePath: string | null
    gateway?: () => Promise<ChannelGateway>
  },
): Promise<DeliveryOutcome[]> {
  const settings = brieferSettings(ctx.config())
  const repo = ctx.store().repo(BriefDeliveries)
  const channels = [...new Set(o.channels ?? settings.routes[b.kind])]
  const rows: BriefDelivery[] = []
  for (const channel of channels) {
    const id = newId('dlv')
    const target = targetFor(ctx, channel)
    if ('reason' in target) {
      repo.create({
        id,
        subject: 'briefing',
        briefingId: b.id,
        channel,
        target: '-',
        body: b.markdown,
        createdAt: ctx.now(),
        state: 'failed',
        error: target,
      })
    } else {
      repo.create({
        id,
        subject: 'briefing',
        briefingId: b.id,
        channel,
        target: target.to,
        accountId: target.accountId ?? null,
        body: b.markdown,
        media: mediaFor(channel, target, o.voicePath),
        createdAt: ctx.now(),
      })
    }
    rows.push(repo.get(id)!)
  }

  const pending = rows.filter((r) => r.state === 'sending')
  if (pending.length > 0) {
    let gw: ChannelGateway | null = null
    try {
      gw = await (o.gateway ?? (() => openChannelGateway(ctx)))()
      const status = await gw.channels()
      for (const r of pending) {
        await sendDelivery(repo, gw, r, { channels: status, agentId: settings.agentId, now: () => ctx.now() })
      }
    } catch (err) {
      if (!(err instanceof UserError) || !['GATEWAY_UNREACHABLE', 'TIMEOUT'].includes(err.code)) throw err
      for (const r of pending.filter((x) => repo.get(x.id)!.state === 'sending')) {
        repo.finish(
          r.id,
          { state: 'failed', error: deliveryError('GATEWAY_UNREACHABLE', err.message) },
          ctx.now(),
        )
      }
    } finally {
      await gw?.close().catch(() => {})
    }
  }

  const outcomes = rows.map((r) => outcomeOf(repo.get(r.id)!))
  const audit = ctx.store().repo(AuditTrail)
  for (const x of outcomes) {
    audit.append({
      ...ctx.who,
      action: 'brief.deliver',
      target: `${x.channel}:${x.target}`,
      outcome: x.state === 'sent' || x.state === 'queued' ? 'ok' : 'failed',
      details: {
        briefingId: b.id,
        kind: b.kind,
        deliveryId: x.id,
        state: x.state,
        messageId: x.messageId,
        voice: x.voice,
        ...(x.error ? { reason: x.error.reason, error: x.error.message } : {}),
      },
    })
    if (x.state === 'queued') ctx.warn(`${x.channel}: ${x.error?.message ?? 'queued by the gateway'}`)
  }
  return outcomes
}
