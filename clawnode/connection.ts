/**
 * One node's link to the gateway: the protocol-4 handshake with a v3 device signature, pairing
 * (keep retrying while the gateway says PAIRING_REQUIRED), the device token that replaces the
 * first-contact credential once issued, reconnect with jittered backoff, a tick watchdog, and
 * `node.invoke.request` → `node.invoke.result`. Every inbound frame is validated; a malformed frame
 * is logged and dropped, never thrown.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import WebSocket from 'ws'
import { z } from 'zod'
import { backoffDelay } from '../src/lib/gateway/backoff.js'
import { type DeviceIdentity, signConnect } from '../src/lib/gateway/device-identity.js'
import type { DeviceTokenStore } from '../src/lib/gateway/device-token-store.js'
import { joinProof, nodeDisplayName } from '../src/lib/gateway/join-proof.js'
import { CLAWNODE_CAP } from '../src/lib/gateway/node-commands.js'
import {
  ChallengeSchema,
  CLIENT_IDS,
  type ConnectParams,
  connectErrorDetails,
  type ErrorShape,
  HelloOkSchema,
  PROTOCOL_VERSION,
  parseInboundFrame,
} from '../src/lib/gateway/protocol.js'
import type { Logger } from '../src/lib/log.js'
import type { InvokeOutcome } from './commands/registry.js'
import type { HandshakeGate } from './handshake-gate.js'

export const InvokeRequestSchema = z.looseObject({
  id: z.string().min(1),
  nodeId: z.string().min(1),
  command: z.string().min(1),
  paramsJSON: z.string().nullable().optional(),
  timeoutMs: z.number().int().nonnegative().optional(),
  idempotencyKey: z.string().optional(),
})
export type InvokeRequest = z.infer<typeof InvokeRequestSchema>

const CancelSchema = z.looseObject({ id: z.string().min(1) })

export type ConnectionState = 'idle' | 'connecting' | 'pairing' | 'connected' | 'stopped'

export class ProtocolMismatchError extends Error {
  override name = 'ProtocolMismatchError'
}

export interface NodeConnectionOptions {
  url: string
  identity: DeviceIdentity
  tokens: DeviceTokenStore
  firstContact: { token?: string | undefined; bootstrapToken?: string | undefined }
  instanceId: string
  joinSecret?: string | undefined
  commands: readonly string[]
  version: string
  reconnect: { minDelayMs: number; maxDelayMs: number; pairingRetryMs: number }
  maxConcurrent: number
  /** Shared by a swarm's nodes: a slot is held from opening the socket until hello-ok or close. */
  handshakeGate?: HandshakeGate | undefined
  logger: Logger
  onInvoke(req: InvokeRequest, signal: AbortSignal): Promise<InvokeOutcome>
  /** A condition retrying cannot fix (protocol mismatch): the process should exit non-zero. */
  onFatal(err: Error): void
  onState?(state: ConnectionState): void
  random?: () => number
}

// An overloaded gateway can take tens of seconds to answer a connect (seen with ~1,000 nodes joining
// at once). Giving up early wastes the work it already did and can burn a single-use bootstrap
// credential, so the node waits long before it abandons a handshake.
const HANDSHAKE_TIMEOUT_MS = 60_000
const REQUEST_TIMEOUT_MS = 15_000
const DEFAULT_TICK_MS = 30_000
const DEDUPE_LIMIT = 256
const DEDUPE_TTL_MS = 10 * 60_000

/** The gateway marks transient refusals retryable (overload, a pairing check it could not make). */
function isRetryable(error: ErrorShape | undefined): boolean {
  return (error as { retryable?: unknown } | undefined)?.retryable === true
}

interface Pending {
  resolve(frame: { ok: boolean; payload?: unknown; error?: ErrorShape }): void
  timer: NodeJS.Timeout
}

