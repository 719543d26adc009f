import { randomBytes } from 'node:crypto'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { watchSettings } from '../../../src/lib/config/watch-settings.js'
import type { Context } from '../../../src/lib/context.js'
import { signWebhook, verifyWebhook } from '../../../src/lib/events/webhook-signature.js'
import { FleetEvents } from '../../../src/lib/store/fleet-events.js'
import { ReprovisionQueue } from '../../../src/lib/store/reprovision-queue.js'
import { WebhookReceipts } from '../../../src/lib/store/webhook-receipts.js'
import { startHttpServer, type WatchHttpServer } from '../../../src/lib/watch/http-server.js'
import { receiveWebhook, type WebhookHandlers } from '../../../src/lib/watch/webhook-receiver.js'
import { testContext } from '../../support/context.js'

const secret = () => `whsec_${randomBytes(24).toString('base64')}`
const CURRENT = secret()
const PREVIOUS = secret()
const OTHER = secret()

let ctx: Context
let server: WatchHttpServer
const suspects: string[] = []
const signals: string[] = []
const handlers: WebhookHandlers = {
  instanceSuspect: (id) => suspects.push(id),
  providerSignal: (p) => signals.push(p),
}

function signed(body: unknown, o: { secret?: string; id?: string; at?: Date } = {}) {
  const raw = JSON.stringify(body)
  const id = o.id ?? `msg_${randomBytes(6).toString('hex')}`
  return { raw, headers: signWebhook(o.secret ?? CURRENT, id, o.at ?? new Date(), raw), id }
}

