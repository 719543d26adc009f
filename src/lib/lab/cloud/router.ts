/**
 * A small router for the emulated APIs: `METHOD /path/:param` patterns, a parsed request, and a
 * response type handlers return (or throw as LabHttpError for provider-shaped errors).
 */

export interface LabRequest {
  method: string
  /** Path below the provider prefix, e.g. `/servers/42`. */
  path: string
  query: URLSearchParams
  headers: Record<string, string>
  /** Parsed JSON or form body; undefined when empty. */
  body: unknown
  params: Record<string, string>
  /** Absolute origin + prefix this provider is served under (for links in responses). */
  base: string
}

export interface LabResponse {
  status: number
  body?: unknown
  headers?: Record<string, string>
}

export class LabHttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(`lab http ${status}`)
  }
}

export type Handler = (req: LabRequest) => LabResponse | Promise<LabResponse>

interface Route {
  method: string
  parts: string[]
  handler: Handler
}

export class Router {
  private readonly routes: Route[] = []

  on(method: string, pattern: string, handler: Handler): this {
    this.routes.push({ method, parts: split(pattern), handler })
    return this
  }

  /**
   * The handler for a request; `{allowed}` when the path exists under other methods (the caller
   * answers 405 in its own error shape); null when no route has the path.
   */
  match(method: string, path: string): RouteMatch | null {
    const parts = split(path)
    const allowed: string[] = []
    for (const r of this.routes) {
      const params = matchParts(r.parts, parts)
      if (!params) continue
      if (r.method === method) return { handler: r.handler, params }
      allowed.push(r.method)
    }
    return allowed.length > 0 ? { allowed } : null
  }
}

export type RouteMatch = { handler: Handler; params: Record<string, string> } | { allowed: string[] }

function split(p: string): string[] {
  return p.split('/').filter((s) => s.length > 0)
}

function matchParts(pattern: string[], path: string[]): Record<string, string> | null {
  if (pattern.length !== path.length) return null
  const params: Record<string, string> = {}
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!
    const v = path[i]!
    if (p.startsWith(':')) params[p.slice(1)] = decodeURIComponent(v)
    else if (p !== v) return null
  }
  return params
}

/** Reads an integer query parameter within bounds; `fallback` when absent. */
export function intParam(
  q: URLSearchParams,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const raw = q.get(name)
  if (raw === null || raw === '') return fallback
  const n = Number(raw)
  if (!Number.isInteger(n)) return Number.NaN
  return Math.min(max, Math.max(min, n))
}