export class NodeConnection {
  state: ConnectionState = 'idle'
  private ws: WebSocket | undefined
  private attempt = 0
  private reconnectTimer: NodeJS.Timeout | undefined
  private watchdog: NodeJS.Timeout | undefined
  private handshakeTimer: NodeJS.Timeout | undefined
  private tickMs = DEFAULT_TICK_MS
  private seq = 0
  private readonly pending = new Map<string, Pending>()
  private readonly running = new Map<string, AbortController>()
  private readonly recent = new Map<string, { at: number; outcome: Promise<InvokeOutcome> }>()
  private lastFailure: 'pairing' | 'other' = 'other'
  private lastPairingRequestId: string | undefined
  private stopped: (() => void) | undefined
  private connectId = ''
  private usedDeviceToken = false
  private usedBootstrap = false
  /** Set once the gateway refused the bootstrap credential (spent or expired): use the shared token. */
  private bootstrapSpent = false
  private holdsGate = false
  private readonly displayName: string

  constructor(private readonly o: NodeConnectionOptions) {
    const proof = o.joinSecret ? joinProof(o.joinSecret, o.instanceId, o.identity.deviceId) : undefined
    this.displayName = nodeDisplayName(o.instanceId, proof)
  }

  get deviceId(): string {
    return this.o.identity.deviceId
  }

  start(): void {
    if (this.state !== 'idle') return
    this.open()
  }

  /** Closes the link and stops reconnecting; in-flight commands are cancelled. */
  stop(): Promise<void> {
    if (this.state === 'stopped') return Promise.resolve()
    clearTimeout(this.reconnectTimer)
    for (const c of this.running.values()) c.abort()
    const ws = this.ws
    this.setState('stopped')
    this.clearTimers()
    this.releaseGate()
    if (!ws || ws.readyState === WebSocket.CLOSED) return Promise.resolve()
    return new Promise((resolve) => {
      this.stopped = resolve
      ws.close(1000, 'node stopping')
      setTimeout(() => ws.terminate(), 2_000).unref()
    })
  }

  private setState(s: ConnectionState): void {
    if (this.state === s) return
    this.state = s
    this.o.onState?.(s)
  }

  private clearTimers(): void {
    clearTimeout(this.watchdog)
    clearTimeout(this.handshakeTimer)
    this.watchdog = undefined
    this.handshakeTimer = undefined
  }

  private releaseGate(): void {
    if (!this.holdsGate) return
    this.holdsGate = false
    this.o.handshakeGate?.release()
  }

  private open(): void {
    this.setState('connecting')
    const gate = this.o.handshakeGate
    if (!gate) {
      this.openSocket()
      return
    }
    void gate.acquire().then(() => {
      if (this.state === 'stopped') {
        gate.release()
        return
      }
      this.holdsGate = true
      this.openSocket()
    })
  }

  private openSocket(): void {
    const ws = new WebSocket(this.o.url, {
      handshakeTimeout: 10_000,
      maxPayload: 64 * 1024 * 1024,
      // Compression costs a zlib context per socket; a swarm of thousands cannot afford it.
      perMessageDeflate: false,
    })
    this.ws = ws
    this.handshakeTimer = setTimeout(() => {
      this.o.logger.warn('handshake did not complete in time; reconnecting')
      ws.terminate()
    }, HANDSHAKE_TIMEOUT_MS)
    ws.on('message', (data, isBinary) => {
      if (isBinary) return
      this.onFrame(ws, data.toString())
    })
    ws.on('error', (err) => {
      this.o.logger.debug({ err: err.message }, 'gateway socket error')
    })
    ws.on('close', (code, reason) => this.onClose(ws, code, reason.toString()))
  }

