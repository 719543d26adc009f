// The node's side of the protocol against a scripted peer on loopback: garbage frames, a silent
// gateway, pairing refusals and a protocol mismatch. The real gateway never sends garbage, so these
// cases can only be produced this way; the real handshake is covered by the integration tests.
import { createPublicKey, verify } from 'node:crypto'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { type WebSocket, WebSocketServer } from 'ws'
import type { InvokeOutcome } from '../../../clawnode/commands/registry.js'
import { NodeConnection, type NodeConnectionOptions } from '../../../clawnode/connection.js'
import { HandshakeGate } from '../../../clawnode/handshake-gate.js'
import { loadOrCreateIdentity } from '../../../src/lib/gateway/device-identity.js'
import { DeviceTokenStore } from '../../../src/lib/gateway/device-token-store.js'
import { deviceAuthPayloadV3 } from '../../../src/lib/gateway/protocol.js'
import { createLogger } from '../../../src/lib/log.js'
import { tempDir } from '../../support/clawnode-fixtures.js'

// biome-ignore lint/suspicious/noExplicitAny: loosely typed JSON from the wire, checked by the assertions
type Wire = Record<string, any>

type Script = (ws: WebSocket, msg: Wire, connIndex: number) => void

async function peer(script: Script, onOpen?: (ws: WebSocket, connIndex: number) => void) {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' })
  await new Promise((r) => wss.once('listening', r))
  let conns = 0
  const received: Array<Wire> = []
  wss.on('connection', (ws) => {
    const index = conns++
    if (onOpen) onOpen(ws, index)
    else
      ws.send(
        JSON.stringify({
          type: 'event',
          event: 'connect.challenge',
          payload: { nonce: `n${index}`, ts: Date.now() },
        }),
      )
    ws.on('message', (d) => {
      const msg = JSON.parse(String(d))
      received.push(msg)
      script(ws, msg, index)
    })
  })
  const port = (wss.address() as { port: number }).port
  return { url: `ws://127.0.0.1:${port}`, wss, received, conns: () => conns }
}

function helloOk(extra: Record<string, unknown> = {}) {
  return {
    type: 'hello-ok',
    protocol: 4,
    server: { version: 'test', connId: 'c' },
    features: { methods: [], events: [] },
    snapshot: {},
    auth: { method: 'token', role: 'node', scopes: [], deviceToken: 'issued-device-token' },
    policy: { maxPayload: 1_000_000, tickIntervalMs: 30_000 },
    ...extra,
  }
}

