/**
 * clawops' operator connection to an OpenClaw gateway over `ws`: handshake, request/response
 * correlation with per-call timeouts, event subscription, and (for long-lived callers such as
 * `clawops watch`) reconnect with backoff and a tick watchdog.
 *
 * Two ways in:
 * - `backend`: same-host loopback, `client.id: gateway-client`, mode `backend`, the shared gateway
 *   token and no device; the gateway keeps the requested operator scopes on this path only.
 * - `device`: a persistent device identity for a remote gateway; the first connect needs the shared
 *   token and a human `openclaw devices approve`, after which the issued device token is used.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import WebSocket from 'ws'
import { UserError } from '../errors.js'
import type { Logger } from '../log.js'
import { backoffDelay } from './backoff.js'
import { type DeviceIdentity, signConnect } from './device-identity.js'
import type { DeviceTokenStore } from './device-token-store.js'
import {
  ChallengeSchema,
  CLIENT_IDS,
  type ConnectParams,
  connectErrorDetails,
  type ErrorShape,
  type HelloOk,
  HelloOkSchema,
  PROTOCOL_VERSION,
  parseInboundFrame,
} from './protocol.js'

export const OPERATOR_SCOPES = [
  'operator.read',
  'operator.write',
  'operator.pairing',
  'operator.admin',
] as const

export type GatewayAuth =
  | { kind: 'backend'; token: string }
  | { kind: 'device'; identity: DeviceIdentity; tokens: DeviceTokenStore; sharedToken?: string }

export interface GatewayClientOptions {
  url: string
  auth: GatewayAuth
  scopes?: readonly string[]
  version?: string
  logger?: Logger
  connectTimeoutMs?: number
  requestTimeoutMs?: number
  /** Keep the connection up across gateway restarts (daemons); one-shot CLI calls leave it off. */
  reconnect?: boolean
  /**
   * Capabilities to advertise, e.g. `exec-approvals`: with operator.approvals (or admin) the gateway
   * then delivers exec approval requests to this client, which can resolve them.
   */
  caps?: readonly string[]
}

/** Connect failures that were the gateway saying "busy, try again" (HTTP 503/429 at the upgrade). */
const busyRefusals = new WeakSet<Error>()

/** A request the gateway answered with `ok:false`. */
export class GatewayRpcError extends Error {
  override name = 'GatewayRpcError'
  constructor(
    readonly method: string,
    readonly code: string,
    message: string,
    readonly details: unknown,
    /** The gateway marks transient refusals (overload, a pairing change mid-call) retryable. */
    readonly retryable = false,
  ) {
    super(message)
  }
}

export type EventHandler = (payload: unknown, event: string) => void
export type ConnectionListener = (state: 'connected' | 'disconnected', info: { hello?: HelloOk }) => void

interface Pending {
  method: string
  resolve(payload: unknown): void
  reject(err: Error): void
  timer: NodeJS.Timeout
}

const DEFAULT_TICK_MS = 30_000

export class GatewayClient {
  hello!: HelloOk
  private ws: WebSocket | undefined
  private seq = 0
  private readonly pending = new Map<string, Pending>()
  private readonly handlers = new Map<string, Set<EventHandler>>()
  private readonly connectionListeners = new Set<ConnectionListener>()
  private closed = false
  private attempt = 0
  private reconnectTimer: NodeJS.Timeout | undefined
  private watchdog: NodeJS.Timeout | undefined

  private constructor(private readonly o: GatewayClientOptions) {}

  static async connect(o: GatewayClientOptions): Promise<GatewayClient> {
    // A gateway under load (a join storm, a slow state database) answers the WebSocket upgrade with
    // 503 or 429 for a moment; a one-shot CLI call should ride that out, not halt a rollout.
    const deadline = Date.now() + (o.connectTimeoutMs ?? 10_000)
    for (let attempt = 0; ; attempt++) {
      const client = new GatewayClient(o)
      try {
        // A loaded machine may wake from the backoff past the deadline: one last short try, never a
        // negative timeout (ws throws a RangeError for one).
        await client.open(Math.max(1, deadline - Date.now()))
        return client
      } catch (err) {
        const delay = backoffDelay(attempt, { minMs: 250, maxMs: 2_000 })
        if (!busyRefusals.has(err as Error) || Date.now() + delay >= deadline) throw err
        o.logger?.debug({ attempt, retryInMs: delay }, 'gateway busy at connect; retrying')
        await sleep(delay)
      }
    }
  }

  get url(): string {
    return this.o.url
  }

  get connected(): boolean {
    return this.ws?.readyState === WebSocket.OPEN
  }

  /** Subscribes to one gateway event (or '*' for all); returns the unsubscribe function. */
  on(event: string, handler: EventHandler): () => void {
    let set = this.handlers.get(event)
    if (!set) {
      set = new Set()
      this.handlers.set(event, set)
    }
    set.add(handler)
    return () => set.delete(handler)
  }