  private onClose(ws: WebSocket, code: number, reason: string): void {
    if (this.ws !== ws) return
    this.ws = undefined
    this.clearTimers()
    this.releaseGate()
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer)
      p.resolve({ ok: false, error: { code: 'DISCONNECTED', message: 'connection closed' } })
      this.pending.delete(id)
    }
    if (this.state === 'stopped') {
      this.stopped?.()
      return
    }
    const wasConnected = this.state === 'connected'
    this.setState('connecting')
    // While waiting for approval the first retries come quickly (approval usually follows the request
    // within a second), then back off like any failure: a fleet of unapproved nodes retrying at a
    // fixed rate saturates the gateway, whose connect path is expensive.
    const min = this.lastFailure === 'pairing' ? this.o.reconnect.pairingRetryMs : this.o.reconnect.minDelayMs
    const delay = backoffDelay(
      this.attempt++,
      { minMs: min, maxMs: this.o.reconnect.maxDelayMs },
      this.o.random,
    )
    if (wasConnected) this.o.logger.info({ code, reason, retryInMs: delay }, 'disconnected from gateway')
    else this.o.logger.debug({ code, reason, retryInMs: delay }, 'connection attempt ended')
    this.reconnectTimer = setTimeout(() => this.open(), delay)
  }

  private armWatchdog(): void {
    // Any frame proves the link is alive; ticks arrive every tickMs, so 2× silence means it is not.
    if (this.watchdog) {
      this.watchdog.refresh()
      return
    }
    this.watchdog = setTimeout(() => {
      this.o.logger.warn({ silentMs: 2 * this.tickMs }, 'no frames from gateway; closing to reconnect')
      this.watchdog = undefined
      this.ws?.terminate()
    }, 2 * this.tickMs)
  }

  private send(ws: WebSocket, frame: unknown): void {
    if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(frame))
  }

  private request(
    method: string,
    params: unknown,
  ): Promise<{ ok: boolean; payload?: unknown; error?: ErrorShape }> {
    const ws = this.ws
    if (!ws || ws.readyState !== WebSocket.OPEN) {
      return Promise.resolve({ ok: false, error: { code: 'DISCONNECTED', message: 'not connected' } })
    }
    const id = `n${++this.seq}`
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id)
        resolve({ ok: false, error: { code: 'TIMEOUT', message: `${method} timed out` } })
      }, REQUEST_TIMEOUT_MS)
      this.pending.set(id, { resolve, timer })
      this.send(ws, { type: 'req', id, method, params })
    })
  }

  private onFrame(ws: WebSocket, data: string): void {
    const frame = parseInboundFrame(data)
    if (!frame) {
      this.o.logger.debug({ bytes: data.length }, 'dropped a malformed frame')
      return
    }
    if (this.state === 'connected') this.armWatchdog()
    if (frame.type === 'res') {
      if (frame.id === this.connectId) {
        this.onConnectResponse(ws, frame.ok, frame.payload, frame.error)
        return
      }
      const p = this.pending.get(frame.id)
      if (p) {
        this.pending.delete(frame.id)
        clearTimeout(p.timer)
        p.resolve({ ok: frame.ok, payload: frame.payload, ...(frame.error ? { error: frame.error } : {}) })
      }
      return
    }
    switch (frame.event) {
      case 'connect.challenge':
        this.onChallenge(ws, frame.payload)
        return
      case 'node.invoke.request':
        this.onInvokeRequest(frame.payload)
        return
      case 'node.invoke.cancel': {
        const c = CancelSchema.safeParse(frame.payload)
        if (c.success) this.running.get(c.data.id)?.abort()
        return
      }
      case 'node.pair.resolved':
        this.o.logger.info({ payload: frame.payload }, 'command surface decision')
        return
      case 'shutdown':
        this.o.logger.info('gateway is shutting down')
        return
      default:
        return
    }
  }

  private onChallenge(ws: WebSocket, payload: unknown): void {
    const challenge = ChallengeSchema.safeParse(payload)
    if (!challenge.success) {
      this.o.logger.warn('malformed connect.challenge; reconnecting')
      ws.terminate()
      return
    }
    const { nonce, ts } = challenge.data
    const deviceToken = this.o.tokens.load({ gatewayUrl: this.o.url, deviceId: this.deviceId, role: 'node' })
    this.usedDeviceToken = deviceToken !== undefined
    this.usedBootstrap = false
    const auth: ConnectParams['auth'] = {}
    let signedToken = ''
    const { token: shared, bootstrapToken } = this.o.firstContact
    // A bootstrap credential goes first when there is one: it admits the node in a single connect,
    // with no approval round trip (and no shared secret); the shared token is the fallback.
    if (deviceToken) {
      auth.token = signedToken = deviceToken
    } else if (bootstrapToken && !(this.bootstrapSpent && shared)) {
      auth.bootstrapToken = signedToken = bootstrapToken
      this.usedBootstrap = true
    } else if (shared) {
      auth.token = signedToken = shared
    }
    const client = {
      id: CLIENT_IDS.node,
      displayName: this.displayName,
      version: this.o.version,
      platform: 'linux',
      deviceFamily: 'Linux',
      mode: 'node' as const,
    }
    const params: ConnectParams = {
      minProtocol: PROTOCOL_VERSION,
      maxProtocol: PROTOCOL_VERSION,
      client,
      role: 'node',
      scopes: [],
      caps: [CLAWNODE_CAP],
      commands: [...this.o.commands],
      permissions: {},
      auth,
      locale: 'en-US',
      userAgent: `gf-clawnode/${this.o.version}`,
      device: signConnect(this.o.identity, {
        clientId: client.id,
        clientMode: client.mode,
        role: 'node',
        scopes: [],
        token: signedToken,
        nonce,
        signedAt: ts,
        platform: client.platform,
        deviceFamily: client.deviceFamily,
      }),
    }
    this.connectId = `c${++this.seq}`
    this.send(ws, { type: 'req', id: this.connectId, method: 'connect', params })
  }

  private onConnectResponse(
    ws: WebSocket,
    ok: boolean,
    payload: unknown,
    error: ErrorShape | undefined,
  ): void {
    clearTimeout(this.handshakeTimer)
    if (!ok) {
      this.onConnectError(ws, error)
      return
    }
    const hello = HelloOkSchema.safeParse(payload)
    if (!hello.success) {
      this.o.logger.error('gateway sent an unreadable hello-ok; reconnecting')
      this.lastFailure = 'other'
      ws.close(1002, 'bad hello')
      return
    }
    if (hello.data.protocol !== PROTOCOL_VERSION) {
      this.fatal(
        ws,
        new ProtocolMismatchError(
          `gateway speaks protocol ${hello.data.protocol}, gf-clawnode speaks ${PROTOCOL_VERSION} (gateway ${hello.data.server.version})`,
        ),
      )
      return
    }
    const token = hello.data.auth?.deviceToken
    const key = { gatewayUrl: this.o.url, deviceId: this.deviceId, role: 'node' }
    if (token && token !== this.o.tokens.load(key)) {
      this.o.tokens.save(key, token, (hello.data.auth as { issuedAtMs?: number } | undefined)?.issuedAtMs)
      this.o.logger.info('paired: device token stored; the first-contact credential is no longer used')
    }
    this.tickMs = hello.data.policy?.tickIntervalMs ?? DEFAULT_TICK_MS
    this.attempt = 0
    this.lastFailure = 'other'
    this.lastPairingRequestId = undefined
    this.setState('connected')
    this.releaseGate()
    this.armWatchdog()
    this.o.logger.info(
      { server: hello.data.server.version, auth: hello.data.auth?.method, commands: this.o.commands.length },
      'connected to gateway',
    )
  }

  private onConnectError(ws: WebSocket, error: ErrorShape | undefined): void {
    const details = connectErrorDetails(error)
    const code = details.code ?? error?.code ?? 'UNKNOWN'
    if (code === 'PROTOCOL_MISMATCH') {
      this.fatal(
        ws,
        new ProtocolMismatchError(`gateway refused protocol ${PROTOCOL_VERSION}: ${error?.message ?? ''}`),
      )
      return
    }
    if (code === 'PAIRING_REQUIRED' || error?.code === 'NOT_PAIRED') {
      this.lastFailure = 'pairing'
      this.setState('pairing')
      if (details.requestId !== this.lastPairingRequestId) {
        this.lastPairingRequestId = details.requestId
        this.o.logger.info(
          { requestId: details.requestId, reason: details.reason, deviceId: this.deviceId },
          'waiting for pairing approval',
        )
      }
      return
    }
    this.lastFailure = 'other'
    if (this.usedBootstrap && code.startsWith('AUTH_')) {
      this.bootstrapSpent = true
      this.o.logger.warn({ code }, 'bootstrap credential refused (spent or expired)')
      return
    }
    if (this.usedDeviceToken && code.startsWith('AUTH_')) {
      // The gateway no longer accepts our device token (revoked, or the gateway's state was reset).
      this.o.tokens.clear()
      const fallback = this.o.firstContact.token || this.o.firstContact.bootstrapToken
      this.o.logger.error(
        { code },
        fallback
          ? 'device token rejected; dropped it and will re-join with the first-contact credential'
          : 'device token rejected and no first-contact credential is configured; this node needs a new join',
      )
      return
    }
    this.o.logger.warn({ code, message: error?.message }, 'gateway refused the connection')
  }

  private fatal(ws: WebSocket, err: Error): void {
    this.o.logger.fatal({ err: err.message }, 'cannot talk to this gateway')
    this.setState('stopped')
    ws.close(1002, 'protocol mismatch')
    this.o.onFatal(err)
  }

  private onInvokeRequest(payload: unknown): void {
    const parsed = InvokeRequestSchema.safeParse(payload)
    if (!parsed.success) {
      this.o.logger.warn('dropped a malformed node.invoke.request')
      return
    }
    const req = parsed.data
    if (req.nodeId !== this.deviceId) return
    void this.handleInvoke(req)
  }

  private outcomeFor(req: InvokeRequest, controller: AbortController): Promise<InvokeOutcome> {
    const key = req.idempotencyKey ? `${req.command}\n${req.idempotencyKey}` : undefined
    const now = Date.now()
    if (key) {
      const hit = this.recent.get(key)
      if (hit && now - hit.at < DEDUPE_TTL_MS) return hit.outcome
    }
    let outcome: Promise<InvokeOutcome>
    if (this.running.size >= this.o.maxConcurrent) {
      outcome = Promise.resolve({
        ok: false,
        error: {
          code: 'CONFLICT',
          message: `node is busy (${this.running.size} commands running); retry later`,
        },
      })
    } else {
      outcome = this.o.onInvoke(req, controller.signal).catch(
        (err: unknown): InvokeOutcome => ({
          ok: false,
          error: { code: 'INTERNAL', message: String(err).slice(0, 500) },
        }),
      )
    }
    if (key) {
      // Retries with the same key get the same answer instead of running a mutating command twice.
      const entry = { at: now, outcome }
      this.recent.set(key, entry)
      if (this.recent.size > DEDUPE_LIMIT) this.recent.delete(this.recent.keys().next().value!)
      // Except a deadline: the caller stopped waiting, not the work. A repeat asks again (commands that
      // outlive their caller, like openclaw.update, answer it from their own record).
      void outcome.then((o) => {
        if (!o.ok && o.error.code === 'TIMEOUT' && this.recent.get(key) === entry) this.recent.delete(key)
      })
    }
    return outcome
  }

  private async handleInvoke(req: InvokeRequest): Promise<void> {
    const controller = new AbortController()
    const t0 = Date.now()
    this.running.set(req.id, controller)
    let outcome: InvokeOutcome
    try {
      outcome = await this.outcomeFor(req, controller)
    } finally {
      this.running.delete(req.id)
    }
    const base = { id: req.id, nodeId: this.deviceId }
    const params = outcome.ok
      ? { ...base, ok: true, payloadJSON: outcome.payloadJSON }
      : { ...base, ok: false, error: outcome.error }
    this.o.logger.debug(
      {
        command: req.command,
        ok: outcome.ok,
        ms: Date.now() - t0,
        ...(outcome.ok ? {} : { code: outcome.error.code }),
      },
      'invoke handled',
    )
    // A busy gateway can refuse a result it cannot attribute right now (its pairing check unavailable:
    // UNAVAILABLE, retryable). The caller waits for this answer until its deadline, so send it again
    // while that deadline allows rather than leave the caller to time out.
    const deadline = t0 + (req.timeoutMs ?? REQUEST_TIMEOUT_MS)
    let ack = await this.request('node.invoke.result', params)
    for (let attempt = 0; !ack.ok && isRetryable(ack.error) && this.state === 'connected'; attempt++) {
      const delay = backoffDelay(attempt, { minMs: 100, maxMs: 2_000 })
      if (Date.now() + delay >= deadline) break
      await sleep(delay)
      ack = await this.request('node.invoke.result', params)
    }
    if (!ack.ok)
      this.o.logger.warn({ command: req.command, error: ack.error?.message }, 'invoke result not delivered')
  }
}
