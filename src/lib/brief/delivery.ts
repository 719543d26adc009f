/**
 * Sending to the operator through the gateway's channels, for briefings and alerts alike, with no
 * silent drop: every target ends `sent`, `queued` (the gateway holds the message in its durable
 * outbound queue and retries on its own; it must not be sent again) or `failed` with a stable reason:
 *
 * - CHANNEL_NOT_CONFIGURED (CONFIG_INVALID): clawops has no target for the channel
 *   (briefer.channels.<name>.to), or the gateway has not configured the channel (checked with
 *   `channels.status` before sending, and the gateway's own "unsupported channel" answer);
 * - SEND_REJECTED (CONFIG_INVALID): the gateway refused the send (a malformed target, say);
 * - CHANNEL_SEND_FAILED (GATEWAY_UNREACHABLE): the channel's platform failed the send;
 * - GATEWAY_UNREACHABLE: no connection to the gateway (or no token for it).
 *
 * The delivery row is written before the send and its id is the idempotencyKey, so sending a row again
 * (an alert retried after a crash or a refusal) cannot produce a second message while the gateway
 * remembers the key.
 */
import { readFileSync } from 'node:fs'
import { basename } from 'node:path'
import type { Context } from '../context.js'
import { type ErrorCode, UserError } from '../errors.js'
import { GatewayRpcError } from '../gateway/client.js'
import type {
  BriefDeliveries,
  BriefDelivery,
  DeliveryError,
  DeliveryMedia,
} from '../store/brief-deliveries.js'
import type { ChannelGateway, ChannelState } from './channel-gateway.js'
import { type BriefChannel, brieferSettings, type ChannelTarget, VOICE_NOTE_CHANNELS } from './settings.js'

/** Voice notes above this are refused: base64 must stay under the gateway's 25 MB frame limit. */
export const MAX_MEDIA_BYTES = 16 * 1024 * 1024

export type DeliveryReason =
  | 'CHANNEL_NOT_CONFIGURED'
  | 'SEND_REJECTED'
  | 'CHANNEL_SEND_FAILED'
  | 'GATEWAY_UNREACHABLE'

export const REASON_CODE: Record<DeliveryReason, ErrorCode> = {
  CHANNEL_NOT_CONFIGURED: 'CONFIG_INVALID',
  SEND_REJECTED: 'CONFIG_INVALID',
  CHANNEL_SEND_FAILED: 'GATEWAY_UNREACHABLE',
  GATEWAY_UNREACHABLE: 'GATEWAY_UNREACHABLE',
}

export interface DeliveryOutcome {
  id: string
  channel: string
  target: string
  state: 'sent' | 'queued' | 'failed' | 'skipped'
  messageId: string | null
  voice: boolean
  error: DeliveryError | null
}

export function outcomeOf(d: BriefDelivery): DeliveryOutcome {
  return {
    id: d.id,
    channel: d.channel,
    target: d.target,
    state: d.state === 'sending' ? 'failed' : d.state,
    messageId: d.messageId,
    voice: d.media !== null,
    error: d.error,
  }
}

export function deliveryError(
  reason: DeliveryReason,
  message: string,
  gateway?: DeliveryError['gateway'],
): DeliveryError {
  return { code: REASON_CODE[reason], reason, message, ...(gateway ? { gateway } : {}) }
}

/** The target clawops knows for a channel, or a CHANNEL_NOT_CONFIGURED error. */
export function targetFor(ctx: Context, channel: BriefChannel): ChannelTarget | DeliveryError {
  const t = brieferSettings(ctx.config()).channels[channel]
  if (!t) {
    return deliveryError(
      'CHANNEL_NOT_CONFIGURED',
      `no ${channel} target configured for the operator: set briefer.channels.${channel}.to in the clawops config`,
    )
  }
  return t
}

/** The media part of a send: a voice note attached as a voice message where the channel has them. */
export function mediaFor(
  channel: BriefChannel,
  target: ChannelTarget,
  voicePath: string | null,
): DeliveryMedia | null {
  if (!voicePath) return null
  const bytes = readFileSync(voicePath).length
  if (bytes > MAX_MEDIA_BYTES) {
    throw new UserError(
      'INVALID_INPUT',
      `the voice note ${voicePath} is ${bytes} bytes; at most ${MAX_MEDIA_BYTES} can be sent`,
      {
        hint: 'Send a shorter briefing, or .ogg (Opus) instead of .wav.',
      },
    )
  }
  const ogg = /\.(ogg|oga|opus)$/i.test(voicePath)
  return {
    path: voicePath,
    contentType: ogg ? 'audio/ogg' : 'audio/wav',
    filename: basename(voicePath),
    bytes,
    asVoice: target.asVoice ?? VOICE_NOTE_CHANNELS.includes(channel),
  }
}

