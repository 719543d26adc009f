/**
 * The operator's channels, as the OpenClaw gateway serves them (RPC over the operator connection):
 * - `channels.status` (operator.read): which channels the gateway has configured and running;
 * - `send` (operator.write): direct outbound delivery to a channel target, outside any agent run:
 *   `{channel, to, accountId?, message?, buffer? (base64 media), filename?, contentType?, asVoice?,
 *   agentId?, idempotencyKey}` → `{runId, messageId, channel}`. The gateway deduplicates by
 *   idempotencyKey, so a retry with the same key is answered with the first send.
 * Tests and the watch daemon (which already holds a connection) supply their own client.
 */
import type { Context } from '../context.js'

export interface ChannelState {
  configured: boolean
  running: boolean
  lastError: string | null
}

export interface SendParams {
  channel: string
  to: string
  accountId?: string
  message?: string
  buffer?: string
  filename?: string
  contentType?: string
  asVoice?: boolean
  agentId?: string
  idempotencyKey: string
}

export interface SendAnswer {
  messageId: string | null
  channel: string
}

export interface ChannelGateway {
  channels(): Promise<Record<string, ChannelState>>
  send(p: SendParams): Promise<SendAnswer>
  close(): Promise<void>
}

/** The minimum of a gateway client this needs (GatewayClient, or a fake). */
export interface RpcClient {
  request<T = unknown>(method: string, params?: unknown, opts?: { timeoutMs?: number }): Promise<T>
  close(): Promise<void>
}

export function channelGatewayOver(client: RpcClient, o: { closeClient?: boolean } = {}): ChannelGateway {
  return {
    async channels() {
      const r = await client.request<{ channels?: Record<string, Partial<ChannelState>> }>(
        'channels.status',
        {},
      )
      const out: Record<string, ChannelState> = {}
      for (const [name, s] of Object.entries(r.channels ?? {})) {
        out[name] = {
          configured: s.configured === true,
          running: s.running === true,
          lastError: s.lastError ?? null,
        }
      }
      return out
    },
    async send(p) {
      // Media uploads take time on slow channels; the gateway answers once the platform accepted it.
      const r = await client.request<{ messageId?: unknown; channel?: unknown }>('send', p, {
        timeoutMs: 90_000,
      })
      return {
        messageId: r.messageId === undefined || r.messageId === null ? null : String(r.messageId),
        channel: typeof r.channel === 'string' ? r.channel : p.channel,
      }
    },
    async close() {
      if (o.closeClient !== false) await client.close()
    },
  }
}

/**
 * A connection to the configured gateway (gateway.url and its token, through the shared gateway link),
 * for one command. Throws GATEWAY_UNREACHABLE when there is no token or no gateway.
 */
export async function openChannelGateway(ctx: Context): Promise<ChannelGateway> {
  const link = await ctx.gateway()
  const client = await link.get()
  return channelGatewayOver({
    request: (method, params, opts) => client.request(method, params, opts),
    // The link is the Context's, which closes it.
    close: async () => {},
  })
}
