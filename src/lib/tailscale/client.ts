/**
 * The Tailscale API calls clawops makes (https://api.tailscale.com/api/v2; shapes from
 * tailscale/tailscale-client-go-v2): mint an auth key for one server, revoke a key, list devices,
 * delete a device. Authentication is an API access token (`tskey-api-…`, sent as Bearer) or an
 * OAuth client whose 1-hour access tokens are fetched from /api/v2/oauth/token with the client
 * credentials grant and renewed before they expire. Requests go through the adapters' HTTP layer
 * (rate limit, retries of reads, timeouts, `{"message"}` errors as PROVIDER_ERROR `tailscale`).
 */
import { z } from 'zod'
import { UserError } from '../errors.js'
import {
  type AdapterDeps,
  DEFAULT_TIMEOUT_MS,
  resolveDeps,
  resolveRetry,
} from '../providers/adapter-options.js'
import {
  type FailureInput,
  HttpClient,
  type HttpRequest,
  type HttpResponse,
  retryClassForStatus,
} from '../providers/http-client.js'
import { parseResponse } from '../providers/provider-error.js'
import { Secret } from '../providers/secret.js'

export const TAILSCALE_BASE_URL = 'https://api.tailscale.com'

export type TailscaleCredentials = { apiKey: string } | { oauthClientId: string; oauthClientSecret: string }

export interface TailscaleOptions {
  /** The API origin; requests go to <baseUrl>/api/v2/… */
  baseUrl?: string
  /** The tailnet's name, or `-` for the credential's own tailnet. */
  tailnet: string
  credentials: TailscaleCredentials
  timeoutMs?: number
}

export interface MintedKey {
  id: string
  /** The `tskey-auth-…` secret: this answer is the only one that carries it. */
  key: Secret
  expires: string
}

export interface TailnetDevice {
  id: string
  nodeId: string
  name: string
  hostname: string
  tags: string[]
}

const KeySchema = z.object({ id: z.string(), key: z.string().optional(), expires: z.string().optional() })
const KeyListSchema = z.object({
  keys: z.array(z.object({ id: z.string(), description: z.string().optional() })).default([]),
})
const DeviceSchema = z.object({
  id: z.string(),
  nodeId: z.string().default(''),
  name: z.string().default(''),
  hostname: z.string(),
  tags: z.array(z.string()).nullable().default([]),
})
const DevicesSchema = z.object({ devices: z.array(DeviceSchema) })
const TokenSchema = z.object({ access_token: z.string(), expires_in: z.number() })

export class TailscaleClient {
  private readonly http: HttpClient
  private readonly auth: HttpClient
  private readonly secrets: Secret[]
  private token: { value: string; expiresAt: number } | null = null
  private readonly clock: { now(): number }
  private readonly tailnet: string

  constructor(o: TailscaleOptions, d?: AdapterDeps) {
    const deps = resolveDeps(d)
    this.clock = deps.clock
    this.tailnet = encodeURIComponent(o.tailnet)
    const base = (o.baseUrl ?? TAILSCALE_BASE_URL).replace(/\/+$/, '')
    const creds = o.credentials
    const apiKey = 'apiKey' in creds ? new Secret(creds.apiKey) : null
    const client =
      'oauthClientId' in creds
        ? { id: new Secret(creds.oauthClientId), secret: new Secret(creds.oauthClientSecret) }
        : null
    this.secrets = [apiKey, client?.id, client?.secret].filter(
      (s): s is Secret => s !== null && s !== undefined,
    )
    const common = {
      provider: 'tailscale' as const,
      secrets: this.secrets,
      describeFailure,
      // Tailscale publishes no numbers; clawops makes a few calls per server.
      bucket: { capacity: 20, refillPerSec: 10 },
      retry: resolveRetry(undefined),
      timeoutMs: o.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      clock: deps.clock,
      random: deps.random,
      logger: deps.logger,
      dispatcher: deps.dispatcher,
    }
    this.auth = new HttpClient({
      ...common,
      baseUrl: `${base}/api/v2/oauth/token`,
      authorize: async () => ({}),
    })
    this.http = new HttpClient({
      ...common,
      baseUrl: `${base}/api/v2`,
      refreshableAuth: client !== null,
      authorize: async (refresh) => {
        if (apiKey) return { authorization: `Bearer ${apiKey.reveal()}` }
        return { authorization: `Bearer ${await this.accessToken(client!, refresh)}` }
      },
    })
  }

