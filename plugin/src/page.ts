/**
 * The Fleet tab's document. The Control UI shows it in an opaque sandboxed frame (`allow-scripts`
 * only) whose requests carry a short-lived, read-only cookie grant; such a frame cannot read a
 * fetch response from the gateway without CORS, and answering `Origin: null` with CORS would hand
 * the fleet to any sandboxed page anywhere. So the snapshot travels inside the document itself
 * (a JSON island), and the page refreshes by reloading itself. The CSP allows only this route's
 * own script and style (by nonce), and only the gateway's own pages may frame it.
 */
import type { SnapshotResult } from './snapshot.js'

/**
 * In an opaque sandbox `'self'` matches nothing, so the script and the stylesheet are admitted by a
 * per-response nonce and `ping` by the gateway's own host (both schemes: a proxy may serve it as https).
 */
export function pageCsp(nonce: string, host: string | undefined): string {
  const self = host && /^[a-zA-Z0-9.:[\]-]+$/.test(host) ? `http://${host} https://${host}` : "'none'"
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src 'nonce-${nonce}'`,
    'img-src data:',
    `connect-src ${self}`,
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
  o: { refreshSeconds: number; assetVersion: string; query: string; nonce: string },
): string {
  const payload = { ...result, refreshSeconds: o.refreshSeconds, query: o.query }
  const v = encodeURIComponent(o.assetVersion)
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Fleet · clawops</title>
<link rel="stylesheet" href="app.css?v=${v}" nonce="${o.nonce}">
</head>
<body>
<main id="app" aria-busy="true"><p class="state state-loading">Loading the fleet…</p></main>
<script id="fleet-data" type="application/json">${jsonIsland(payload)}</script>
<script src="app.js?v=${v}" nonce="${o.nonce}"></script>
</body>
</html>
`
}
