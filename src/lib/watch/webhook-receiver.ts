/**
 * The webhook receiver of `clawops watch` (POST /webhooks/<source>): raw body (bounded) → signature
 * and timestamp (webhook-verify.ts) → replay store (a webhook-id is processed once; a second sighting
 * is refused with 409) → body validated with zod → acted on. GatewayForge reports provisioning
 * outcomes and unreachable instances; providers report status changes. Unknown types are recorded and
 * acknowledged, not acted on.
 */
import { z } from 'zod'
import type { WatchSettings } from '../config/watch-settings.js'
import type { Context } from '../context.js'
import { emitEvent } from '../events/emit.js'
import { verifyWebhook, type WebhookSecrets } from '../events/webhook-signature.js'
import { ReprovisionQueue } from '../store/reprovision-queue.js'
import { WebhookReceipts } from '../store/webhook-receipts.js'

export const WEBHOOK_SOURCES = [
  'gatewayforge',
  'hetzner',
  'vultr',
  'digitalocean',
  'contabo',
  'hostinger',
] as const
export const MAX_WEBHOOK_BYTES = 256 * 1024

const Body = z
  .object({
    type: z.string().min(1).max(100),
    data: z.record(z.string(), z.unknown()).default({}),
    occurredAt: z.string().optional(),
  })
  .loose()

const Str = z.string().min(1).max(200)
const ProvisionData = z.looseObject({
  pairId: Str.optional(),
  instanceId: Str.optional(),
  queueId: Str.optional(),
  error: z.string().max(2000).optional(),
})
const InstanceData = z.looseObject({ instanceId: Str })
const ProviderData = z.looseObject({ provider: Str.optional(), region: Str.optional() })

export interface WebhookHandlers {
  /** GatewayForge says an instance is unreachable: probe it now. */
  instanceSuspect(instanceId: string): void
  /** A provider's status changed: re-check providers now. */
  providerSignal(provider: string, region: string | null): void
}

export interface WebhookRequest {
  method: string
  source: string
  headers: Record<string, string | string[] | undefined>
  raw: Buffer
}

export interface WebhookAnswer {
  status: number
  body: { ok: boolean; outcome?: string; error?: string; id?: string }
}

export function receiveWebhook(
  ctx: Context,
  settings: WatchSettings,
  req: WebhookRequest,
  secrets: WebhookSecrets,
  handlers: WebhookHandlers,
): WebhookAnswer {
  if (req.method !== 'POST') return { status: 405, body: { ok: false, error: 'POST only' } }
  if (!(WEBHOOK_SOURCES as readonly string[]).includes(req.source)) {
    return { status: 404, body: { ok: false, error: `no webhook source ${req.source}` } }
  }
  const v = verifyWebhook(req.raw, req.headers, secrets)
  if (!v.ok) {
    return v.reason === 'not-configured'
      ? { status: 503, body: { ok: false, error: 'webhooks are not configured on this watch' } }
      : { status: 401, body: { ok: false, error: `${v.reason}: ${v.message}` } }
  }
  let parsed: z.infer<typeof Body> | null = null
  try {
    const r = Body.safeParse(JSON.parse(req.raw.toString('utf8')))
    if (r.success) parsed = r.data
  } catch {
    parsed = null
  }
  const receipts = ctx.store().repo(WebhookReceipts)
  const first = receipts.claim({
    source: req.source,
    webhookId: v.id,
    receivedAt: ctx.now(),
    signedAt: v.signedAt.toISOString(),
    type: parsed?.type ?? null,
    payload: parsed,
  })
  if (!first)
    return {
      status: 409,
      body: { ok: false, error: 'replay: this webhook-id was already received', id: v.id },
    }
  if (!parsed) {
    receipts.setOutcome(req.source, v.id, 'invalid')
    return { status: 400, body: { ok: false, error: 'body must be JSON {type, data}', id: v.id } }
  }
  const outcome = act(ctx, settings, req.source, v.id, parsed, handlers)
  receipts.setOutcome(req.source, v.id, outcome)
  return { status: outcome === 'invalid' ? 400 : 200, body: { ok: outcome !== 'invalid', outcome, id: v.id } }
}

function act(
  ctx: Context,
  settings: WatchSettings,
  source: string,
  id: string,
  body: z.infer<typeof Body>,
  handlers: WebhookHandlers,
): string {
  const now = ctx.now()
  switch (body.type) {
    case 'provision.completed':
    case 'provision.failed': {
      const d = ProvisionData.safeParse(body.data)
      if (!d.success) return 'invalid'
      const ok = body.type === 'provision.completed'
      const store = ctx.store()
      store.tx(() => {
        if (d.data.queueId && ok) store.repo(ReprovisionQueue).finish(d.data.queueId, 'done', now)
        emitEvent(
          store,
          settings,
          {
            type: ok ? 'PROVISION_COMPLETE' : 'PROVISION_FAILED',
            severity: ok ? 'info' : 'high',
            instanceId: d.data.instanceId ?? null,
            pairId: d.data.pairId ?? null,
            summary: ok
              ? `${source}: provisioning of ${d.data.instanceId ?? 'an instance'}${d.data.pairId ? ` for pair ${d.data.pairId}` : ''} completed`
              : `${source}: provisioning${d.data.pairId ? ` for pair ${d.data.pairId}` : ''} failed: ${d.data.error ?? 'no reason given'}`,
            suggest: d.data.pairId ? [`clawops pair status ${d.data.pairId} --json`] : [],
            data: { source, webhookId: id, ...d.data },
            dedupeKey: `${body.type}:${source}:${id}`,
          },
          now,
        )
      })
      return 'processed'
    }
    case 'instance.unreachable':
    case 'instance.down': {
      const d = InstanceData.safeParse(body.data)
      if (!d.success) return 'invalid'
      handlers.instanceSuspect(d.data.instanceId)
      return 'probe-scheduled'
    }
    case 'provider.status':
    case 'provider.incident': {
      const d = ProviderData.safeParse(body.data)
      if (!d.success) return 'invalid'
      handlers.providerSignal(d.data.provider ?? source, d.data.region ?? null)
      return 'provider-check-scheduled'
    }
    default:
      return 'ignored'
  }
}
