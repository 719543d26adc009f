/**
 * The Fleet tab's document. The Control UI shows it in an opaque sandboxed frame (`allow-scripts`
 * only). The frame's navigation carries the Control UI's short-lived read-only cookie grant, but its
 * own requests are cross-site: browsers send no cookie with them (so no script or stylesheet could
 * load from the route) and it cannot read a fetch response without CORS, and answering `Origin: null`
 * with CORS would hand the fleet to any sandboxed page anywhere. So the document is self-contained:
 * the snapshot as a JSON island, the script and the stylesheet inline (admitted by a per-response
 * nonce), and it refreshes by reloading itself. Only the gateway's own pages may frame it.
 */
import type { SnapshotResult } from './snapshot.js'

/** Says only that the gateway answers (like its public /healthz), to anyone, with CORS: no auth, no data. */
export const PING_PATH = '/clawops/ping'

/** `connect-src`: only the plugin's unauthenticated ping, on the gateway's own host (either scheme: a proxy may serve https). */
export function pageCsp(nonce: string, host: string | undefined): string {
  const ping =
    host && /^[a-zA-Z0-9.:[\]-]+$/.test(host)
      ? `http://${host}${PING_PATH} https://${host}${PING_PATH}`
      : "'none'"
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src 'nonce-${nonce}'`,
    'img-src data:',
    `connect-src ${ping}`,
    "frame-ancestors 'self'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ')
}

/** JSON that is safe inside <script>: no `</script>`, no HTML comment openers, no line separators. */
export function jsonIsland(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029')
}

export function renderPage(
  result: SnapshotResult,
  o: { refreshSeconds: number; query: string; nonce: string; css: string; js: string },
): string {
  const payload = { ...result, refreshSeconds: o.refreshSeconds, query: o.query, ping: PING_PATH }
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Fleet · clawops</title>
<style nonce="${o.nonce}">${o.css}</style>
</head>
<body>
<main id="app" aria-busy="true"><p class="state state-loading">Loading the fleet…</p></main>
<script id="fleet-data" type="application/json">${jsonIsland(payload)}</script>
<script nonce="${o.nonce}">${o.js}</script>
</body>
</html>
`
}
