/** A ChannelGateway that records what it was asked to send and answers like the gateway's RPCs do. */
import type { ChannelGateway, ChannelState, SendParams } from '../../../src/lib/brief/channel-gateway.js'
import { GatewayRpcError } from '../../../src/lib/gateway/client.js'

export class FakeChannels implements ChannelGateway {
  sent: SendParams[] = []
  closed = 0
  channelsAsked = 0
  /** Per channel: how the next sends are answered. */
  answers = new Map<string, (p: SendParams) => { messageId: string } | Error>()

  constructor(public status: Record<string, ChannelState> = { whatsapp: ok(), telegram: ok() }) {}

  async channels() {
    this.channelsAsked++
    return this.status
  }

  async send(p: SendParams) {
    this.sent.push(p)
    const answer = this.answers.get(p.channel)?.(p) ?? { messageId: `m-${this.sent.length}` }
    if (answer instanceof Error) throw answer
    return { messageId: answer.messageId, channel: p.channel }
  }

  async close() {
    this.closed++
  }
}

export function ok(): ChannelState {
  return { configured: true, running: true, lastError: null }
}

export const unsupported = (channel: string) =>
  new GatewayRpcError('send', 'INVALID_REQUEST', `unsupported channel: ${channel}`, undefined)

export const queued = () =>
  new GatewayRpcError(
    'send',
    'UNAVAILABLE',
    'OutboundDeliveryError: Telegram bot token missing for account "default"',
    { code: 'OUTBOUND_DELIVERY_QUEUED' },
  )
