/**
 * The lab cloud: one loopback HTTP server that serves the five provider APIs under path prefixes
 * (Hetzner /hetzner/v1, Vultr /vultr/v2, DigitalOcean /digitalocean/v2, Contabo /contabo/v1 and its
 * token endpoint under /contabo-auth, Hostinger /hostinger), their status pages under /_status and
 * the lab's control API under /_lab. Every provider request passes the same pipeline: auth and
 * mandatory-header guard, the provider's rate limit, fault rules, then the handler; state changes
 * are flushed to the state file before the answer goes out.
 */
import { createReadStream, existsSync, statSync } from 'node:fs'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import pino, { type Logger } from 'pino'
import { PROVIDERS, type Provider } from '../../domain/provider.js'
import type { BootDriver } from './boot-driver.js'
import { contaboApi, contaboAuthApi } from './contabo-api.js'
import { controlRouter } from './control-api.js'
import { generateCredentials, type LabCredentials } from './credentials.js'
import { digitalOceanApi } from './digitalocean-api.js'
import { DEFAULT_TIMINGS, LabEngine, type LabTimings } from './engine.js'
import { expired, type FaultInput, judge, newFault, outageKeys, takeHangBoot } from './faults.js'
import { hetznerApi } from './hetzner-api.js'
import { hostingerApi } from './hostinger-api.js'
import { instantBootDriver } from './instant-boot-driver.js'
import type { FaultRule, LabServer, LabSnapshot, LabTailnet } from './model.js'
import type { ApiContext, ContaboAuthConfig, ProviderApi } from './provider-api.js'
import { DEFAULT_QUOTAS, Quota, type QuotaOptions } from './quota.js'
import { type LoggedRequest, preciseNow, RequestLog } from './request-log.js'
import { LabHttpError, type LabRequest, type LabResponse, type Router } from './router.js'
import { type SeedRequest, seedServers } from './seed-servers.js'
import { StateFile } from './state-file.js'
import { statusPage } from './status-page.js'
import { type TailscaleCredentials, tailnetOf, tailscaleApi } from './tailscale-api.js'
import { vultrApi } from './vultr-api.js'

export interface LabCloudOptions {
  /** Directory for the state file (created if missing). */
  dir: string
  host?: string
  /** 0 (default) picks a free port. */
  port?: number
  timings?: Partial<LabTimings>
  /** The boot driver for created servers; the instant driver when omitted. */
  driver?: BootDriver
  quotas?: Partial<Record<Provider, Partial<QuotaOptions>>>
  /** What each provider accepts; fresh random credentials when unset (read them from `credentials`). */
  credentials?: LabCredentials
  contabo?: Partial<ContaboAuthConfig>
  /** The Tailscale API credentials the lab accepts; any non-empty credential when unset. */
  tailscale?: TailscaleCredentials
  now?: () => number
  random?: () => number
  logger?: Logger
  /** Sees every provider API request after routing (tests check the adapters' requests with it). */
  onRequest?: (provider: Provider, req: LabRequest) => void
  /** A directory served read-only at /_releases/ (the lab's release location, see ../releases.ts). */
  releasesDir?: string
}

export interface ProviderEndpoint {
  baseUrl: string
  statusUrl: string
}

export interface LabEndpoints {
  url: string
  control: string
  hetzner: ProviderEndpoint
  vultr: ProviderEndpoint
  digitalocean: ProviderEndpoint
  contabo: ProviderEndpoint & { authUrl: string }
  hostinger: ProviderEndpoint
  /** The lab's Tailscale: the API base (…/api/v2 below it) and the endpoint `tailscale up` joins at. */
  tailscale: { baseUrl: string; registerUrl: string }
}

export interface LabCloud {
  readonly endpoints: LabEndpoints
  readonly dir: string
  /** The credentials every provider API checks (a secret: never log it). */
  readonly credentials: LabCredentials
  addFault(input: FaultInput): FaultRule
  removeFault(id: string): boolean
  clearFaults(): number
  faults(): FaultRule[]
  seed(req: SeedRequest): LabServer[]
  servers(provider?: Provider): LabServer[]
  /** Snapshots of servers' disks the providers keep (taken, not yet deleted or expired). */
  snapshots(provider: Provider): LabSnapshot[]
  /** The lab tailnet's keys and joined devices. */
  tailnet(): LabTailnet
  /** Provider API requests received, per provider (control and status requests not counted). */
  requestCounts(): Record<Provider, number>
  /** Every provider API request in order of arrival, with its time and answer (see request-log.ts). */
  readonly requests: RequestLog
  close(): Promise<void>
}

