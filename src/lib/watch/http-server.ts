/**
 * watch's own HTTP server: `GET /healthz` (200 while the monitor is healthy, 503 with the reasons
 * otherwise) and the webhook receiver under `/webhooks/<source>`. Bodies are read raw and bounded;
 * nothing here logs a header or a body.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { MAX_WEBHOOK_BYTES, type WebhookAnswer, type WebhookRequest } from './webhook-receiver.js'

export interface HealthReport {
  ok: boolean
  [key: string]: unknown
}

export interface HttpHandlers {
  health(): HealthReport
  webhook(req: WebhookRequest): WebhookAnswer | Promise<WebhookAnswer>
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) })
  res.end(text)
}

/** What a refused sender may still push at us (read and dropped) before its connection is cut. */
const DRAIN_BYTES = 16 * 1024 * 1024
const DRAIN_MS = 10_000

/**
 * The body, or null when it is larger than `limit`: a declared length over it is refused before
 * anything is read; past the limit nothing more is kept. The caller answers 413 and `dropRest`.
 */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | null> {
  if (Number(req.headers['content-length'] ?? 0) > limit) return Promise.resolve(null)
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    const onData = (c: Buffer) => {
      size += c.length
      if (size > limit) {
        req.off('data', onData)
        req.pause()
        resolve(null)
        return
      }
      chunks.push(c)
    }
    req.on('data', onData)
    req.on('end', () => resolve(Buffer.concat(chunks)))
    req.on('error', reject)
  })
}

/**
 * Reads and drops the rest of a refused body, so the sender's socket is not reset (and our 413 lost)
 * while it is still writing; a sender that goes on past a bound, in bytes or time, is cut off.
 */
function dropRest(req: IncomingMessage): void {
  let dropped = 0
  const cut = setTimeout(() => req.destroy(), DRAIN_MS)
  cut.unref()
  req.on('data', (c: Buffer) => {
    dropped += c.length
    if (dropped > DRAIN_BYTES) req.destroy()
  })
  req.on('end', () => clearTimeout(cut))
  req.on('close', () => clearTimeout(cut))
  req.resume()
}

export interface WatchHttpServer {
  readonly url: string
  close(): Promise<void>
}

export async function startHttpServer(
  listen: { host: string; port: number },
  h: HttpHandlers,
): Promise<WatchHttpServer> {
  const server: Server = createServer(async (req, res) => {
    try {
      const path = new URL(req.url ?? '/', 'http://x').pathname
      if (path === '/healthz') {
        if (req.method !== 'GET' && req.method !== 'HEAD')
          return send(res, 405, { ok: false, error: 'GET only' })
        const report = h.health()
        return send(res, report.ok ? 200 : 503, report)
      }
      const m = /^\/webhooks\/([a-z0-9-]+)\/?$/.exec(path)
      if (!m) return send(res, 404, { ok: false, error: 'not found' })
      const raw = await readBody(req, MAX_WEBHOOK_BYTES)
      if (raw === null) {
        dropRest(req)
        return send(res, 413, { ok: false, error: `body larger than ${MAX_WEBHOOK_BYTES} bytes` })
      }
      const answer = await h.webhook({
        method: req.method ?? 'GET',
        source: m[1]!,
        headers: req.headers,
        raw,
      })
      return send(res, answer.status, answer.body)
    } catch (err) {
      return send(res, 500, { ok: false, error: err instanceof Error ? err.message : 'internal error' })
    }
  })
  server.keepAliveTimeout = 5_000
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(listen.port, listen.host, () => resolve())
  })
  const addr = server.address() as AddressInfo
  return {
    url: `http://${addr.address.includes(':') ? `[${addr.address}]` : addr.address}:${addr.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}
