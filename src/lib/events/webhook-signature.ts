/**
 * Verification of GatewayForge and provider webhooks (design rule 8): Standard Webhooks signatures
 * (HMAC-SHA256 over `id.timestamp.rawBody`, `whsec_` secrets, constant-time compare, 5-minute
 * tolerance both ways) through the `standardwebhooks` package, over the raw bytes before any JSON
 * parsing. Two secrets are accepted during a rotation; the replay store (webhook-id) is the
 * receiver's next step.
 */
import { Webhook, WebhookVerificationError } from 'standardwebhooks'

export interface WebhookSecrets {
  current: string | null
  previous: string | null
}

export type VerifyResult =
  | { ok: true; id: string; signedAt: Date; secret: 'current' | 'previous' }
  | {
      ok: false
      reason: 'not-configured' | 'missing-headers' | 'stale-timestamp' | 'bad-signature'
      message: string
    }

function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = headers[name]
  return Array.isArray(v) ? v[0] : v
}

export function verifyWebhook(
  raw: Buffer,
  headers: Record<string, string | string[] | undefined>,
  secrets: WebhookSecrets,
): VerifyResult {
  const keys = (
    [
      ['current', secrets.current],
      ['previous', secrets.previous],
    ] as const
  ).filter((k): k is readonly ['current' | 'previous', string] => typeof k[1] === 'string' && k[1].length > 0)
  if (keys.length === 0)
    return { ok: false, reason: 'not-configured', message: 'no webhook secret is configured' }
  const h = {
    'webhook-id': header(headers, 'webhook-id') ?? '',
    'webhook-timestamp': header(headers, 'webhook-timestamp') ?? '',
    'webhook-signature': header(headers, 'webhook-signature') ?? '',
  }
  if (!h['webhook-id'] || !h['webhook-timestamp'] || !h['webhook-signature']) {
    return {
      ok: false,
      reason: 'missing-headers',
      message: 'webhook-id, webhook-timestamp and webhook-signature are required',
    }
  }
  let last = 'no matching signature'
  for (const [name, secret] of keys) {
    try {
      new Webhook(secret).verify(raw, h, { jsonParse: false })
      return {
        ok: true,
        id: h['webhook-id'],
        signedAt: new Date(Number(h['webhook-timestamp']) * 1000),
        secret: name,
      }
    } catch (err) {
      if (!(err instanceof WebhookVerificationError)) throw err
      if (/timestamp|Invalid Signature Headers/i.test(err.message)) {
        // The timestamp does not depend on the secret: no other secret can make it acceptable.
        return { ok: false, reason: 'stale-timestamp', message: err.message }
      }
      last = err.message
    }
  }
  return { ok: false, reason: 'bad-signature', message: last }
}

/** Signs a payload the way GatewayForge does (used by tests and the lab to send webhooks). */
export function signWebhook(secret: string, id: string, at: Date, body: string): Record<string, string> {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': new Webhook(secret).sign(id, at, body),
  }
}
