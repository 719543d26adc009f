// GatewayClient.connect against a scripted gateway on loopback: a gateway that answers the WebSocket
// upgrade with 503 (busy) for a moment is waited out; any other refusal fails at once.
import { createServer, type Server } from 'node:http'
import type { Duplex } from 'node:stream'
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocketServer } from 'ws'
import { UserError } from '../../../src/lib/errors.js'
import { GatewayClient } from '../../../src/lib/gateway/client.js'

const HELLO = {
  type: 'hello-ok',
  protocol: 4,
  server: { version: 'test', connId: 'c' },
  features: { methods: [], events: [] },
  snapshot: {},
  auth: { method: 'token', role: 'operator', scopes: [] },
  policy: { maxPayload: 1_000_000, tickIntervalMs: 30_000 },
}

/** Refuses the first `refusals` upgrades with `status`, then speaks just enough of the protocol. */
async function gateway(refusals: number, status: number) {
  const wss = new WebSocketServer({ noServer: true })
  let upgrades = 0
  const server: Server = createServer()
  server.on('upgrade', (req, socket: Duplex, head) => {
    if (upgrades++ < refusals) {
      socket.end(`HTTP/1.1 ${status} Refused\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`)
      return
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.send(
        JSON.stringify({
          type: 'event',
          event: 'connect.challenge',
          payload: { nonce: 'n', ts: Date.now() },
        }),
      )
      ws.on('message', (d) => {
        const msg = JSON.parse(String(d))
        if (msg.method === 'connect')
          ws.send(JSON.stringify({ type: 'res', id: msg.id, ok: true, payload: HELLO }))
      })
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as { port: number }).port
  return { url: `ws://127.0.0.1:${port}`, upgrades: () => upgrades, close: () => server.close() }
}

describe('GatewayClient.connect', () => {
  const open: Array<{ close(): unknown }> = []
  afterEach(async () => {
    for (const o of open.splice(0)) await o.close()
  })

  it('waits out a gateway that answers the upgrade with 503 for a moment', async () => {
    const gw = await gateway(2, 503)
    open.push(gw)
    const client = await GatewayClient.connect({ url: gw.url, auth: { kind: 'backend', token: 't' } })
    open.push(client)
    expect(client.connected).toBe(true)
    expect(gw.upgrades()).toBe(3)
  })

  it('gives up at its connect deadline when the gateway stays busy', async () => {
    const gw = await gateway(1_000, 503)
    open.push(gw)
    const t0 = Date.now()
    const err = await GatewayClient.connect({
      url: gw.url,
      auth: { kind: 'backend', token: 't' },
      connectTimeoutMs: 1_500,
    }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(UserError)
    expect((err as UserError).code).toBe('GATEWAY_UNREACHABLE')
    expect(gw.upgrades()).toBeGreaterThan(1)
    expect(Date.now() - t0).toBeLessThan(5_000)
  })

  it('fails at once on a refusal that is not "busy"', async () => {
    const gw = await gateway(1_000, 401)
    open.push(gw)
    const err = await GatewayClient.connect({ url: gw.url, auth: { kind: 'backend', token: 't' } }).catch(
      (e: unknown) => e,
    )
    expect((err as UserError).code).toBe('GATEWAY_UNREACHABLE')
    expect((err as UserError).message).toMatch(/401/)
    expect(gw.upgrades()).toBe(1)
  })
})
