/**
 * The lab's own control API under `/_lab` (not part of any provider): fault injection, seeding,
 * a neutral view of every server, request counters. Used by tests, benchmarks and the
 * `clawops lab` commands.
 *
 *   GET    /_lab/health                    {ok, pid}
 *   GET    /_lab/endpoints                 base URLs per provider
 *   GET    /_lab/faults                    {faults: FaultRule[]}
 *   POST   /_lab/faults   FaultInput       201 FaultRule
 *   DELETE /_lab/faults                    {removed}
 *   DELETE /_lab/faults/:id                204 | 404
 *   POST   /_lab/seed     SeedRequest      201 {created, ids}
 *   GET    /_lab/servers[?provider=]       {servers: LabServer[]} (user data omitted)
 *   DELETE /_lab/servers[?provider=]       {removed}: servers vanish (boot drivers stopped)
 *   GET    /_lab/stats                     {requests: {provider: n}, servers: {provider: {power: n}}}
 *   GET    /_lab/requests[?since=&provider=&method=&wait=]
 *                                          {requests: LoggedRequest[], last}: the request log after
 *                                          `since`; with `wait` (ms, ≤ 60000) answers as soon as one
 *                                          matches, or empty when none came in time
 */
import { PROVIDERS, type Provider } from '../../domain/provider.js'
import type { LabEngine } from './engine.js'
import { type FaultInput, FaultInputSchema } from './faults.js'
import type { FaultRule, LabServer } from './model.js'
import type { RequestLog } from './request-log.js'
import { intParam, LabHttpError, type LabRequest, type LabResponse, Router } from './router.js'
import { type SeedRequest, SeedSchema } from './seed-servers.js'

export interface ControlDeps {
  engine: LabEngine
  endpoints: () => unknown
  addFault(input: FaultInput): FaultRule
  removeFault(id: string): boolean
  clearFaults(): number
  seed(req: SeedRequest): LabServer[]
  removeServers(provider: Provider | null): number
  requestCounts(): Record<Provider, number>
  requests: RequestLog
}

const bad = (message: string) => new LabHttpError(400, { error: 'invalid_input', message })

export function controlRouter(d: ControlDeps): Router {
  const providerParam = (req: LabRequest): Provider | null => {
    const p = req.query.get('provider')
    if (p === null) return null
    if (!(PROVIDERS as readonly string[]).includes(p)) throw bad(`unknown provider ${p}`)
    return p as Provider
  }
  return new Router()
    .on('GET', '/health', () => ({ status: 200, body: { ok: true, pid: process.pid } }))
    .on('GET', '/endpoints', () => ({ status: 200, body: d.endpoints() }))
    .on('GET', '/faults', () => ({ status: 200, body: { faults: d.engine.state.faults } }))
    .on('POST', '/faults', (req): LabResponse => {
      const parsed = FaultInputSchema.safeParse(req.body)
      if (!parsed.success)
        throw bad(parsed.error.issues.map((i) => `${i.path.join('.') || 'fault'}: ${i.message}`).join('; '))
      return { status: 201, body: d.addFault(parsed.data) }
    })
    .on('DELETE', '/faults', () => ({ status: 200, body: { removed: d.clearFaults() } }))
    .on('DELETE', '/faults/:id', (req) => {
      if (!d.removeFault(req.params.id!))
        throw new LabHttpError(404, { error: 'not_found', message: 'no such fault' })
      return { status: 204 }
    })
    .on('POST', '/seed', (req) => {
      const parsed = SeedSchema.safeParse(req.body)
      if (!parsed.success)
        throw bad(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '))
      const servers = d.seed(parsed.data)
      return { status: 201, body: { created: servers.length, ids: servers.map((s) => s.id) } }
    })
    .on('GET', '/servers', (req) => {
      const p = providerParam(req)
      const servers = (p ? d.engine.servers(p) : d.engine.state.servers).map(
        ({ userData: _omit, defaultPassword: _pw, ...rest }) => rest,
      )
      return { status: 200, body: { servers } }
    })
    .on('DELETE', '/servers', (req) => ({
      status: 200,
      body: { removed: d.removeServers(providerParam(req)) },
    }))
    .on('GET', '/stats', () => {
      const servers: Record<string, Record<string, number>> = {}
      for (const p of PROVIDERS) servers[p] = {}
      for (const s of d.engine.state.servers) {
        const byPower = servers[s.provider]!
        byPower[s.power] = (byPower[s.power] ?? 0) + 1
      }
      return { status: 200, body: { requests: d.requestCounts(), servers } }
    })
    .on('GET', '/requests', async (req) => {
      const since = intParam(req.query, 'since', 0, 0, Number.MAX_SAFE_INTEGER)
      const wait = intParam(req.query, 'wait', 0, 0, 60_000)
      if (Number.isNaN(since) || Number.isNaN(wait)) throw bad('since and wait are integers')
      const method = req.query.get('method')
      const filter = { since, provider: providerParam(req), method }
      const requests = wait > 0 ? await d.requests.next(filter, wait) : d.requests.list(filter)
      return { status: 200, body: { requests, last: d.requests.last() } }
    })
}
