/**
 * A listener that stands where a gateway, a provider API or a status page would be, accepts nothing
 * and remembers every request and WebSocket upgrade that reached it. Paths begin with a case name
 * (`/<case>/…`) so one listener tells apart the runs of many test cases: a case whose run must make
 * no external call has no entry. Requests are answered 401 and upgrades refused with 401, so a
 * client fails at once (GATEWAY_UNREACHABLE, PROVIDER_ERROR) instead of retrying.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface Hit {
  method: string
  path: string
  upgrade: boolean
}

export class Recorder {
  private server?: Server
  readonly hits = new Map<string, Hit[]>()

  async start(): Promise<this> {
    const server = createServer((req, res) => {
      this.note(req.method ?? 'GET', req.url ?? '/', false)
      req.resume()
      res.writeHead(401, { 'content-type': 'application/json' })
      res.end('{"error":{"code":"unauthorized","message":"recorder: nobody is here"}}')
    })
    server.on('upgrade', (req, socket) => {
      this.note(req.method ?? 'GET', req.url ?? '/', true)
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n')
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
    this.server = server
    return this
  }

  get port(): number {
    if (!this.server) throw new Error('the recorder is not started')
    return (this.server.address() as AddressInfo).port
  }

  /** The base URL of one case (`http` or `ws`). */
  url(caseName: string, scheme: 'http' | 'ws' = 'http'): string {
    return `${scheme}://127.0.0.1:${this.port}/${caseName}`
  }

  of(caseName: string): Hit[] {
    return this.hits.get(caseName) ?? []
  }

  private note(method: string, url: string, upgrade: boolean): void {
    const path = new URL(url, 'http://x').pathname
    const name = path.split('/')[1] || '(none)'
    const list = this.hits.get(name) ?? []
    list.push({ method, path, upgrade })
    this.hits.set(name, list)
  }

  async close(): Promise<void> {
    const s = this.server
    if (!s) return
    s.closeAllConnections()
    await new Promise<void>((r) => s.close(() => r()))
  }
}
