/**
 * The HTTP layer every adapter shares (undici): rate limiting, retries, timeouts and error mapping,
 * configured per provider by small hooks (how to authorise, how to read an error body, how to read
 * rate-limit headers). Retries are careful about side effects: a request that may have reached
 * the provider is only repeated when it is idempotent; "certainly not processed" answers (429,
 * Hetzner `conflict`/`locked`, a refused connection) are retried for every method.
 */
import { randomUUID } from 'node:crypto'
import type { Logger } from 'pino'
import { type Dispatcher, request } from 'undici'
import type { z } from 'zod'
import { UserError, withDetails } from '../errors.js'
import { backoffDelay, parseRetryAfter, type RetryPolicy } from './backoff.js'
import type { Clock } from './clock.js'
import { type ApiService, providerError, shapeError } from './provider-error.js'
import type { Secret } from './secret.js'
import { type RateLimitHint, TokenBucket, type TokenBucketOptions } from './token-bucket.js'
import type { HttpStats } from './types.js'

export type RetryClass = 'always' | 'idempotent' | 'never'

export interface FailureInfo {
  code: string
  message: string
  requestId: string | null
  retry: RetryClass
}

export interface FailureInput {
  status: number
  body: unknown
  text: string
  headers: Record<string, string>
  sentHeaders: Record<string, string>
}

export type Query = Record<
  string,
  string | number | boolean | readonly (string | number)[] | undefined | null
>

export interface HttpRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
  /** Path below the base URL, starting with `/`. */
  path: string
  query?: Query
  json?: unknown
  form?: Record<string, string>
  /** Defaults: GET/PUT/DELETE idempotent, POST/PATCH not. */
  idempotent?: boolean
  /** Return 404 as a response instead of throwing (get-or-null, repeated deletes). */
  allow404?: boolean
  /**
   * The shape a 2xx body must have. A body that is not JSON or not of this shape is the provider's
   * failure, retried like a 5xx (a half-written answer, a proxy's error page); the parsed value is
   * `HttpResponse.data`.
   */
  schema?: z.ZodType
  signal?: AbortSignal | undefined
  opId?: string | undefined
}

export interface HttpResponse {
  status: number
  headers: Record<string, string>
  body: unknown
  /** The body parsed with the request's schema (2xx answers of requests that named one). */
  data?: { schema: z.ZodType; value: unknown }
  requestId: string | null
  method: string
  path: string
}

export interface HttpClientOptions {
  provider: ApiService
  baseUrl: string
  /** Every credential this client can see, for redaction of messages. */
  secrets: readonly Secret[]
  /** Auth headers; `refresh` asks for a new credential after a 401 (Contabo tokens). */
  authorize: (refresh: boolean) => Promise<Record<string, string>>
  /** Whether a 401 may be cured by `authorize(true)` (one extra attempt). */
  refreshableAuth?: boolean
  /** Headers that must be fresh on every attempt (Contabo x-request-id). */
  attemptHeaders?: (req: HttpRequest) => Record<string, string>
  describeFailure: (f: FailureInput) => FailureInfo
  /** The request id of a successful response, for logs (header names differ per provider). */
  requestIdOf?: (headers: Record<string, string>, sent: Record<string, string>) => string | null
  readRateLimit?: (headers: Record<string, string>, now: number) => RateLimitHint
  bucket: TokenBucketOptions
  retry: RetryPolicy
  timeoutMs: number
  clock: Clock
  random: () => number
  logger: Logger
  dispatcher?: Dispatcher | undefined
}

export class HttpClient {
  private readonly bucket: TokenBucket
  private readonly counters: HttpStats = { requests: 0, retries: 0, rateLimited: 0, throttledMs: 0 }
  private readonly base: string

  constructor(private readonly o: HttpClientOptions) {
    this.bucket = new TokenBucket(o.bucket, o.clock)
    this.base = o.baseUrl.replace(/\/+$/, '')
  }

  stats(): HttpStats {
    return { ...this.counters }
  }

