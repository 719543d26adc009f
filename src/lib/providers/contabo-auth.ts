/**
 * Contabo access tokens: OAuth2 *password* grant against Contabo's Keycloak (client id + secret +
 * API user + API password). Tokens live about five minutes, so they are cached and renewed before
 * they expire (refresh-token grant while the refresh token is valid, else the password grant
 * again). Concurrent callers share one renewal.
 */
import { z } from 'zod'
import type { Clock } from './clock.js'
import type { HttpClient } from './http-client.js'
import { parseResponse } from './provider-error.js'
import type { Secret } from './secret.js'

export const CONTABO_AUTH_URL = 'https://auth.contabo.com/auth/realms/contabo/protocol/openid-connect/token'

export interface ContaboCredentials {
  clientId: Secret
  clientSecret: Secret
  username: Secret
  password: Secret
}

const TokenSchema = z.object({
  access_token: z.string(),
  expires_in: z.number(),
  refresh_token: z.string().optional(),
  refresh_expires_in: z.number().optional(),
})

interface Cached {
  access: string
  expiresAt: number
  refresh: string | null
  refreshExpiresAt: number
  /** Renew this long before expiry: a fifth of the lifetime, at most 30 s. */
  skew: number
}

export class ContaboTokens {
  private cached: Cached | null = null
  private inflight: Promise<Cached> | null = null
  private grants = 0

  constructor(
    private readonly http: HttpClient,
    private readonly creds: ContaboCredentials,
    private readonly clock: Clock,
  ) {}

  /** How many token requests were made (for tests and diagnostics). */
  grantCount(): number {
    return this.grants
  }

  async accessToken(forceRenew: boolean): Promise<string> {
    const now = this.clock.now()
    if (!forceRenew && this.cached && now < this.cached.expiresAt - this.cached.skew)
      return this.cached.access
    if (forceRenew) this.cached = this.cached ? { ...this.cached, expiresAt: 0 } : null
    this.inflight ??= this.renew().finally(() => {
      this.inflight = null
    })
    return (await this.inflight).access
  }

  private async renew(): Promise<Cached> {
    const c = this.cached
    if (c?.refresh && this.clock.now() < c.refreshExpiresAt - c.skew) {
      try {
        return await this.grant({ grant_type: 'refresh_token', refresh_token: c.refresh })
      } catch {
        // A refused refresh token (revoked, server restarted) is not fatal: log in again.
      }
    }
    return this.grant({
      grant_type: 'password',
      username: this.creds.username.reveal(),
      password: this.creds.password.reveal(),
    })
  }

  private async grant(form: Record<string, string>): Promise<Cached> {
    this.grants++
    const started = this.clock.now()
    const res = await this.http.send({
      method: 'POST',
      path: '',
      form: {
        client_id: this.creds.clientId.reveal(),
        client_secret: this.creds.clientSecret.reveal(),
        ...form,
      },
      // Token grants have no side effects worth guarding; retry them like reads.
      idempotent: true,
    })
    const t = parseResponse(TokenSchema, res.body, { provider: 'contabo', ...res }, Object.values(this.creds))
    const ttl = t.expires_in * 1000
    const cached: Cached = {
      access: t.access_token,
      expiresAt: started + ttl,
      refresh: t.refresh_token ?? null,
      refreshExpiresAt: started + (t.refresh_expires_in ?? 0) * 1000,
      skew: Math.min(30_000, ttl / 5),
    }
    this.cached = cached
    return cached
  }
}
