/**
 * Emulated Tailscale: the API calls clawops makes (shapes from tailscale/tailscale-client-go-v2 and
 * the public API docs) and the one thing a VPS does with the control plane, joining with an auth key.
 * Served under /tailscale:
 *
 *   POST   /api/v2/oauth/token                     client credentials → 1-hour access token
 *   POST   /api/v2/tailnet/{tailnet}/keys          mint an auth key (the secret is in this answer only)
 *   GET    /api/v2/tailnet/{tailnet}/keys[/{id}]   key metadata, never the secret
 *   DELETE /api/v2/tailnet/{tailnet}/keys/{id}     revoke
 *   GET    /api/v2/tailnet/{tailnet}/devices       {devices: [...]}
 *   GET    /api/v2/device/{id}, DELETE /api/v2/device/{id}
 *   POST   /_lab/register                          `tailscale up --auth-key`: consumes the key
 *
 * The API takes an access token as Bearer or as the Basic-auth user; errors are `{"message"}`.
 * A single-use key joins one device: a second use, a revoked or an expired key is refused. The
 * device carries the key's tags and is authorized when the key was pre-authorized.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto'
import type { LabEngine } from './engine.js'
import type { LabTailnet, LabTsDevice, LabTsKey } from './model.js'
import { asRecord, bearer, str } from './provider-api.js'
import { LabHttpError, type LabRequest, type LabResponse, Router } from './router.js'

export const LAB_TAILNET = 'tail-lab.ts.net'
const DEFAULT_KEY_EXPIRY_S = 90 * 86_400
const TOKEN_TTL_S = 3600
const TAG = /^tag:[a-z0-9][a-z0-9-]*$/

export interface TailscaleCredentials {
  /** An API access token (`tskey-api-…`). */
  apiKey?: string
  oauthClientId?: string
  oauthClientSecret?: string
}

export interface TailscaleApi {
  /** Answers a request below /tailscale (`req.path` without that prefix). */
  handle(req: LabRequest): Promise<LabResponse>
}

const fail = (status: number, message: string) => new LabHttpError(status, { message })
const rand = (n: number) => randomBytes(n).toString('base64url').replace(/[-_]/g, 'x').slice(0, n)
const same = (a: string, b: string) =>
  a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b))

function basicUser(req: LabRequest): { user: string; pass: string } | null {
  const m = /^Basic\s+(\S+)$/i.exec(req.headers.authorization ?? '')
  if (!m) return null
  const text = Buffer.from(m[1]!, 'base64').toString('utf8')
  const i = text.indexOf(':')
  return i < 0 ? { user: text, pass: '' } : { user: text.slice(0, i), pass: text.slice(i + 1) }
}

export function tailnetOf(engine: LabEngine): LabTailnet {
  engine.state.tailnet ??= { keys: [], devices: [], tokens: [] }
  return engine.state.tailnet
}