  async send(req: HttpRequest): Promise<HttpResponse> {
    const idempotent =
      req.idempotent ?? (req.method === 'GET' || req.method === 'PUT' || req.method === 'DELETE')
    const policy = this.o.retry
    let refreshedAuth = false
    let forceRefresh = false
    for (let attempt = 0; ; attempt++) {
      const throttled = await this.bucket.take(req.signal)
      this.counters.throttledMs += throttled
      const outcome = await this.attempt(req, forceRefresh)
      forceRefresh = false
      const canRetry = attempt < policy.maxRetries
      if (outcome.kind === 'ok') return outcome.response

      if (outcome.kind === 'network') {
        const retryable = outcome.retry === 'always' || (outcome.retry === 'idempotent' && idempotent)
        if (!retryable || !canRetry) throw afterAttempts(outcome.error, attempt + 1)
        await this.pause(req, attempt, null, outcome.error.message)
        continue
      }

      const { failure, status, retryAfterMs } = outcome
      if (status === 401 && this.o.refreshableAuth && !refreshedAuth) {
        // An expired token is not a failure of the call: fetch a new one and try once more.
        refreshedAuth = true
        forceRefresh = true
        this.counters.retries++
        this.o.logger.debug({ provider: this.o.provider, path: req.path }, 'provider auth refresh after 401')
        continue
      }
      const retryable = failure.retry === 'always' || (failure.retry === 'idempotent' && idempotent)
      if (!retryable || !canRetry) throw afterAttempts(outcome.error, attempt + 1)
      await this.pause(req, attempt, retryAfterMs, `${status} ${failure.code}`)
    }
  }

  private async pause(
    req: HttpRequest,
    attempt: number,
    retryAfterMs: number | null,
    why: string,
  ): Promise<void> {
    const policy = this.o.retry
    const backoff = backoffDelay(attempt, policy, this.o.random)
    const wait =
      retryAfterMs === null ? backoff : Math.max(backoff, Math.min(retryAfterMs, policy.maxRetryAfterMs))
    this.counters.retries++
    this.o.logger.warn(
      {
        provider: this.o.provider,
        method: req.method,
        path: req.path,
        attempt: attempt + 1,
        delayMs: wait,
        why,
      },
      'provider request retry',
    )
    await this.o.clock.sleep(wait, req.signal)
  }