  private async accessToken(client: { id: Secret; secret: Secret }, refresh: boolean): Promise<string> {
    const now = this.clock.now()
    if (!refresh && this.token && now < this.token.expiresAt - 60_000) return this.token.value
    const res = await this.auth.send({
      method: 'POST',
      path: '',
      form: {
        grant_type: 'client_credentials',
        client_id: client.id.reveal(),
        client_secret: client.secret.reveal(),
      },
      idempotent: true,
    })
    const t = this.parse(TokenSchema, res)
    this.secrets.push(new Secret(t.access_token))
    this.token = { value: t.access_token, expiresAt: now + t.expires_in * 1000 }
    return t.access_token
  }

  private parse<S extends z.ZodType>(schema: S, res: HttpResponse): z.infer<S> {
    return parseResponse(schema, res.body, { provider: 'tailscale', ...res }, this.secrets)
  }

  private send(req: HttpRequest): Promise<HttpResponse> {
    return this.http.send(req)
  }

  /** A pre-authorized auth key that joins exactly one device, tagged, valid for `expirySeconds`. */
  async createAuthKey(o: { tags: string[]; expirySeconds: number; description: string }): Promise<MintedKey> {
    const res = await this.send({
      method: 'POST',
      path: `/tailnet/${this.tailnet}/keys`,
      json: {
        capabilities: {
          devices: { create: { reusable: false, ephemeral: false, preauthorized: true, tags: o.tags } },
        },
        expirySeconds: o.expirySeconds,
        description: o.description,
      },
    })
    const k = this.parse(KeySchema, res)
    if (!k.key) {
      throw new UserError('PROVIDER_ERROR', 'tailscale: the key create answer carries no key', {
        details: {
          provider: 'tailscale',
          status: res.status,
          providerCode: 'invalid_response',
          requestId: null,
        },
      })
    }
    return { id: k.id, key: new Secret(k.key), expires: k.expires ?? '' }
  }

  /** Revokes a key; a key Tailscale no longer knows counts as revoked. */
  async revokeKey(id: string): Promise<'revoked' | 'gone'> {
    const res = await this.send({
      method: 'DELETE',
      path: `/tailnet/${this.tailnet}/keys/${encodeURIComponent(id)}`,
      allow404: true,
    })
    return res.status === 404 ? 'gone' : 'revoked'
  }

  async listKeys(): Promise<{ id: string; description: string }[]> {
    const res = await this.send({ method: 'GET', path: `/tailnet/${this.tailnet}/keys` })
    return this.parse(KeyListSchema, res).keys.map((k) => ({ id: k.id, description: k.description ?? '' }))
  }

  async listDevices(): Promise<TailnetDevice[]> {
    const res = await this.send({ method: 'GET', path: `/tailnet/${this.tailnet}/devices` })
    return this.parse(DevicesSchema, res).devices.map((d) => ({ ...d, tags: d.tags ?? [] }))
  }

  /** Removes a device from the tailnet; one already gone counts as removed. */
  async deleteDevice(id: string): Promise<'deleted' | 'gone'> {
    const res = await this.send({
      method: 'DELETE',
      path: `/device/${encodeURIComponent(id)}`,
      allow404: true,
    })
    return res.status === 404 ? 'gone' : 'deleted'
  }
}

function describeFailure(f: FailureInput) {
  const body = f.body as { message?: unknown; error?: unknown } | null
  const message =
    typeof body?.message === 'string'
      ? body.message
      : typeof body?.error === 'string'
        ? body.error
        : f.text || `HTTP ${f.status}`
  return {
    code: f.status === 401 ? 'unauthorized' : f.status === 403 ? 'forbidden' : `http_${f.status}`,
    message,
    requestId: null,
    retry: retryClassForStatus(f.status),
  }
}
