/**
 * Provider failures as clawops errors: always `PROVIDER_ERROR` with the provider's own code, the
 * HTTP status and the provider's request id in `details`, so an operator can quote them to support.
 * Messages pass through secret redaction because some APIs echo parts of the request back.
 */
import type { z } from 'zod'
import type { Provider } from '../domain/provider.js'
import { UserError } from '../errors.js'
import { redactSecrets, type Secret } from './secret.js'

/** A remote API clawops calls through the shared HTTP layer: a cloud, or the Tailscale API. */
export type ApiService = Provider | 'tailscale'

export interface ProviderErrorDetails {
  provider: ApiService
  /** HTTP status, null when no response arrived (network error, timeout). */
  status: number | null
  /** The provider's error code (Hetzner `error.code`, DigitalOcean `id`, ...) or a clawops one. */
  providerCode: string
  requestId: string | null
  method?: string
  path?: string
}

export function providerError(
  details: ProviderErrorDetails,
  message: string,
  secrets: readonly Secret[],
  opts: { hint?: string; cause?: unknown } = {},
): UserError {
  const clean = redactSecrets(message, secrets)
  const status = details.status === null ? 'no response' : `HTTP ${details.status}`
  return new UserError(
    'PROVIDER_ERROR',
    `${details.provider}: ${clean} (${status}, ${details.providerCode})`,
    {
      details,
      hint: opts.hint ?? hintFor(details),
      ...(opts.cause === undefined ? {} : { cause: scrubCause(opts.cause, secrets) }),
    },
  )
}

const CREDENTIAL_ENV: Record<ApiService, string> = {
  hetzner: 'HCLOUD_TOKEN',
  vultr: 'VULTR_API_KEY',
  digitalocean: 'DIGITALOCEAN_ACCESS_TOKEN',
  contabo: 'CONTABO_CLIENT_ID / CONTABO_CLIENT_SECRET / CONTABO_API_USER / CONTABO_API_PASSWORD',
  hostinger: 'HOSTINGER_API_TOKEN',
  tailscale: 'provisioning.tailscale.credentialsFile',
}

function hintFor(d: ProviderErrorDetails): string | undefined {
  if (d.status === 401 || d.status === 403)
    return `Check the ${d.provider} credentials (${CREDENTIAL_ENV[d.provider]}).`
  if (d.status === 429)
    return `${d.provider} rate-limited clawops; retry in a minute or lower the concurrency.`
  if (d.status === null)
    return `${d.provider} did not answer; check the network and the provider status page.`
  if (d.status >= 500) return `${d.provider} failed on its side; check its status page and retry.`
  return undefined
}

/** Keeps a cause's message for debugging but never its properties (undici errors carry the request). */
function scrubCause(cause: unknown, secrets: readonly Secret[]): Error {
  const msg = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause)
  return new Error(redactSecrets(msg, secrets))
}

type ResponseMeta = {
  provider: ApiService
  status: number
  requestId: string | null
  method: string
  path: string
}

/**
 * A body of the wrong shape is the provider's fault (or an API change), not a crash: PROVIDER_ERROR
 * `invalid_response` naming the request and its first bad fields.
 */
export function shapeError(error: z.ZodError, ctx: ResponseMeta, secrets: readonly Secret[]): UserError {
  const where = error.issues
    .slice(0, 3)
    .map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`)
    .join('; ')
  return providerError(
    {
      provider: ctx.provider,
      status: ctx.status,
      providerCode: 'invalid_response',
      requestId: ctx.requestId,
      method: ctx.method,
      path: ctx.path,
    },
    `unexpected response shape from ${ctx.method} ${ctx.path}: ${where}`,
    secrets,
    {
      hint: 'The provider API answered in a shape clawops does not know; it may have changed. Report it with the request id.',
    },
  )
}

/** Validates a provider response (one the HTTP layer has not already checked against a schema). */
export function parseResponse<S extends z.ZodType>(
  schema: S,
  body: unknown,
  ctx: ResponseMeta,
  secrets: readonly Secret[],
): z.infer<S> {
  const r = schema.safeParse(body)
  if (r.success) return r.data
  throw shapeError(r.error, ctx, secrets)
}

/** The provider's error code of a PROVIDER_ERROR, if `err` is one. */
export function providerCodeOf(err: unknown): string | undefined {
  if (!(err instanceof UserError) || err.code !== 'PROVIDER_ERROR') return undefined
  return (err.details as { providerCode?: string } | undefined)?.providerCode
}
