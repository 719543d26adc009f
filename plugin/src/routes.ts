/**
 * The plugin's HTTP surface under /clawops/fleet, behind gateway auth (a bearer token, or the
 * Control UI's read-only frame grant): the self-contained page and the snapshot as JSON for scripts
 * (`status.json`, the same function as the RPC). Reads only: anything but GET and HEAD is refused.
 * Beside it, `/clawops/ping` (plugin auth: none) answers 204 to anyone, so the page can tell "gateway
 * down" from "reload now".
 */
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { join } from 'node:path'
import { pageCsp, renderPage } from './page.js'
import type { PluginSettings } from './settings.js'
import { readSnapshot } from './snapshot.js'

export const ROUTE_ROOT = '/clawops/fleet'

export interface PageAssets {
  js: string
  css: string
}

/** The page's script and stylesheet, inlined into every page (see page.ts); no `</script` or `</style` can close their element early. */
export function loadAssets(dir: string): PageAssets {
  const read = (f: string) => readFileSync(join(dir, f), 'utf8').replace(/<\/(script|style)/gi, '<\\/$1')
  return { js: read('app.js'), css: read('app.css') }
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer, head: boolean): void {
  res.statusCode = status
  res.setHeader('Content-Type', type)
  res.setHeader('X-Content-Type-Options', 'nosniff')
  res.setHeader('Referrer-Policy', 'no-referrer')
  res.end(head ? undefined : body)
}

export function fleetRouteHandler(settings: () => PluginSettings, ui: PageAssets) {
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
        renderPage(result, { refreshSeconds: s.refreshSeconds, query: url.search, nonce, ...ui }),
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
    send(res, 404, 'text/plain; charset=utf-8', 'not found\n', head)
    return true
  }
}

export async function pingHandler(_req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  res.statusCode = 204
  res.setHeader('Cache-Control', 'no-store')
  res.setHeader('Access-Control-Allow-Origin', '*')
  res.end()
  return true
}
