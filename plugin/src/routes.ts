/**
 * The plugin's HTTP surface under /clawops/fleet, behind gateway auth (a bearer token, or the
 * Control UI's read-only frame grant): the page, its two assets, the snapshot as JSON for scripts
 * (`status.json`, the same function as the RPC) and `ping`, which the page uses to tell "gateway
 * down" from "reload now". Reads only: anything but GET and HEAD is refused.
 */
import { createHash, randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { join } from 'node:path'
import { pageCsp, renderPage } from './page.js'
import type { PluginSettings } from './settings.js'
import { readSnapshot } from './snapshot.js'

export const ROUTE_ROOT = '/clawops/fleet'

interface Asset {
  body: Buffer
  type: string
}

export function loadAssets(dir: string): { assets: Map<string, Asset>; version: string } {
  const assets = new Map<string, Asset>([
    ['app.js', { body: readFileSync(join(dir, 'app.js')), type: 'text/javascript; charset=utf-8' }],
    ['app.css', { body: readFileSync(join(dir, 'app.css')), type: 'text/css; charset=utf-8' }],
  ])
  const hash = createHash('sha256')
  for (const a of assets.values()) hash.update(a.body)
  return { assets, version: hash.digest('hex').slice(0, 12) }
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer, head: boolean): void {
  res.statusCode = status
  res.setHeader('Content-Type', type)
  res.setHeader('X-Content-Type-Options', 'nosniff')
  res.setHeader('Referrer-Policy', 'no-referrer')
  res.end(head ? undefined : body)
}

export function fleetRouteHandler(settings: () => PluginSettings, ui: ReturnType<typeof loadAssets>) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const url = new URL(req.url ?? '/', 'http://gateway.invalid')
    const rest = url.pathname.slice(ROUTE_ROOT.length).replace(/^\/+/, '')
    const head = req.method === 'HEAD'
    if (req.method !== 'GET' && !head) {
      res.setHeader('Allow', 'GET, HEAD')
      send(res, 405, 'text/plain; charset=utf-8', 'read-only: GET and HEAD only\n', false)
      return true
    }
    const filters = Object.fromEntries(url.searchParams)
    delete filters.v
    if (rest === '' || rest === 'index.html') {
      const s = settings()
      const result = await readSnapshot(s, filters)
      res.setHeader('Cache-Control', 'no-store')
      const nonce = randomBytes(16).toString('base64')
      res.setHeader('Content-Security-Policy', pageCsp(nonce, req.headers.host))
      send(
        res,
        200,
        'text/html; charset=utf-8',
        renderPage(result, { refreshSeconds: s.refreshSeconds, assetVersion: ui.version, query: url.search, nonce }),
        head,
      )
      return true
    }
    if (rest === 'status.json') {
      const result = await readSnapshot(settings(), filters)
      res.setHeader('Cache-Control', 'no-store')
      const status = result.ok ? 200 : result.error.code === 'INVALID_INPUT' ? 400 : 503
      send(res, status, 'application/json; charset=utf-8', `${JSON.stringify(result)}\n`, head)
      return true
    }
    if (rest === 'ping') {
      res.setHeader('Cache-Control', 'no-store')
      res.statusCode = 204
      res.end()
      return true
    }
    const asset = ui.assets.get(rest)
    if (asset) {
      res.setHeader('Cache-Control', 'private, max-age=86400')
      send(res, 200, asset.type, asset.body, head)
      return true
    }
    send(res, 404, 'text/plain; charset=utf-8', 'not found\n', head)
    return true
  }
}