function classify(err: unknown): { state: 'queued' | 'failed'; error: DeliveryError } {
  if (err instanceof GatewayRpcError) {
    const gateway = {
      code: err.code,
      message: err.message,
      ...(typeof (err.details as { code?: unknown } | null)?.code === 'string'
        ? { detailCode: (err.details as { code: string }).code }
        : {}),
    }
    if (gateway.detailCode === 'OUTBOUND_DELIVERY_QUEUED') {
      return {
        state: 'queued',
        error: deliveryError(
          'CHANNEL_SEND_FAILED',
          `the gateway queued the message and retries it: ${err.message}`,
          gateway,
        ),
      }
    }
    if (err.code === 'INVALID_REQUEST' && /unsupported channel/i.test(err.message)) {
      return {
        state: 'failed',
        error: deliveryError(
          'CHANNEL_NOT_CONFIGURED',
          `the gateway has no such channel configured: ${err.message}`,
          gateway,
        ),
      }
    }
    if (err.code === 'INVALID_REQUEST') {
      return {
        state: 'failed',
        error: deliveryError('SEND_REJECTED', `the gateway refused the send: ${err.message}`, gateway),
      }
    }
    return {
      state: 'failed',
      error: deliveryError(
        'CHANNEL_SEND_FAILED',
        `the channel did not take the message: ${err.message}`,
        gateway,
      ),
    }
  }
  if (err instanceof UserError && (err.code === 'GATEWAY_UNREACHABLE' || err.code === 'TIMEOUT')) {
    return { state: 'failed', error: deliveryError('GATEWAY_UNREACHABLE', err.message) }
  }
  throw err
}

/**
 * Sends one delivery row (already created, state `sending`) and records the answer. `channels` is the
 * gateway's channel status, read once per batch: a channel it has not configured fails here, without
 * a send the gateway would only queue.
 */
export async function sendDelivery(
  repo: BriefDeliveries,
  gw: ChannelGateway,
  d: BriefDelivery,
  o: { channels: Record<string, ChannelState>; agentId: string | null; now: () => string },
): Promise<BriefDelivery> {
  repo.markAttempt(d.id, o.now())
  const state = o.channels[d.channel]
  if (!state?.configured) {
    repo.finish(
      d.id,
      {
        state: 'failed',
        error: deliveryError(
          'CHANNEL_NOT_CONFIGURED',
          `the gateway has no ${d.channel} channel configured${state ? '' : ` (it serves: ${Object.keys(o.channels).join(', ') || 'none'})`}`,
        ),
      },
      o.now(),
    )
    return repo.get(d.id)!
  }
  try {
    const media = d.media
    const answer = await gw.send({
      channel: d.channel,
      to: d.target,
      ...(d.accountId ? { accountId: d.accountId } : {}),
      message: d.body,
      ...(media
        ? {
            buffer: readFileSync(media.path).toString('base64'),
            filename: media.filename,
            contentType: media.contentType,
            asVoice: media.asVoice,
          }
        : {}),
      ...(o.agentId ? { agentId: o.agentId } : {}),
      idempotencyKey: d.id,
    })
    repo.finish(d.id, { state: 'sent', messageId: answer.messageId }, o.now())
  } catch (err) {
    const c = classify(err)
    repo.finish(d.id, c, o.now())
  }
  return repo.get(d.id)!
}

/** The error a command ends with when deliveries did not all go out (null when they did). */
export function deliveryFailure(
  outcomes: readonly DeliveryOutcome[],
  details: Record<string, unknown>,
): UserError | null {
  const failed = outcomes.filter((o) => o.state === 'failed')
  if (failed.length === 0) return null
  const list = failed.map((f) => `${f.channel}: ${f.error?.message ?? 'failed'}`).join('; ')
  const codes = [...new Set(failed.map((f) => f.error?.code ?? 'GATEWAY_UNREACHABLE'))]
  const reasons = [...new Set(failed.map((f) => f.error?.reason))]
  const code: ErrorCode =
    failed.length < outcomes.length || codes.length > 1 ? 'PARTIAL_FAILURE' : (codes[0] as ErrorCode)
  const hint = reasons.includes('CHANNEL_NOT_CONFIGURED')
    ? 'Configure the channel on the gateway (openclaw channels) and its target in briefer.channels.<channel>.to, or choose another with --channel.'
    : reasons.includes('GATEWAY_UNREACHABLE')
      ? 'Check that the gateway runs at gateway.url and that its token is exported.'
      : 'See error.details.deliveries for what each channel answered.'
  return new UserError(code, `delivery failed: ${list}`, {
    hint,
    details: { ...details, reason: reasons.length === 1 ? reasons[0] : 'MIXED', deliveries: outcomes },
  })
}