describe('node connection', () => {
  const tmp = tempDir()
  const servers: WebSocketServer[] = []
  const conns: NodeConnection[] = []
  afterEach(async () => {
    await Promise.all(conns.splice(0).map((c) => c.stop()))
    for (const s of servers.splice(0)) s.close()
  })
  afterAll(() => tmp.cleanup())

  function node(url: string, dir: string, over: Partial<NodeConnectionOptions> = {}) {
    const { identity } = loadOrCreateIdentity(join(tmp.dir, dir, 'identity.json'))
    const invoked: string[] = []
    const fatal: Error[] = []
    const c = new NodeConnection({
      url,
      identity,
      tokens: new DeviceTokenStore(join(tmp.dir, dir, 'device-token.json')),
      firstContact: { token: 'shared-token' },
      instanceId: 'vps-t',
      joinSecret: 'a-join-secret-for-tests',
      commands: ['vps.health'],
      version: '0.0.0',
      reconnect: { minDelayMs: 20, maxDelayMs: 100, pairingRetryMs: 30 },
      maxConcurrent: 2,
      logger: createLogger({ home: tmp.dir, target: 'off' }),
      onInvoke: async (req): Promise<InvokeOutcome> => {
        invoked.push(req.command)
        return { ok: true, payloadJSON: JSON.stringify({ echo: req.paramsJSON }) }
      },
      onFatal: (e) => fatal.push(e),
      ...over,
    })
    conns.push(c)
    return { c, identity, invoked, fatal }
  }

  async function until(cond: () => boolean, ms = 5_000) {
    const t0 = Date.now()
    while (!cond()) {
      if (Date.now() - t0 > ms) throw new Error('condition not met in time')
      await sleep(10)
    }
  }

  it('signs the challenge (v3), stores the device token, then uses it instead of the shared token', async () => {
    const p = await peer((ws, msg) => {
      if (msg.method === 'connect') {
        ws.send(JSON.stringify({ type: 'res', id: msg.id, ok: true, payload: helloOk() }))
        if (p.conns() === 1) setTimeout(() => ws.close(1012, 'restart'), 20)
      }
    })
    servers.push(p.wss)
    const { c, identity } = node(p.url, 'a')
    c.start()
    await until(() => p.received.filter((m) => m.method === 'connect').length >= 2)
    const [first, second] = p.received.filter((m) => m.method === 'connect') as [Wire, Wire]
    expect(first.params.auth).toEqual({ token: 'shared-token' })
    expect(second.params.auth).toEqual({ token: 'issued-device-token' })
    expect(first.params.client).toMatchObject({
      id: 'node-host',
      mode: 'node',
      platform: 'linux',
      deviceFamily: 'Linux',
    })
    expect(first.params.client.displayName).toMatch(/^clawnode vps-t join1\./)
    const d = first.params.device
    const payload = deviceAuthPayloadV3({
      deviceId: identity.deviceId,
      clientId: 'node-host',
      clientMode: 'node',
      role: 'node',
      scopes: [],
      signedAt: d.signedAt,
      token: 'shared-token',
      nonce: 'n0',
      platform: 'linux',
      deviceFamily: 'Linux',
    })
    const spki = Buffer.concat([
      Buffer.from('302a300506032b6570032100', 'hex'),
      Buffer.from(d.publicKey, 'base64url'),
    ])
    expect(
      verify(
        null,
        Buffer.from(payload),
        createPublicKey({ key: spki, format: 'der', type: 'spki' }),
        Buffer.from(d.signature, 'base64url'),
      ),
    ).toBe(true)
    await until(() => c.state === 'connected')
  })

  it('drops garbage frames and bad invoke requests without crashing, and still serves good ones', async () => {
    const p = await peer((ws, msg) => {
      if (msg.method === 'connect') {
        ws.send(JSON.stringify({ type: 'res', id: msg.id, ok: true, payload: helloOk() }))
        ws.send(Buffer.from([0, 1, 2, 3]))
        for (const junk of [
          'not json',
          '[]',
          'null',
          '{"type":"res"}',
          '{"type":"event"}',
          '{"type":"event","event":"node.invoke.request"}',
        ]) {
          ws.send(junk)
        }
        const inv = (payload: unknown) =>
          ws.send(JSON.stringify({ type: 'event', event: 'node.invoke.request', payload }))
        inv({ id: 'x' })
        inv({ id: 1, nodeId: [], command: {} })
        inv({ id: 'other', nodeId: 'someone-else', command: 'vps.health' })
        inv({ id: 'good', nodeId: msg.params.device.id, command: 'vps.health', paramsJSON: '{"a":1}' })
        ws.send(JSON.stringify({ type: 'event', event: 'node.invoke.cancel', payload: { nope: true } }))
      }
    })
    servers.push(p.wss)
    const { c, invoked } = node(p.url, 'b')
    c.start()
    await until(() => p.received.some((m) => m.method === 'node.invoke.result'))
    expect(invoked).toEqual(['vps.health'])
    const result = p.received.find((m) => m.method === 'node.invoke.result')!
    expect(result.params).toMatchObject({ id: 'good', ok: true, payloadJSON: '{"echo":"{\\"a\\":1}"}' })
    expect(c.state).toBe('connected')
  })

  it('answers a repeated idempotency key with the first result instead of running twice', async () => {
    const p = await peer((ws, msg) => {
      if (msg.method === 'connect') {
        ws.send(JSON.stringify({ type: 'res', id: msg.id, ok: true, payload: helloOk() }))
        for (const id of ['i1', 'i2']) {
          ws.send(
            JSON.stringify({
              type: 'event',
              event: 'node.invoke.request',
              payload: { id, nodeId: msg.params.device.id, command: 'vps.health', idempotencyKey: 'same' },
            }),
          )
        }
      }
    })
    servers.push(p.wss)
    const { c, invoked } = node(p.url, 'c')
    c.start()
    await until(() => p.received.filter((m) => m.method === 'node.invoke.result').length === 2)
    expect(invoked).toEqual(['vps.health'])
  })

  it('sends an invoke result again when the gateway refuses it as retryable (a busy pairing check)', async () => {
    let refusals = 0
    const p = await peer((ws, msg) => {
      if (msg.method === 'connect') {
        ws.send(JSON.stringify({ type: 'res', id: msg.id, ok: true, payload: helloOk() }))
        ws.send(
          JSON.stringify({
            type: 'event',
            event: 'node.invoke.request',
            payload: { id: 'r1', nodeId: msg.params.device.id, command: 'vps.health', timeoutMs: 10_000 },
          }),
        )
      }
      if (msg.method === 'node.invoke.result') {
        const refuse = refusals++ < 2
        ws.send(
          JSON.stringify(
            refuse
              ? {
                  type: 'res',
                  id: msg.id,
                  ok: false,
                  error: {
                    code: 'UNAVAILABLE',
                    message: 'node pairing changed before request dispatch',
                    retryable: true,
                    details: { code: 'PAIRING_CHANGED' },
                  },
                }
              : { type: 'res', id: msg.id, ok: true, payload: { ok: true } },
          ),
        )
      }
    })
    servers.push(p.wss)
    const { c, invoked } = node(p.url, 'retry-result')
    c.start()
    await until(() => p.received.filter((m) => m.method === 'node.invoke.result').length === 3)
    expect(invoked).toEqual(['vps.health'])
    const results = p.received.filter((m) => m.method === 'node.invoke.result')
    expect(new Set(results.map((r) => r.params.id))).toEqual(new Set(['r1']))
    await sleep(300)
    expect(p.received.filter((m) => m.method === 'node.invoke.result')).toHaveLength(3)
  })

  it('a shared handshake gate keeps joins one at a time; a refused join frees its slot too', async () => {
    // Sockets between open and the end of their handshake (hello-ok sent, or closed).
    const handshaking = new Set<WebSocket>()
    let most = 0
    const p = await peer(
      (ws, msg, i) => {
        if (msg.method !== 'connect') return
        if (i === 0) {
          // The first join is refused and closed: its slot must come back.
          const error = { code: 'UNAVAILABLE', message: 'busy' }
          ws.send(JSON.stringify({ type: 'res', id: msg.id, ok: false, error }))
          setTimeout(() => ws.close(1013, 'busy'), 10)
          return
        }
        setTimeout(() => {
          handshaking.delete(ws)
          ws.send(JSON.stringify({ type: 'res', id: msg.id, ok: true, payload: helloOk() }))
        }, 50)
      },
      (ws, i) => {
        handshaking.add(ws)
        most = Math.max(most, handshaking.size)
        ws.on('close', () => handshaking.delete(ws))
        const challenge = { nonce: `n${i}`, ts: Date.now() }
        ws.send(JSON.stringify({ type: 'event', event: 'connect.challenge', payload: challenge }))
      },
    )
    servers.push(p.wss)
    const gate = new HandshakeGate(1)
    const nodes = ['g1', 'g2', 'g3'].map((d) => node(p.url, d, { handshakeGate: gate }).c)
    for (const c of nodes) c.start()
    await until(() => nodes.every((c) => c.state === 'connected'))
    expect(most).toBe(1)
    expect(p.conns()).toBe(4)
    expect(gate.busy).toBe(0)
  })

  it('keeps retrying while pairing is required, then connects', async () => {
    let refusals = 0
    const p = await peer((ws, msg) => {
      if (msg.method !== 'connect') return
      if (refusals < 3) {
        refusals++
        ws.send(
          JSON.stringify({
            type: 'res',
            id: msg.id,
            ok: false,
            error: {
              code: 'NOT_PAIRED',
              message: 'pairing required',
              details: { code: 'PAIRING_REQUIRED', requestId: 'r1' },
            },
          }),
        )
        ws.close(1008, 'pairing required')
      } else ws.send(JSON.stringify({ type: 'res', id: msg.id, ok: true, payload: helloOk() }))
    })
    servers.push(p.wss)
    const states: string[] = []
    const { c } = node(p.url, 'd', { onState: (s) => states.push(s) })
    c.start()
    await until(() => c.state === 'connected')
    expect(refusals).toBe(3)
    expect(states).toContain('pairing')
  })

  it('closes and reconnects when the gateway goes silent for two tick intervals', async () => {
    const p = await peer((ws, msg) => {
      if (msg.method === 'connect')
        ws.send(
          JSON.stringify({
            type: 'res',
            id: msg.id,
            ok: true,
            payload: helloOk({ policy: { tickIntervalMs: 100 } }),
          }),
        )
    })
    servers.push(p.wss)
    const { c } = node(p.url, 'e')
    c.start()
    await until(() => p.conns() >= 2, 3_000)
    await until(() => c.state === 'connected')
  })

  it('fails loudly on a protocol mismatch and stops', async () => {
    const p = await peer((ws, msg) => {
      if (msg.method === 'connect') {
        ws.send(
          JSON.stringify({
            type: 'res',
            id: msg.id,
            ok: false,
            error: {
              code: 'INVALID_REQUEST',
              message: 'protocol mismatch',
              details: { code: 'PROTOCOL_MISMATCH', expectedProtocol: 5 },
            },
          }),
        )
      }
    })
    servers.push(p.wss)
    const { c, fatal } = node(p.url, 'f')
    c.start()
    await until(() => fatal.length === 1)
    expect(fatal[0]!.name).toBe('ProtocolMismatchError')
    expect(c.state).toBe('stopped')
    await sleep(200)
    expect(p.conns()).toBe(1)
  })

  it('drops a device token the gateway no longer accepts and re-joins with the shared token', async () => {
    const p = await peer((ws, msg) => {
      if (msg.method !== 'connect') return
      if (msg.params.auth.token === 'stale-device-token') {
        ws.send(
          JSON.stringify({
            type: 'res',
            id: msg.id,
            ok: false,
            error: {
              code: 'INVALID_REQUEST',
              message: 'unauthorized',
              details: { code: 'AUTH_DEVICE_TOKEN_MISMATCH' },
            },
          }),
        )
        ws.close(1008)
      } else ws.send(JSON.stringify({ type: 'res', id: msg.id, ok: true, payload: helloOk() }))
    })
    servers.push(p.wss)
    const { identity } = loadOrCreateIdentity(join(tmp.dir, 'g', 'identity.json'))
    new DeviceTokenStore(join(tmp.dir, 'g', 'device-token.json')).save(
      { gatewayUrl: p.url, deviceId: identity.deviceId, role: 'node' },
      'stale-device-token',
    )
    const { c } = node(p.url, 'g')
    c.start()
    await until(() => c.state === 'connected')
    expect(p.received.filter((m) => m.method === 'connect').map((m) => m.params.auth.token)).toEqual([
      'stale-device-token',
      'shared-token',
    ])
  })
})