const MAX_BODY = 1024 * 1024

export async function startLabCloud(o: LabCloudOptions): Promise<LabCloud> {
  const now = o.now ?? Date.now
  const random = o.random ?? Math.random
  const logger = o.logger ?? pino({ enabled: false })
  const timings: LabTimings = { ...DEFAULT_TIMINGS, ...o.timings }
  const instant = instantBootDriver({ delayMs: timings.bootMs })
  const file = new StateFile(o.dir)
  const state = file.load()
  const engine = new LabEngine({ state, file, driver: o.driver ?? instant, instant, timings, now, logger })
  const counts = Object.fromEntries(PROVIDERS.map((p) => [p, 0])) as Record<Provider, number>
  const requests = new RequestLog()
  const quotas = Object.fromEntries(
    PROVIDERS.map((p) => [p, new Quota({ ...DEFAULT_QUOTAS[p], ...o.quotas?.[p] }, now())]),
  ) as Record<Provider, Quota>

  const refreshFaults = () => {
    for (const r of expired(state.faults)) state.faults = state.faults.filter((x) => x !== r)
    engine.setOutages(outageKeys(state.faults))
    engine.touch()
  }

  const credentials = o.credentials ?? generateCredentials()
  const ctx: ApiContext = {
    engine,
    credentials,
    contabo: { accessTtlSec: 300, refreshTtlSec: 1800, ...o.contabo },
    hangsBoot: (provider, region) => {
      const rule = takeHangBoot(state.faults, provider, region)
      if (rule) refreshFaults()
      return rule !== undefined
    },
  }
  const apis: ProviderApi[] = [
    hetznerApi(ctx),
    vultrApi(ctx),
    digitalOceanApi(ctx),
    contaboApi(ctx),
    contaboAuthApi(ctx),
    hostingerApi(ctx),
  ]

  let endpoints: LabEndpoints | null = null
  const lab: LabCloud = {
    get endpoints() {
      if (!endpoints) throw new Error('lab cloud is not listening')
      return endpoints
    },
    dir: o.dir,
    credentials,
    addFault(input) {
      const rule = newFault(input, new Date(now()).toISOString())
      state.faults.push(rule)
      refreshFaults()
      engine.flush()
      return rule
    },
    removeFault(id) {
      const before = state.faults.length
      state.faults = state.faults.filter((r) => r.id !== id)
      refreshFaults()
      engine.flush()
      return state.faults.length < before
    },
    clearFaults() {
      const n = state.faults.length
      state.faults = []
      refreshFaults()
      engine.flush()
      return n
    },
    faults: () => state.faults.map((r) => ({ ...r })),
    seed(req) {
      const out = seedServers(engine, req)
      engine.flush()
      return out
    },
    servers: (provider) => (provider ? engine.servers(provider) : [...state.servers]),
    snapshots: (provider) => engine.snapshots(provider),
    tailnet: () => tailnetOf(engine),
    requestCounts: () => ({ ...counts }),
    requests,
    async close() {
      requests.close()
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
      await engine.close()
    },
  }

  const control = controlRouter({
    engine,
    endpoints: () => lab.endpoints,
    addFault: lab.addFault,
    removeFault: lab.removeFault,
    clearFaults: lab.clearFaults,
    seed: lab.seed,
    removeServers: (p) => {
      const n = engine.purge(p)
      engine.flush()
      return n
    },
    requestCounts: lab.requestCounts,
    requests,
  })

  // The release location serves files as a web server or a bucket would: GET only, no listing.
  const serveRelease = (res: ServerResponse, rel: string) => {
    const dir = o.releasesDir
    const file =
      dir && /^(index\.json|(openclaw|gf-clawnode)\/[A-Za-z0-9._+-]+\.tgz)$/.test(rel) ? join(dir, rel) : null
    if (!file || !existsSync(file)) return send(res, 404, { message: `no release at ${rel}` }, {})
    res.writeHead(200, {
      'content-type': rel.endsWith('.json') ? 'application/json' : 'application/gzip',
      'content-length': String(statSync(file).size),
    })
    createReadStream(file).pipe(res)
  }

  const tailnet = tailscaleApi(engine, o.tailscale)

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      logger.error({ err }, 'lab cloud request failed')
      if (!res.headersSent) send(res, 500, { message: 'internal lab error' }, {})
    })
  })

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const origin = endpoints?.url ?? 'http://127.0.0.1'
    const url = new URL(req.url ?? '/', origin)
    const path = url.pathname
    const method = req.method ?? 'GET'
    const raw = await readBody(req)
    const headers = lowerHeaders(req)
    const parsed =
      raw === null ? { body: undefined, invalid: false } : parseBody(raw, headers['content-type'])

    if (path === '/_lab' || path.startsWith('/_lab/')) {
      return route(res, control, {
        method,
        path: path.slice(5) || '/',
        url,
        headers,
        body: parsed.body,
        base: `${origin}/_lab`,
      })
    }
    if (path.startsWith('/_releases/')) return serveRelease(res, path.slice('/_releases/'.length))
    if (path === '/tailscale' || path.startsWith('/tailscale/')) {
      try {
        const out = await tailnet.handle({
          method,
          path: path.slice('/tailscale'.length) || '/',
          query: url.searchParams,
          headers,
          body: parsed.body,
          params: {},
          base: `${origin}/tailscale`,
        })
        return send(res, out.status, out.body, out.headers ?? {})
      } finally {
        engine.flush()
      }
    }
    const status = /^\/_status\/([a-z]+)\/?$/.exec(path)
    if (status) {
      const p = status[1] as Provider
      if (!PROVIDERS.includes(p)) return send(res, 404, { message: 'no such provider' }, {})
      return send(res, 200, statusPage(p, state.faults, new Date(now()).toISOString()), {})
    }
    const api = apis.find((a) => path === a.prefix || path.startsWith(`${a.prefix}/`))
    if (!api) return send(res, 404, { message: `no lab endpoint at ${path}` }, {})

    counts[api.provider]++
    const receivedAt = preciseNow()
    let fault: LoggedRequest['fault'] = null
    engine.tick()
    const labReq: LabRequest = {
      method,
      path: path.slice(api.prefix.length) || '/',
      query: url.searchParams,
      headers,
      body: parsed.body,
      params: {},
      base: origin + api.prefix,
    }
    let rateHeaders: Record<string, string> = {}
    try {
      // As on the real APIs: credentials first, then the route, then the body.
      const rejected = api.guard(labReq)
      if (rejected) throw rejected
      const m = api.router.match(method, labReq.path)
      if (!m) throw api.error(404, `no route for ${method} ${labReq.path}`)
      if ('allowed' in m) {
        const e = api.error(405, `method ${method} is not allowed on ${labReq.path}`)
        throw new LabHttpError(e.status, e.body, { Allow: m.allowed.join(', ') })
      }
      labReq.params = m.params
      o.onRequest?.(api.provider, labReq)
      if (raw === null) throw api.error(413, 'request body too large')
      if (parsed.invalid)
        throw api.error(
          400,
          'request body is not valid JSON',
          api.provider === 'hetzner' ? 'json_error' : undefined,
        )
      const quota = quotas[api.provider].take(now())
      rateHeaders = api.rateHeaders(quota)
      if (!quota.allowed) {
        const e = api.error(429, 'rate limit exceeded')
        throw new LabHttpError(e.status, e.body, { 'Retry-After': String(quota.retryAfterSec) })
      }
      const verdict = judge(
        state.faults,
        { provider: api.provider, region: api.regionOf(labReq), route: `${method} ${labReq.path}` },
        random,
      )
      if (expired(state.faults).length > 0) refreshFaults()
      if (verdict.latencyMs > 0) await sleep(verdict.latencyMs)
      if (verdict.error) {
        fault = verdict.error.outage ? 'outage' : 'error'
        const e = api.error(
          verdict.error.status,
          verdict.error.outage ? 'region unavailable (lab outage)' : 'injected fault (lab)',
        )
        const extra: Record<string, string> =
          verdict.error.retryAfterSec === null ? {} : { 'Retry-After': String(verdict.error.retryAfterSec) }
        throw new LabHttpError(e.status, e.body, extra)
      }
      if (verdict.malformed === 'shape') {
        fault = 'malformed'
        return send(res, 200, { lab: 'malformed response (injected fault)' }, rateHeaders)
      }
      const out: LabResponse = await m.handler(labReq)
      if (
        verdict.malformed === 'truncated' &&
        out.status >= 200 &&
        out.status < 300 &&
        out.body !== undefined
      ) {
        fault = 'malformed'
        return sendTruncated(res, out, rateHeaders)
      }
      send(res, out.status, out.body, { ...rateHeaders, ...out.headers })
    } catch (err) {
      if (err instanceof LabHttpError)
        return send(res, err.status, err.body, { ...rateHeaders, ...err.headers })
      logger.error({ err, provider: api.provider, method, path }, 'lab cloud handler failed')
      const e = api.error(500, 'internal server error (lab)')
      send(res, e.status, e.body, rateHeaders)
    } finally {
      engine.flush()
      requests.add({
        provider: api.provider,
        method,
        path: labReq.path,
        status: res.statusCode,
        fault,
        receivedAt,
        answeredAt: preciseNow(),
      })
    }
  }

  async function route(
    res: ServerResponse,
    router: Router,
    r: {
      method: string
      path: string
      url: URL
      headers: Record<string, string>
      body: unknown
      base: string
    },
  ): Promise<void> {
    const m = router.match(r.method, r.path)
    if (!m) return send(res, 404, { error: 'not_found', message: `no route for ${r.method} ${r.path}` }, {})
    if ('allowed' in m)
      return send(
        res,
        405,
        { error: 'method_not_allowed', message: `${r.method} ${r.path}` },
        { Allow: m.allowed.join(', ') },
      )
    try {
      const out = await m.handler({
        method: r.method,
        path: r.path,
        query: r.url.searchParams,
        headers: r.headers,
        body: r.body,
        params: m.params,
        base: r.base,
      })
      send(res, out.status, out.body, out.headers ?? {})
    } catch (err) {
      if (err instanceof LabHttpError) return send(res, err.status, err.body, err.headers)
      throw err
    } finally {
      engine.flush()
    }
  }

  engine.start(outageKeys(state.faults))
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(o.port ?? 0, o.host ?? '127.0.0.1', () => resolve())
  })
  const addr = server.address() as AddressInfo
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address
  const url = `http://${host}:${addr.port}`
  const ep = (prefix: string, p: Provider): ProviderEndpoint => ({
    baseUrl: url + prefix,
    statusUrl: `${url}/_status/${p}`,
  })
  endpoints = {
    url,
    control: `${url}/_lab`,
    hetzner: ep('/hetzner/v1', 'hetzner'),
    vultr: ep('/vultr/v2', 'vultr'),
    digitalocean: ep('/digitalocean/v2', 'digitalocean'),
    contabo: {
      ...ep('/contabo/v1', 'contabo'),
      authUrl: `${url}/contabo-auth/auth/realms/contabo/protocol/openid-connect/token`,
    },
    hostinger: ep('/hostinger', 'hostinger'),
    tailscale: { baseUrl: `${url}/tailscale`, registerUrl: `${url}/tailscale/_lab` },
  }
  logger.info({ url, dir: o.dir, servers: state.servers.length }, 'lab cloud listening')
  return lab
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string>): void {
  if (res.headersSent) return
  const text = body === undefined || status === 204 ? '' : JSON.stringify(body)
  res.writeHead(status, {
    ...headers,
    ...(text
      ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) }
      : {}),
  })
  res.end(text)
}