  private async attempt(
    req: HttpRequest,
    refreshAuth: boolean,
  ): Promise<
    | { kind: 'ok'; response: HttpResponse }
    | { kind: 'network'; retry: RetryClass; error: Error }
    | { kind: 'failure'; failure: FailureInfo; status: number; retryAfterMs: number | null; error: Error }
  > {
    const o = this.o
    const url = this.base + req.path + queryString(req.query)
    const auth = await o.authorize(refreshAuth)
    const sent: Record<string, string> = {
      accept: 'application/json',
      'user-agent': 'clawops',
      ...auth,
      ...(o.attemptHeaders ? o.attemptHeaders(req) : {}),
    }
    let body: string | undefined
    if (req.json !== undefined) {
      sent['content-type'] = 'application/json'
      body = JSON.stringify(req.json)
    } else if (req.form) {
      sent['content-type'] = 'application/x-www-form-urlencoded'
      body = new URLSearchParams(req.form).toString()
    }
    const timeout = AbortSignal.timeout(o.timeoutMs)
    const signal = req.signal ? AbortSignal.any([req.signal, timeout]) : timeout
    const started = o.clock.now()
    this.counters.requests++
    let status: number
    let headers: Record<string, string>
    let text: string
    try {
      const res = await request(url, {
        method: req.method,
        headers: sent,
        body,
        signal,
        ...(o.dispatcher ? { dispatcher: o.dispatcher } : {}),
      })
      status = res.statusCode
      headers = flattenHeaders(res.headers)
      text = await res.body.text()
    } catch (err) {
      if (req.signal?.aborted) throw req.signal.reason ?? err
      const timedOut = timeout.aborted
      const code = timedOut ? 'request_timeout' : networkCode(err)
      const retry: RetryClass = code === 'ECONNREFUSED' ? 'always' : 'idempotent'
      const error = providerError(
        {
          provider: o.provider,
          status: null,
          providerCode: code,
          requestId: sent['x-request-id'] ?? null,
          method: req.method,
          path: req.path,
        },
        timedOut ? `no answer within ${o.timeoutMs} ms` : `request failed: ${errMessage(err)}`,
        o.secrets,
        { cause: err },
      )
      o.logger.debug(
        { provider: o.provider, method: req.method, path: req.path, code },
        'provider request failed',
      )
      return { kind: 'network', retry, error }
    }
    const now = o.clock.now()
    if (o.readRateLimit) this.bucket.observe(o.readRateLimit(headers, now))
    o.logger.debug(
      { provider: o.provider, method: req.method, path: req.path, status, ms: now - started },
      'provider request',
    )

    let parsed: unknown = null
    let parseFailed = false
    if (text.length > 0) {
      try {
        parsed = JSON.parse(text)
      } catch {
        parseFailed = true
      }
    }
    if ((status >= 200 && status < 300) || (status === 404 && req.allow404)) {
      const requestId = o.requestIdOf?.(headers, sent) ?? null
      const meta = { provider: o.provider, status, requestId, method: req.method, path: req.path }
      // A malformed answer is a failed answer: retried within the same budget as a 5xx.
      const malformed = (error: Error) => ({
        kind: 'failure' as const,
        status,
        retryAfterMs: null,
        failure: {
          code: 'invalid_response',
          message: error.message,
          requestId,
          retry: 'idempotent' as const,
        },
        error,
      })
      if (parseFailed) {
        return malformed(
          providerError(
            { ...meta, providerCode: 'invalid_response' },
            `${req.method} ${req.path} answered with a body that is not JSON`,
            o.secrets,
          ),
        )
      }
      const response: HttpResponse = {
        status,
        headers,
        body: parsed,
        requestId,
        method: req.method,
        path: req.path,
      }
      if (req.schema && status !== 404) {
        const r = req.schema.safeParse(parsed)
        if (!r.success) return malformed(shapeError(r.error, meta, o.secrets))
        response.data = { schema: req.schema, value: r.data }
      }
      return { kind: 'ok', response }
    }
    if (status === 429) this.counters.rateLimited++
    const failure = o.describeFailure({
      status,
      body: parsed,
      text: parseFailed ? text.slice(0, 300) : '',
      headers,
      sentHeaders: sent,
    })
    const retryAfterMs = parseRetryAfter(headers['retry-after'], now)
    const error = providerError(
      {
        provider: o.provider,
        status,
        providerCode: failure.code,
        requestId: failure.requestId,
        method: req.method,
        path: req.path,
      },
      failure.message,
      o.secrets,
    )
    return { kind: 'failure', failure, status, retryAfterMs, error }
  }
}

/** The final error of a request that was tried more than once says so (message and details). */
function afterAttempts(err: Error, attempts: number): Error {
  if (attempts === 1 || !(err instanceof UserError)) return err
  return withDetails(err, { attempts }, `; gave up after ${attempts} attempts`)
}

/** Default classification shared by the providers: what every HTTP API means by these statuses. */
export function retryClassForStatus(status: number): RetryClass {
  if (status === 429) return 'always'
  if (status === 500 || status === 502 || status === 503 || status === 504) return 'idempotent'
  return 'never'
}

export function newRequestId(): string {
  return randomUUID()
}

function queryString(q: Query | undefined): string {
  if (!q) return ''
  const params = new URLSearchParams()
  for (const [k, v] of Object.entries(q)) {
    if (v === undefined || v === null) continue
    if (Array.isArray(v)) for (const item of v) params.append(k, String(item))
    else params.append(k, String(v))
  }
  const s = params.toString()
  return s ? `?${s}` : ''
}

function flattenHeaders(h: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(h)) {
    if (v === undefined) continue
    out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v
  }
  return out
}

function networkCode(err: unknown): string {
  const e = err as { code?: unknown; cause?: { code?: unknown } }
  if (typeof e?.code === 'string') return e.code
  if (typeof e?.cause?.code === 'string') return e.cause.code
  return 'network_error'
}

function errMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

/** A numeric header value, undefined when absent or not a number. */
export function headerNumber(v: string | undefined): number | undefined {
  if (v === undefined || v.trim() === '') return undefined
  const n = Number(v)
  return Number.isFinite(n) ? n : undefined
}