function post(source: string, raw: string, headers: Record<string, string>) {
  return fetch(`${server.url}/webhooks/${source}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: raw,
  }).then(async (r) => ({
    status: r.status,
    body: (await r.json()) as { ok: boolean; error?: string; outcome?: string },
  }))
}

beforeEach(async () => {
  ctx = testContext()
  suspects.length = 0
  signals.length = 0
  server = await startHttpServer(
    { host: '127.0.0.1', port: 0 },
    {
      health: () => ({ ok: true }),
      webhook: (req) =>
        receiveWebhook(
          ctx,
          watchSettings(ctx.config()),
          req,
          { current: CURRENT, previous: PREVIOUS },
          handlers,
        ),
    },
  )
})

afterEach(async () => {
  await server.close()
})

describe('webhook verification', () => {
  it('accepts a signed GatewayForge webhook and acts on it', async () => {
    const m = signed({ type: 'instance.unreachable', data: { instanceId: 'i-42' } })
    const r = await post('gatewayforge', m.raw, m.headers)
    expect(r).toEqual({ status: 200, body: { ok: true, outcome: 'probe-scheduled', id: m.id } })
    expect(suspects).toEqual(['i-42'])
    expect(ctx.store().repo(WebhookReceipts).get('gatewayforge', m.id)).toMatchObject({
      outcome: 'probe-scheduled',
      type: 'instance.unreachable',
    })
  })

  it('rejects a bad signature, and a body changed after signing', async () => {
    const m = signed({ type: 'provider.status', data: {} }, { secret: OTHER })
    const r = await post('hetzner', m.raw, m.headers)
    expect(r.status).toBe(401)
    expect(r.body.error).toMatch(/bad-signature/)
    const good = signed({ type: 'provider.status', data: { provider: 'hetzner' } })
    const tampered = await post('hetzner', good.raw.replace('hetzner', 'vultr!!'), good.headers)
    expect(tampered.status).toBe(401)
    expect(signals).toEqual([])
  })

  it('rejects timestamps more than 5 minutes away, either way', async () => {
    for (const offset of [-330_000, 330_000]) {
      const m = signed({ type: 'provider.status', data: {} }, { at: new Date(Date.now() + offset) })
      const r = await post('vultr', m.raw, m.headers)
      expect(r.status).toBe(401)
      expect(r.body.error).toMatch(/stale-timestamp/)
    }
    const ok = signed({ type: 'provider.status', data: {} }, { at: new Date(Date.now() - 240_000) })
    expect((await post('vultr', ok.raw, ok.headers)).status).toBe(200)
  })

  it('refuses a replay of a verified message, even with a fresh signature on the same id', async () => {
    const m = signed({ type: 'instance.down', data: { instanceId: 'i-1' } })
    expect((await post('gatewayforge', m.raw, m.headers)).status).toBe(200)
    const again = await post('gatewayforge', m.raw, m.headers)
    expect(again).toMatchObject({ status: 409, body: { ok: false } })
    const resigned = signed({ type: 'instance.down', data: { instanceId: 'i-1' } }, { id: m.id })
    expect((await post('gatewayforge', resigned.raw, resigned.headers)).status).toBe(409)
    expect(suspects).toEqual(['i-1'])
  })

  it('accepts the previous secret during a rotation, and nothing else', async () => {
    const old = signed({ type: 'provider.status', data: { provider: 'digitalocean' } }, { secret: PREVIOUS })
    expect((await post('digitalocean', old.raw, old.headers)).status).toBe(200)
    expect(
      verifyWebhook(Buffer.from(old.raw), old.headers, { current: CURRENT, previous: PREVIOUS }),
    ).toMatchObject({
      ok: true,
      secret: 'previous',
    })
    expect(
      verifyWebhook(Buffer.from(old.raw), old.headers, { current: CURRENT, previous: null }),
    ).toMatchObject({
      ok: false,
      reason: 'bad-signature',
    })
    // A message signed with both (the sender mid-rotation) carries two signatures; either matches.
    const both = signed({ type: 'x', data: {} })
    both.headers['webhook-signature'] =
      `${signWebhook(OTHER, both.id, new Date(), both.raw)['webhook-signature']} ${both.headers['webhook-signature']}`
    expect((await post('gatewayforge', both.raw, both.headers)).body.outcome).toBe('ignored')
  })

  it('answers a 1 MB body with 413 that reaches the sender (declared length, or chunked), then serves the next request', async () => {
    const mb = 'x'.repeat(1024 * 1024)
    // Declared length: refused before the body is read.
    const declared = await post('gatewayforge', mb, {})
    expect(declared).toMatchObject({ status: 413, body: { ok: false } })
    // No length (chunked): refused once past the limit; the rest is read and dropped, not reset.
    const chunks = new ReadableStream({
      start(c) {
        for (let i = 0; i < 16; i++) c.enqueue(new TextEncoder().encode(mb.slice(0, 64 * 1024)))
        c.close()
      },
    })
    const streamed = await fetch(`${server.url}/webhooks/gatewayforge`, {
      method: 'POST',
      body: chunks,
      duplex: 'half',
    } as RequestInit)
    expect(streamed.status).toBe(413)
    expect(((await streamed.json()) as { error: string }).error).toMatch(/larger than/)
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200)
  })

  it('answers missing headers, a missing secret, unknown sources, wrong methods and big bodies plainly', async () => {
    expect((await post('gatewayforge', '{}', {})).status).toBe(401)
    expect(verifyWebhook(Buffer.from('{}'), {}, { current: null, previous: null })).toMatchObject({
      reason: 'not-configured',
    })
    const m = signed({ type: 'x', data: {} })
    expect((await post('evilcorp', m.raw, m.headers)).status).toBe(404)
    expect((await fetch(`${server.url}/webhooks/gatewayforge`)).status).toBe(405)
    const big = signed({ type: 'x', data: { pad: 'x'.repeat(300 * 1024) } })
    expect((await post('gatewayforge', big.raw, big.headers)).status).toBe(413)
    const notJson = signWebhook(CURRENT, 'msg_nj', new Date(), 'not json')
    expect((await post('gatewayforge', 'not json', notJson)).status).toBe(400)
  })

  it('records provisioning outcomes for Forge and finishes the queue item', async () => {
    const q = ctx.store().repo(ReprovisionQueue)
    const item = q.enqueue({
      id: 'rq-1',
      pairId: 'p-1',
      replacesInstanceId: 'i-old',
      provider: 'hetzner',
      region: 'nbg1',
      tier: 'standard',
      reason: 'test',
      incidentId: null,
      opId: null,
      createdAt: ctx.now(),
    })
    const m = signed({
      type: 'provision.completed',
      data: { pairId: 'p-1', instanceId: 'i-new', queueId: item.id },
    })
    expect((await post('gatewayforge', m.raw, m.headers)).body.outcome).toBe('processed')
    expect(q.get('rq-1')!.state).toBe('done')
    const f = signed({ type: 'provision.failed', data: { pairId: 'p-2', error: 'quota exceeded' } })
    await post('gatewayforge', f.raw, f.headers)
    expect(
      ctx
        .store()
        .repo(FleetEvents)
        .list()
        .map((e) => [e.type, e.severity]),
    ).toEqual([
      ['PROVISION_COMPLETE', 'info'],
      ['PROVISION_FAILED', 'high'],
    ])
  })
})
