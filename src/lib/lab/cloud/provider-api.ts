/**
 * What an emulated provider API plugs into the lab cloud: its URL prefix, routes, error shape,
 * rate-limit headers, request guard (auth, mandatory headers) and how to tell which region a
 * request concerns (for region faults). Shared request helpers live here too.
 */
import { timingSafeEqual } from 'node:crypto'
import type { Provider } from '../../domain/provider.js'
import type { LabCredentials } from './credentials.js'
import type { LabEngine } from './engine.js'
import type { QuotaVerdict } from './quota.js'
import type { LabHttpError, LabRequest, Router } from './router.js'

export interface ApiContext {
  engine: LabEngine
  /** Uses up one count of a hang-boot rule when it applies. */
  hangsBoot(provider: Provider, region: string): boolean
  /** What each provider accepts: its token, Contabo's four login values. */
  credentials: LabCredentials
  contabo: ContaboAuthConfig
}

export interface ContaboAuthConfig {
  accessTtlSec: number
  refreshTtlSec: number
}

export interface ProviderApi {
  provider: Provider
  /** Path prefix the API is served under, e.g. `/hetzner/v1`. */
  prefix: string
  router: Router
  /** A provider-shaped error; `code` defaults to the provider's word for the status. */
  error(status: number, message: string, code?: string): LabHttpError
  rateHeaders(v: QuotaVerdict): Record<string, string>
  /** Rejects a request before routing (wrong or missing auth, missing x-request-id); null to proceed. */
  guard(req: LabRequest): LabHttpError | null
  /** The region a request concerns, for region faults: a create's region or the path's server. */
  regionOf(req: LabRequest): string | null
}

/** The bearer token of a request, or null. */
export function bearer(req: LabRequest): string | null {
  const h = req.headers.authorization
  if (!h) return null
  const m = /^Bearer\s+(\S+)$/i.exec(h)
  return m ? m[1]! : null
}

export function checkBearer(req: LabRequest, expected: string): boolean {
  const token = bearer(req)
  return token !== null && sameSecret(token, expected)
}

/** Constant-time comparison, as a credential check should be. */
export function sameSecret(got: string, want: string): boolean {
  const a = Buffer.from(got)
  const b = Buffer.from(want)
  return a.length === b.length && timingSafeEqual(a, b)
}

export function asRecord(body: unknown): Record<string, unknown> {
  return body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {}
}

export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined
}

/** RFC 1123 hostname (the name rule Hetzner, DigitalOcean and Hostinger apply). */
export function isHostname(s: string): boolean {
  return s.length <= 253 && /^(?!-)[a-zA-Z0-9-]{1,63}(?<!-)(\.(?!-)[a-zA-Z0-9-]{1,63}(?<!-))*$/.test(s)
}

export function serverRegion(ctx: ApiContext, provider: Provider, req: LabRequest): string | null {
  const id = req.params.id
  if (id === undefined) return null
  return ctx.engine.find(provider, id)?.region ?? null
}