  onConnection(listener: ConnectionListener): () => void {
    this.connectionListeners.add(listener)
    return () => this.connectionListeners.delete(listener)
  }

  /** Whether the connected gateway advertises `method` (hello-ok features). */
  supports(method: string): boolean {
    return this.hello.features?.methods.includes(method) ?? false
  }

  async request<T = unknown>(
    method: string,
    params: unknown = {},
    opts: { timeoutMs?: number } = {},
  ): Promise<T> {
    const ws = this.ws
    if (!ws || ws.readyState !== WebSocket.OPEN) {
      throw new UserError('GATEWAY_UNREACHABLE', `not connected to the gateway at ${this.o.url}`)
    }
    const timeoutMs = opts.timeoutMs ?? this.o.requestTimeoutMs ?? 30_000
    const id = `r${++this.seq}`
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id)
        reject(new UserError('TIMEOUT', `gateway call ${method} did not answer within ${timeoutMs} ms`))
      }, timeoutMs)
      this.pending.set(id, { method, resolve: resolve as (p: unknown) => void, reject, timer })
      ws.send(JSON.stringify({ type: 'req', id, method, params }))
    })
  }

  async close(): Promise<void> {
    this.closed = true
    clearTimeout(this.reconnectTimer)
    clearTimeout(this.watchdog)
    const ws = this.ws
    if (!ws || ws.readyState === WebSocket.CLOSED) return
    await new Promise<void>((resolve) => {
      ws.once('close', () => resolve())
      ws.close(1000, 'client closing')
      setTimeout(() => {
        ws.terminate()
        resolve()
      }, 2_000).unref()
    })
  }

  private open(timeoutMs = this.o.connectTimeoutMs ?? 10_000): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let settled = false
      const settle = (err?: Error) => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        if (err) {
          ws.terminate()
          reject(err)
        } else resolve()
      }
      const ws = new WebSocket(this.o.url, {
        handshakeTimeout: timeoutMs,
        maxPayload: 64 * 1024 * 1024,
        perMessageDeflate: false,
      })
      const timer = setTimeout(
        () =>
          settle(
            new UserError(
              'GATEWAY_UNREACHABLE',
              `gateway at ${this.o.url} did not complete the handshake in ${timeoutMs} ms`,
            ),
          ),
        timeoutMs,
      )
      let connectId = ''
      ws.on('error', (err) => {
        const e = new UserError(
          'GATEWAY_UNREACHABLE',
          `cannot reach the gateway at ${this.o.url}: ${err.message}`,
          { hint: 'Is the gateway running? Check the URL and that it listens on that port.' },
        )
        if (/Unexpected server response: (429|503)\b/.test(err.message)) busyRefusals.add(e)
        settle(e)
      })
      ws.on('close', (code, reason) => {
        settle(
          new UserError(
            'GATEWAY_UNREACHABLE',
            `gateway closed the connection (${code} ${reason.toString()})`,
          ),
        )
        this.onClose(ws)
      })
      ws.on('message', (data, isBinary) => {
        if (isBinary) return
        const frame = parseInboundFrame(data.toString())
        if (!frame) return
        if (this.ws === ws) this.armWatchdog()
        if (frame.type === 'event' && frame.event === 'connect.challenge' && !connectId) {
          const ch = ChallengeSchema.safeParse(frame.payload)
          if (!ch.success)
            return settle(new UserError('GATEWAY_UNREACHABLE', 'gateway sent a malformed challenge'))
          connectId = `c${++this.seq}`
          ws.send(
            JSON.stringify({
              type: 'req',
              id: connectId,
              method: 'connect',
              params: this.connectParams(ch.data),
            }),
          )
          return
        }
        if (frame.type === 'res' && frame.id === connectId) {
          if (!frame.ok) return settle(this.connectError(frame.error))
          const hello = HelloOkSchema.safeParse(frame.payload)
          if (!hello.success)
            return settle(new UserError('GATEWAY_UNREACHABLE', 'gateway sent an unreadable hello-ok'))
          if (hello.data.protocol !== PROTOCOL_VERSION) {
            return settle(
              new UserError(
                'GATEWAY_UNREACHABLE',
                `gateway speaks protocol ${hello.data.protocol}; clawops speaks ${PROTOCOL_VERSION}`,
              ),
            )
          }
          this.onHello(ws, hello.data)
          settle()
          return
        }
        this.dispatch(frame)
      })
    })
  }

  private connectParams(ch: { nonce: string; ts: number }): ConnectParams {
    const auth = this.o.auth
    const scopes = [...(this.o.scopes ?? OPERATOR_SCOPES)]
    const base = {
      minProtocol: PROTOCOL_VERSION,
      maxProtocol: PROTOCOL_VERSION,
      role: 'operator' as const,
      scopes,
      caps: [...(this.o.caps ?? [])],
      commands: [],
      permissions: {},
      locale: 'en-US',
      userAgent: `clawops/${this.o.version ?? '0'}`,
    }
    if (auth.kind === 'backend') {
      return {
        ...base,
        client: {
          id: CLIENT_IDS.backend,
          displayName: 'clawops',
          version: this.o.version ?? '0',
          platform: 'linux',
          mode: 'backend',
        },
        auth: { token: auth.token },
      }
    }
    const client = {
      id: CLIENT_IDS.cli,
      displayName: 'clawops',
      version: this.o.version ?? '0',
      platform: 'linux',
      deviceFamily: 'Linux',
      mode: 'cli' as const,
    }
    const key = { gatewayUrl: this.o.url, deviceId: auth.identity.deviceId, role: 'operator' }
    const token = auth.tokens.load(key) ?? auth.sharedToken ?? ''
    return {
      ...base,
      client,
      auth: token ? { token } : {},
      device: signConnect(auth.identity, {
        clientId: client.id,
        clientMode: client.mode,
        role: 'operator',
        scopes,
        token,
        nonce: ch.nonce,
        signedAt: ch.ts,
        platform: client.platform,
        deviceFamily: client.deviceFamily,
      }),
    }
  }

  private connectError(error: ErrorShape | undefined): UserError {
    const details = connectErrorDetails(error)
    const code = details.code ?? error?.code ?? 'UNKNOWN'
    const message = error?.message ?? 'connection refused'
    if (code === 'PAIRING_REQUIRED' || error?.code === 'NOT_PAIRED') {
      return new UserError(
        'GATEWAY_UNREACHABLE',
        `this clawops device is not paired with the gateway: ${message}`,
        {
          hint: `On the gateway host run: openclaw devices approve ${details.requestId ?? '<requestId>'}`,
          details: { gatewayCode: code, requestId: details.requestId },
        },
      )
    }
    if (code.startsWith('AUTH_')) {
      return new UserError('GATEWAY_UNREACHABLE', `the gateway refused clawops' credentials: ${message}`, {
        hint: 'Check the gateway token clawops is configured with.',
        details: { gatewayCode: code },
      })
    }
    return new UserError('GATEWAY_UNREACHABLE', `the gateway refused the connection: ${message}`, {
      details: { gatewayCode: code },
    })
  }

  private onHello(ws: WebSocket, hello: HelloOk): void {
    this.ws = ws
    this.hello = hello
    this.attempt = 0
    const auth = this.o.auth
    const token = hello.auth?.deviceToken
    if (auth.kind === 'device' && token) {
      auth.tokens.save({ gatewayUrl: this.o.url, deviceId: auth.identity.deviceId, role: 'operator' }, token)
    }
    this.armWatchdog()
    for (const l of this.connectionListeners) l('connected', { hello })
  }

  private armWatchdog(): void {
    if (!this.o.reconnect) return
    const tick = this.hello?.policy?.tickIntervalMs ?? DEFAULT_TICK_MS
    clearTimeout(this.watchdog)
    this.watchdog = setTimeout(() => {
      this.o.logger?.warn('gateway went silent; reconnecting')
      this.ws?.terminate()
    }, 2 * tick)
  }

  private onClose(ws: WebSocket): void {
    if (this.ws !== ws) return
    this.ws = undefined
    clearTimeout(this.watchdog)
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer)
      p.reject(new UserError('GATEWAY_UNREACHABLE', `connection to the gateway closed during ${p.method}`))
      this.pending.delete(id)
    }
    for (const l of this.connectionListeners) l('disconnected', {})
    if (this.closed || !this.o.reconnect) return
    this.scheduleReconnect()
  }

  private scheduleReconnect(): void {
    const delay = backoffDelay(this.attempt++, { minMs: 1_000, maxMs: 30_000 })
    this.o.logger?.info({ retryInMs: delay }, 'gateway connection lost; reconnecting')
    this.reconnectTimer = setTimeout(() => {
      if (this.closed) return
      this.open().catch((err: Error) => {
        this.o.logger?.debug({ err: err.message }, 'reconnect attempt failed')
        if (!this.closed && !this.ws) this.scheduleReconnect()
      })
    }, delay)
  }

  private dispatch(frame: NonNullable<ReturnType<typeof parseInboundFrame>>): void {
    if (frame.type === 'res') {
      const p = this.pending.get(frame.id)
      if (!p) return
      this.pending.delete(frame.id)
      clearTimeout(p.timer)
      if (frame.ok) p.resolve(frame.payload)
      else {
        const e = frame.error
        p.reject(
          new GatewayRpcError(
            p.method,
            e?.code ?? 'UNKNOWN',
            e?.message ?? `${p.method} failed`,
            e?.details,
            (e as { retryable?: unknown } | undefined)?.retryable === true,
          ),
        )
      }
      return
    }
    for (const key of [frame.event, '*']) {
      for (const h of this.handlers.get(key) ?? []) {
        try {
          h(frame.payload, frame.event)
        } catch (err) {
          this.o.logger?.warn({ event: frame.event, err: String(err) }, 'event handler threw')
        }
      }
    }
  }
}