export function tailscaleApi(engine: LabEngine, creds: TailscaleCredentials | undefined): TailscaleApi {
  const t = () => tailnetOf(engine)
  const now = () => engine.now()
  const iso = (ms: number) => new Date(ms).toISOString()
  const keyState = (k: LabTsKey) =>
    k.revoked !== null
      ? 'revoked'
      : Date.parse(k.expires) <= now()
        ? 'expired'
        : !k.reusable && k.uses > 0
          ? 'used'
          : 'valid'
  const renderKey = (k: LabTsKey) => ({
    id: k.id,
    keyType: 'auth',
    description: k.description,
    created: k.created,
    expires: k.expires,
    ...(k.revoked ? { revoked: k.revoked } : {}),
    invalid: keyState(k) !== 'valid',
    capabilities: {
      devices: {
        create: {
          reusable: k.reusable,
          ephemeral: k.ephemeral,
          preauthorized: k.preauthorized,
          tags: k.tags,
        },
      },
    },
    tags: k.tags,
  })
  const renderDevice = (d: LabTsDevice) => {
    const { keyId: _keyId, ...rest } = d
    return { ...rest, user: 'tagged-devices', os: 'linux', clientVersion: '1.90.0-lab', isExternal: false }
  }
  const tailnet = (req: LabRequest) => {
    const name = req.params.tailnet
    if (name !== '-' && name !== LAB_TAILNET) throw fail(404, `tailnet "${name}" not found`)
  }
  const findKey = (id: string | undefined) => {
    const k = t().keys.find((x) => x.id === id)
    if (!k) throw fail(404, 'key not found')
    return k
  }
  const findDevice = (id: string | undefined) => {
    const d = t().devices.find((x) => x.id === id || x.nodeId === id)
    if (!d) throw fail(404, 'device not found')
    return d
  }
  const viaOAuth = (req: LabRequest) => {
    const token = bearer(req) ?? basicUser(req)?.user ?? ''
    return t().tokens.some((x) => same(x.token, token))
  }

  const router = new Router()
    .on('POST', '/api/v2/oauth/token', (req) => {
      const b = asRecord(req.body)
      const basic = basicUser(req)
      const id = str(b.client_id) ?? basic?.user ?? ''
      const secret = str(b.client_secret) ?? basic?.pass ?? ''
      if (str(b.grant_type) !== 'client_credentials')
        return { status: 400, body: { error: 'unsupported_grant_type' } }
      const known = creds?.oauthClientId !== undefined && creds.oauthClientSecret !== undefined
      const ok = known
        ? same(id, creds.oauthClientId!) && same(secret, creds.oauthClientSecret!)
        : id !== '' && secret !== ''
      if (!ok) return { status: 401, body: { error: 'invalid_client' } }
      const token = `tskey-api-${rand(10)}CNTRL-${rand(24)}`
      t().tokens = t().tokens.filter((x) => x.expiresAt > now())
      t().tokens.push({ token, expiresAt: now() + TOKEN_TTL_S * 1000 })
      engine.touch()
      return {
        status: 200,
        body: {
          access_token: token,
          token_type: 'Bearer',
          expires_in: TOKEN_TTL_S,
          scope: str(b.scope) ?? 'all',
        },
      }
    })
    .on('POST', '/api/v2/tailnet/:tailnet/keys', (req) => {
      tailnet(req)
      const b = asRecord(req.body)
      const create = asRecord(asRecord(asRecord(b.capabilities).devices).create)
      const tags = Array.isArray(create.tags) ? create.tags : []
      if (!tags.every((x): x is string => typeof x === 'string' && TAG.test(x)))
        throw fail(400, 'tags must look like tag:name')
      if (tags.length === 0 && viaOAuth(req))
        throw fail(400, 'keys created by an OAuth client must be tagged')
      const expiry = b.expirySeconds === undefined ? DEFAULT_KEY_EXPIRY_S : Number(b.expirySeconds)
      if (!Number.isInteger(expiry) || expiry < 0 || expiry > DEFAULT_KEY_EXPIRY_S)
        throw fail(400, 'expirySeconds must be between 0 and 7776000')
      const id = `k${rand(11)}CNTRL`
      // One reading of the clock: two could straddle a millisecond and make the key 1 ms longer.
      const at = now()
      const key: LabTsKey = {
        id,
        secret: `tskey-auth-${id}-${rand(32)}`,
        description: str(b.description) ?? '',
        created: iso(at),
        expires: iso(at + (expiry === 0 ? DEFAULT_KEY_EXPIRY_S : expiry) * 1000),
        revoked: null,
        reusable: create.reusable === true,
        ephemeral: create.ephemeral === true,
        preauthorized: create.preauthorized === true,
        tags,
        uses: 0,
      }
      t().keys.push(key)
      engine.touch()
      return { status: 200, body: { ...renderKey(key), key: key.secret } }
    })
    .on('GET', '/api/v2/tailnet/:tailnet/keys', (req) => {
      tailnet(req)
      return {
        status: 200,
        body: {
          keys: t()
            .keys.filter((k) => k.revoked === null)
            .map(renderKey),
        },
      }
    })
    .on('GET', '/api/v2/tailnet/:tailnet/keys/:id', (req) => {
      tailnet(req)
      return { status: 200, body: renderKey(findKey(req.params.id)) }
    })
    .on('DELETE', '/api/v2/tailnet/:tailnet/keys/:id', (req) => {
      tailnet(req)
      const k = findKey(req.params.id)
      k.revoked ??= iso(now())
      engine.touch()
      return { status: 200 }
    })
    .on('GET', '/api/v2/tailnet/:tailnet/devices', (req) => {
      tailnet(req)
      return { status: 200, body: { devices: t().devices.map(renderDevice) } }
    })
    .on('GET', '/api/v2/device/:id', (req) => ({
      status: 200,
      body: renderDevice(findDevice(req.params.id)),
    }))
    .on('DELETE', '/api/v2/device/:id', (req) => {
      const d = findDevice(req.params.id)
      t().devices = t().devices.filter((x) => x !== d)
      engine.touch()
      return { status: 200 }
    })
    .on('POST', '/_lab/register', (req): LabResponse => {
      const b = asRecord(req.body)
      const secret = str(b.authKey) ?? ''
      const key = t().keys.find((k) => same(k.secret, secret))
      if (!key) throw fail(401, 'invalid key: unable to validate API key')
      const state = keyState(key)
      if (state !== 'valid')
        throw fail(401, `invalid key: key ${state === 'used' ? 'has already been used' : state}`)
      const hostname = str(b.hostname) ?? ''
      if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i.test(hostname))
        throw fail(400, `invalid hostname "${hostname}"`)
      const asked = Array.isArray(b.tags) ? b.tags.filter((x): x is string => typeof x === 'string') : []
      const notOwned = asked.filter((x) => !key.tags.includes(x))
      if (notOwned.length > 0)
        throw fail(403, `requested tags [${notOwned.join(', ')}] are invalid or not permitted`)
      key.uses += 1
      const n = engine.nextSeq('tailscale:device', 7_000_000_000_000)
      const taken = new Set(t().devices.map((d) => d.name))
      let name = `${hostname}.${LAB_TAILNET}`
      for (let i = 1; taken.has(name); i++) name = `${hostname}-${i}.${LAB_TAILNET}`
      const joinedAt = now()
      const device: LabTsDevice = {
        id: String(n),
        nodeId: `n${rand(11)}CNTRL`,
        name,
        hostname,
        tags: key.tags,
        addresses: [
          `100.${64 + ((n >> 16) & 63)}.${(n >> 8) & 255}.${n & 255}`,
          `fd7a:115c:a1e0::${(n & 0xffff).toString(16)}`,
        ],
        authorized: key.preauthorized,
        created: iso(joinedAt),
        lastSeen: iso(joinedAt),
        keyExpiryDisabled: key.tags.length > 0,
        isEphemeral: key.ephemeral,
        keyId: key.id,
      }
      t().devices.push(device)
      engine.touch()
      return { status: 200, body: renderDevice(device) }
    })

  const guard = (req: LabRequest): LabHttpError | null => {
    if (req.path === '/api/v2/oauth/token' || req.path.startsWith('/_lab/')) return null
    const token = bearer(req) ?? basicUser(req)?.user ?? ''
    if (token === '') return fail(401, 'API token invalid')
    if (viaOAuth(req)) {
      const tok = t().tokens.find((x) => same(x.token, token))!
      return tok.expiresAt <= now() ? fail(401, 'API token invalid: expired') : null
    }
    if (creds?.apiKey === undefined && creds?.oauthClientId === undefined) return null
    return creds.apiKey !== undefined && same(token, creds.apiKey) ? null : fail(401, 'API token invalid')
  }

  return {
    async handle(req) {
      const m = router.match(req.method, req.path)
      if (!m) return { status: 404, body: { message: `no route for ${req.method} ${req.path}` } }
      if ('allowed' in m)
        return {
          status: 405,
          body: { message: 'method not allowed' },
          headers: { Allow: m.allowed.join(', ') },
        }
      try {
        const rejected = guard(req)
        if (rejected) throw rejected
        return await m.handler({ ...req, params: m.params })
      } catch (err) {
        if (err instanceof LabHttpError) return { status: err.status, body: err.body, headers: err.headers }
        throw err
      }
    },
  }
}
