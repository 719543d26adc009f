/**
 * POST /hooks/agent on the operator's OpenClaw gateway (reference §3): Bearer hooks token, the
 * delivery id as Idempotency-Key (the gateway replays a repeated key without running the agent
 * again), and an answer classified into accepted, retry later, or rejected (a config problem the
 * operator must fix; retried slowly, never dropped).
 */
import { backoffMs, MINUTE } from '../delivery-backoff.js'
import { networkReason } from '../net-error.js'
import type { HooksEndpoint } from './ports.js'

export type HookAnswer =
  | { kind: 'accepted'; status: number; runId: string | null }
  | { kind: 'retry' | 'rejected'; status: number | null; error: string; retryAfterMs: number }

function retryAfter(header: string | null, fallback: number): number {
  if (!header) return fallback
  const s = Number(header)
  if (Number.isFinite(s)) return Math.max(1_000, s * 1000)
  const t = Date.parse(header)
  return Number.isNaN(t) ? fallback : Math.max(1_000, t - Date.now())
}

export async function postAgentHook(
  endpoint: HooksEndpoint,
  deliveryId: string,
  body: string,
  o: { timeoutMs: number; attempts: number },
): Promise<HookAnswer> {
  let res: Response
  try {
    res = await fetch(endpoint.url, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${endpoint.token}`,
        'content-type': 'application/json',
        'idempotency-key': deliveryId,
      },
      body,
      signal: AbortSignal.timeout(o.timeoutMs),
    })
  } catch (err) {
    return {
      kind: 'retry',
      status: null,
      error: `gateway unreachable: ${networkReason(err, o.timeoutMs)}`,
      retryAfterMs: backoffMs(o.attempts),
    }
  }
  const text = await res.text().catch(() => '')
  let json: { ok?: boolean; runId?: string; error?: unknown } | null = null
  try {
    json = JSON.parse(text)
  } catch {
    // Early auth and method failures may be plain text (reference §3).
  }
  const error = `HTTP ${res.status}: ${typeof json?.error === 'string' ? json.error : text.slice(0, 200)}`
  if (res.ok && json?.ok !== false)
    return { kind: 'accepted', status: res.status, runId: json?.runId ?? null }
  switch (res.status) {
    case 401:
      return {
        kind: 'rejected',
        status: 401,
        error: `${error} (check the hooks token)`,
        retryAfterMs: MINUTE,
      }
    case 400:
    case 404:
    case 413:
      return { kind: 'rejected', status: res.status, error, retryAfterMs: 5 * MINUTE }
    case 429:
      return {
        kind: 'retry',
        status: 429,
        error,
        retryAfterMs: retryAfter(res.headers.get('retry-after'), 30_000),
      }
    case 409:
      return { kind: 'retry', status: 409, error, retryAfterMs: 10_000 }
    default:
      return { kind: 'retry', status: res.status, error, retryAfterMs: backoffMs(o.attempts) }
  }
}