/** The handled request's answer cut off halfway (a 2xx with a body that does not parse). */
function sendTruncated(res: ServerResponse, out: LabResponse, headers: Record<string, string>): void {
  const text = JSON.stringify(out.body)
  sendText(res, out.status, text.slice(0, Math.max(1, Math.floor(text.length / 2))), {
    ...headers,
    ...out.headers,
  })
}

function sendText(res: ServerResponse, status: number, text: string, headers: Record<string, string>): void {
  if (res.headersSent) return
  res.writeHead(status, {
    ...headers,
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(text)),
  })
  res.end(text)
}

async function readBody(req: IncomingMessage): Promise<string | null> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > MAX_BODY) return null
    chunks.push(chunk)
  }
  return Buffer.concat(chunks).toString('utf8')
}

function parseBody(raw: string, contentType: string | undefined): { body: unknown; invalid: boolean } {
  if (raw.length === 0) return { body: undefined, invalid: false }
  if (contentType?.includes('application/x-www-form-urlencoded')) {
    return { body: Object.fromEntries(new URLSearchParams(raw)), invalid: false }
  }
  try {
    return { body: JSON.parse(raw), invalid: false }
  } catch {
    return { body: undefined, invalid: true }
  }
}

function lowerHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(req.headers)) {
    if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v
  }
  return out
}
