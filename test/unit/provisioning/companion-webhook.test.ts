/**
 * Webhooks to COMPANION over real HTTP on loopback, kept in a real store: recorded before they are
 * sent, signed, retried while pending, given up after 8 failed attempts, and never sent twice once
 * delivered.
 */
import { createServer, type Server } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ConfigSchema } from '../../../src/lib/config/schema.js'
import type { Context } from '../../../src/lib/context.js'
import { verifyWebhook } from '../../../src/lib/events/webhook-signature.js'
import {
  deliverPendingWebhooks,
  deliverWebhook,
  enqueueCompanionWebhook,
} from '../../../src/lib/provisioning/companion-webhook.js'
import { tempHome, testContext } from '../../support/context.js'

const SECRET = `whsec_${Buffer.from('companion-unit-secret-0123456789').toString('base64')}`

let server: Server
let url: string
let status = 200
const received: { id: string | undefined; verified: boolean; body: { type: string; data: unknown } }[] = []

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c) => chunks.push(c))
    req.on('end', () => {
      const raw = Buffer.concat(chunks)
      const v = verifyWebhook(raw, req.headers, { current: SECRET, previous: null })
      received.push({
        id: req.headers['webhook-id'] as string | undefined,
        verified: v.ok,
        body: JSON.parse(raw.toString('utf8')),
      })
      res.writeHead(status).end()
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}/hooks/clawops`
})

afterAll(() => server?.close())

function companionContext(
  env: Record<string, string> = { CLAWOPS_COMPANION_SECRET: SECRET },
  home = tempHome(),
): Context {
  return testContext({
    home,
    env,
    config: ConfigSchema.parse({ companion: { webhookUrl: url } }),
  })
}

describe('COMPANION webhooks', () => {
  it('are not recorded when no COMPANION URL is configured', async () => {
    const ctx = testContext()
    expect(enqueueCompanionWebhook(ctx, 'provision.completed', {})).toBeNull()
    expect(await deliverPendingWebhooks(ctx)).toEqual([])
  })

  it('are sent signed once, and a second delivery of a delivered one sends nothing', async () => {
    status = 200
    const ctx = companionContext()
    const id = enqueueCompanionWebhook(ctx, 'provision.completed', { pairId: 'p-1' }, 'whk-once')!
    // Recording the same id again (a resumed step) keeps the first body.
    enqueueCompanionWebhook(ctx, 'provision.completed', { pairId: 'changed' }, 'whk-once')
    const before = received.length
    expect(await deliverWebhook(ctx, id)).toEqual({ id, state: 'delivered', status: 200 })
    expect(await deliverWebhook(ctx, id)).toEqual({ id, state: 'delivered' })
    expect(received.slice(before)).toEqual([
      {
        id: 'whk-once',
        verified: true,
        body: expect.objectContaining({ type: 'provision.completed', data: { pairId: 'p-1' } }),
      },
    ])
    expect(await deliverPendingWebhooks(ctx)).toEqual([])
  })

  it('stay pending without the secret (never sent unsigned) and go out once it is set', async () => {
    status = 200
    const unsigned = companionContext({})
    const id = enqueueCompanionWebhook(unsigned, 'provision.completed', {}, 'whk-later')!
    const before = received.length
    expect(await deliverWebhook(unsigned, id)).toMatchObject({
      state: 'pending',
      error: expect.stringMatching(/CLAWOPS_COMPANION_SECRET is not set/),
    })
    expect(received.length).toBe(before)
    const signed = companionContext({ CLAWOPS_COMPANION_SECRET: SECRET }, unsigned.home)
    expect(await deliverPendingWebhooks(signed)).toEqual([{ id, state: 'delivered', status: 200 }])
  })

  it('are retried while the receiver fails and given up after 8 attempts', async () => {
    status = 503
    const ctx = companionContext()
    const id = enqueueCompanionWebhook(ctx, 'provision.completed', {}, 'whk-fail')!
    const outcomes = []
    for (let k = 0; k < 8; k++) outcomes.push(...(await deliverPendingWebhooks(ctx)))
    expect(outcomes.slice(0, 7).every((o) => o.state === 'pending' && o.status === 503)).toBe(true)
    expect(outcomes[7]).toEqual({ id, state: 'failed', status: 503, error: 'HTTP 503' })
    expect(await deliverPendingWebhooks(ctx)).toEqual([])
    status = 200
  })
})
