/**
 * A Discord webhook endpoint on loopback, to Discord's documented contract for Execute Webhook
 * (POST /api/webhooks/{id}/{token}):
 * - an unknown id or token: 404 {"message": "Unknown Webhook", "code": 10015};
 * - a body that is not JSON, has neither content nor embeds, content over 2000 characters, more than
 *   10 embeds, an embed title over 256 or description over 4096, or over 6000 characters across
 *   embeds: 400 {"message": "Invalid Form Body" | "Cannot send an empty message", "code": 50035 | 50006};
 * - accepted: 204 with no body, or with `?wait=true` 200 and the created message;
 * - a per-webhook bucket of `limit` messages per `windowMs`: every answer carries X-RateLimit-Limit,
 *   -Remaining, -Reset, -Reset-After and -Bucket; a message over the limit gets 429 with Retry-After,
 *   X-RateLimit-Scope: shared and {"message", "retry_after" (seconds), "global": false}.
 * `rateLimitNext(seconds)` makes the next message earn a 429 (Discord can limit sooner than the
 * headers said, e.g. across webhooks of a channel).
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface DiscordRequest {
  at: number
  path: string
  wait: boolean
  status: number
  // biome-ignore lint/suspicious/noExplicitAny: the message as posted
  body: any
}

export class FakeDiscord {
  readonly requests: DiscordRequest[] = []
  private server: Server | null = null
  private windowStart = 0
  private used = 0
  private forced: number | null = null
  private seq = 1_000_000

  constructor(private readonly o: { id: string; token: string; limit: number; windowMs: number }) {}

  get url(): string {
    const port = (this.server!.address() as AddressInfo).port
    return `http://127.0.0.1:${port}/api/webhooks/${this.o.id}/${this.o.token}`
  }

  /** The messages Discord accepted, in order. */
  get accepted(): DiscordRequest[] {
    return this.requests.filter((r) => r.status === 200 || r.status === 204)
  }

  rateLimitNext(seconds: number): void {
    this.forced = seconds
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      let raw = ''
      req.on('data', (c) => {
        raw += c
      })
      req.on('end', () => {
        const u = new URL(req.url ?? '/', 'http://x')
        const reply = (status: number, body?: unknown, headers: Record<string, string> = {}) => {
          let parsed: unknown
          try {
            parsed = JSON.parse(raw)
          } catch {
            parsed = raw
          }
          this.requests.push({
            at: Date.now(),
            path: u.pathname,
            wait: u.searchParams.get('wait') === 'true',
            status,
            body: parsed,
          })
          res.writeHead(
            status,
            body === undefined ? headers : { 'content-type': 'application/json', ...headers },
          )
          res.end(body === undefined ? undefined : JSON.stringify(body))
        }
        const m = /^\/api\/webhooks\/([^/]+)\/([^/]+)$/.exec(u.pathname)
        if (req.method !== 'POST' || !m) return reply(405, { message: '405: Method Not Allowed', code: 0 })
        if (m[1] !== this.o.id || m[2] !== this.o.token)
          return reply(404, { message: 'Unknown Webhook', code: 10015 })
        const invalid = this.validate(raw)
        if (invalid) return reply(400, invalid)
        const now = Date.now()
        if (now - this.windowStart >= this.o.windowMs) {
          this.windowStart = now
          this.used = 0
        }
        const resetAfter = (this.windowStart + this.o.windowMs - now) / 1000
        const limited = (seconds: number) =>
          reply(
            429,
            { message: 'You are being rate limited.', retry_after: seconds, global: false },
            {
              'retry-after': String(Math.ceil(seconds)),
              'x-ratelimit-scope': 'shared',
              ...this.headers(0, resetAfter),
            },
          )
        if (this.forced !== null) {
          const s = this.forced
          this.forced = null
          return limited(s)
        }
        if (this.used >= this.o.limit) return limited(resetAfter)
        this.used++
        const headers = this.headers(this.o.limit - this.used, resetAfter)
        if (u.searchParams.get('wait') !== 'true') return reply(204, undefined, headers)
        const body = JSON.parse(raw)
        return reply(
          200,
          {
            id: String(++this.seq),
            type: 0,
            channel_id: '42',
            webhook_id: this.o.id,
            content: body.content ?? '',
            embeds: body.embeds ?? [],
            author: { id: this.o.id, username: body.username ?? 'webhook', bot: true },
            timestamp: new Date().toISOString(),
          },
          headers,
        )
      })
    })
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', () => r()))
    return this
  }

  private headers(remaining: number, resetAfter: number): Record<string, string> {
    return {
      'x-ratelimit-limit': String(this.o.limit),
      'x-ratelimit-remaining': String(remaining),
      'x-ratelimit-reset': ((Date.now() + resetAfter * 1000) / 1000).toFixed(3),
      'x-ratelimit-reset-after': resetAfter.toFixed(3),
      'x-ratelimit-bucket': 'fake-bucket',
    }
  }

  private validate(raw: string): object | null {
    const form = (errors: object) => ({ message: 'Invalid Form Body', code: 50035, errors })
    // biome-ignore lint/suspicious/noExplicitAny: a request body of any shape
    let b: any
    try {
      b = JSON.parse(raw)
    } catch {
      return { message: 'Cannot send an empty message', code: 50006 }
    }
    const embeds: { title?: string; description?: string }[] = Array.isArray(b?.embeds) ? b.embeds : []
    if (!b?.content && embeds.length === 0) return { message: 'Cannot send an empty message', code: 50006 }
    const tooLong = (max: number) => ({
      _errors: [{ code: 'BASE_TYPE_MAX_LENGTH', message: `Must be ${max} or fewer in length.` }],
    })
    if (typeof b.content === 'string' && b.content.length > 2000) return form({ content: tooLong(2000) })
    if (embeds.length > 10) return form({ embeds: tooLong(10) })
    let total = 0
    for (const [i, e] of embeds.entries()) {
      if ((e.title ?? '').length > 256) return form({ embeds: { [i]: { title: tooLong(256) } } })
      if ((e.description ?? '').length > 4096)
        return form({ embeds: { [i]: { description: tooLong(4096) } } })
      total += (e.title ?? '').length + (e.description ?? '').length
    }
    if (total > 6000)
      return form({
        embeds: {
          _errors: [{ code: 'MAX_EMBED_SIZE_EXCEEDED', message: 'Embed size exceeds maximum size of 6000' }],
        },
      })
    return null
  }

  close(): Promise<void> {
    return new Promise((r) => (this.server ? this.server.close(() => r()) : r()))
  }
}
