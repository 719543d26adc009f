/**
 * Signed webhooks to COMPANION (`companion.webhookUrl`): written to the store first, then POSTed with
 * Standard Webhooks headers (HMAC over id, timestamp and body; see watch/webhook-verify.ts), so a
 * crash or a COMPANION outage delays a notification but never loses it. The id is stable across
 * retries, so the receiver can drop duplicates.
 */
import { request } from 'undici'
import type { Context } from '../context.js'
import { signWebhook } from '../events/webhook-signature.js'
import { newId } from '../ids.js'
import { OutgoingWebhooks } from '../store/outgoing-webhooks.js'

const TIMEOUT_MS = 10_000
const MAX_ATTEMPTS = 8

export interface WebhookOutcome {
  id: string
  state: 'delivered' | 'pending' | 'failed' | 'not-configured'
  status?: number
  error?: string
}

/** Records a webhook owed to COMPANION; null when no COMPANION URL is configured. */
export function enqueueCompanionWebhook(
  ctx: Context,
  type: string,
  data: unknown,
  id = newId('whk', 16),
): string | null {
  const url = ctx.config().companion?.webhookUrl
  if (!url) return null
  const body = JSON.stringify({ type, timestamp: ctx.now(), data })
  ctx.store().repo(OutgoingWebhooks).enqueue({ id, url, type, body, createdAt: ctx.now() })
  return id
}

/** Sends one recorded webhook; its outcome is stored before this returns. */
export async function deliverWebhook(ctx: Context, id: string): Promise<WebhookOutcome> {
  const webhooks = ctx.store().repo(OutgoingWebhooks)
  const row = webhooks.get(id)
  if (!row) return { id, state: 'not-configured' }
  if (row.state === 'delivered') return { id, state: 'delivered' }
  const secretEnv = ctx.config().companion?.secretEnv ?? 'CLAWOPS_COMPANION_SECRET'
  const secret = ctx.env[secretEnv]
  const fail = (error: string, status?: number): WebhookOutcome => {
    const attempts = row.attempts + 1
    const state = attempts >= MAX_ATTEMPTS ? 'failed' : 'pending'
    webhooks.recordFailure(id, attempts, state, error)
    return { id, state, ...(status ? { status } : {}), error }
  }
  if (!secret) return fail(`${secretEnv} is not set: webhooks are only sent signed`)
  try {
    const res = await request(row.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...signWebhook(secret, row.id, ctx.clock(), row.body) },
      body: row.body,
      headersTimeout: TIMEOUT_MS,
      bodyTimeout: TIMEOUT_MS,
    })
    await res.body.dump()
    if (res.statusCode >= 200 && res.statusCode < 300) {
      webhooks.markDelivered(id, ctx.now())
      return { id, state: 'delivered', status: res.statusCode }
    }
    return fail(`HTTP ${res.statusCode}`, res.statusCode)
  } catch (err) {
    return fail((err as Error).message)
  }
}

/** Retries everything still pending (watch calls this every cycle). */
export async function deliverPendingWebhooks(ctx: Context): Promise<WebhookOutcome[]> {
  const ids = ctx.store().repo(OutgoingWebhooks).pending()
  const out: WebhookOutcome[] = []
  for (const id of ids) out.push(await deliverWebhook(ctx, id))
  return out
}
