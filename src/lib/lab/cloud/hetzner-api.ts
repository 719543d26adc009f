/**
 * Emulated Hetzner Cloud API v1 (shapes from hcloud-go schema/*.go and docs.hetzner.cloud):
 * `{"error":{code,message,details}}` errors, page/per_page pagination with meta.pagination and a
 * Link header, label selectors, actions (`running` → `success`/`error`) for every mutation, `locked`
 * while a server has a running action, `server_not_stopped` for change_type on a running server,
 * unique names per project, RateLimit-* headers on every answer.
 */
import { LABEL_KEY, LABEL_VALUE } from '../../domain/labels.js'
import { decimalToScaled, scaledToDecimal } from '../../providers/decimal.js'
import type { LabEngine } from './engine.js'
import { HETZNER_IMAGES, labPlan, labPlans, labRegions } from './lab-catalog.js'
import { parseSelector } from './label-selector.js'
import type { LabAction, LabPower, LabServer, LabSnapshot } from './model.js'
import {
  type ApiContext,
  asRecord,
  checkBearer,
  isHostname,
  type ProviderApi,
  serverRegion,
  str,
} from './provider-api.js'
import type { QuotaVerdict } from './quota.js'
import { intParam, LabHttpError, type LabRequest, type LabResponse, Router } from './router.js'

const CODES: Record<number, string> = {
  400: 'invalid_input',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  409: 'conflict',
  412: 'server_not_stopped',
  422: 'invalid_input',
  423: 'locked',
  429: 'rate_limit_exceeded',
  500: 'server_error',
  502: 'bad_gateway',
  503: 'unavailable',
  504: 'timeout',
}

const STATUS: Record<LabPower, string> = {
  creating: 'initializing',
  starting: 'starting',
  running: 'running',
  stopping: 'stopping',
  off: 'off',
  resizing: 'off',
  deleting: 'deleting',
  error: 'unknown',
}

const USER_DATA_MAX = 32 * 1024

export function hetznerApi(ctx: ApiContext): ProviderApi {
  const engine = ctx.engine
  const err = (status: number, message: string, code?: string, details: unknown = {}) =>
    new LabHttpError(status, { error: { code: code ?? CODES[status] ?? 'server_error', message, details } })
  const invalid = (field: string, message: string) =>
    err(400, `invalid input in field '${field}'`, 'invalid_input', {
      fields: [{ name: field, messages: [message] }],
    })
  const mustFind = (id: string): LabServer => {
    const s = engine.find('hetzner', id)
    if (!s) throw err(404, `server with ID '${id}' not found`)
    return s
  }
  // The API takes an id (number or numeric string) or a name wherever it names a type, image,
  // location or datacenter (hcloud-go sends ids once it has looked a name up).
  const typeOf = (v: unknown) => byIdOrName(v, hetznerTypes())
  const imageOf = (v: unknown) => byIdOrName(v, hetznerImages())
  const locationOf = (v: unknown) => byIdOrName(v, hetznerLocations())
  const datacenterOf = (v: unknown) => byIdOrName(v, hetznerDatacenters())
  // Only snapshots (the account's own images) can be changed or deleted; system images cannot.
  const mustFindSnapshot = (id: string): LabSnapshot => {
    const snap = /^\d+$/.test(id) ? engine.findSnapshot('hetzner', id) : undefined
    if (!snap) {
      if (hetznerImages().some((i) => String(i.id) === id))
        throw err(403, 'system images cannot be changed or deleted', 'forbidden')
      throw err(404, `image with ID '${id}' not found`)
    }
    return snap
  }

  const router = new Router()
    .on('GET', '/servers', (req) => {
      const selector = parseSelector(req.query.get('label_selector'))
      if (selector === null) throw invalid('label_selector', 'invalid label selector')
      const name = req.query.get('name')
      const status = req.query.getAll('status')
      const all = engine
        .servers('hetzner')
        .filter(
          (s) =>
            selector(s.labels) &&
            (name === null || s.name === name) &&
            (status.length === 0 || status.includes(STATUS[s.power])),
        )
      return paginate(req, 'servers', all, (s) => renderServer(engine, s))
    })
    .on('POST', '/servers', (req) => {
      const b = asRecord(req.body)
      const name = str(b.name)
      if (!name || !isHostname(name)) throw invalid('name', 'must be a valid hostname')
      const type = typeOf(b.server_type)
      if (!type) throw invalid('server_type', `server type '${String(b.server_type)}' not found`)
      if (b.image === undefined) throw invalid('image', 'is required')
      const image = imageOf(b.image)
      if (!image) throw invalid('image', `image '${String(b.image)}' not found`)
      if (b.location !== undefined && b.datacenter !== undefined)
        throw invalid('location', 'location and datacenter are mutually exclusive')
      let region = 'fsn1'
      if (b.datacenter !== undefined) {
        const dc = datacenterOf(b.datacenter)
        if (!dc) throw invalid('datacenter', `datacenter '${String(b.datacenter)}' not found`)
        region = dc.location.name
      } else if (b.location !== undefined) {
        const loc = locationOf(b.location)
        if (!loc) throw invalid('location', `location '${String(b.location)}' not found`)
        region = loc.name
      }
      const labels = b.labels === undefined || b.labels === null ? {} : asRecord(b.labels)
      for (const [k, v] of Object.entries(labels)) {
        if (!LABEL_KEY.test(k) || typeof v !== 'string' || !LABEL_VALUE.test(v))
          throw invalid('labels', `invalid label ${k}`)
      }
      const userData = b.user_data === undefined || b.user_data === null ? null : str(b.user_data)
      if (userData === undefined) throw invalid('user_data', 'must be a string')
      if (userData !== null && Buffer.byteLength(userData) > USER_DATA_MAX)
        throw invalid('user_data', 'is too long')
      if (engine.servers('hetzner').some((s) => s.name === name))
        throw err(409, 'server name is already used', 'uniqueness_error')
      const { server, action } = engine.createServer(
        'hetzner',
        {
          name,
          region,
          plan: type.name,
          image: image.name,
          labels: labels as Record<string, string>,
          userData,
          hang: ctx.hangsBoot('hetzner', region),
        },
        'create_server',
      )
      return {
        status: 201,
        body: {
          server: renderServer(engine, server),
          action: renderAction(action),
          next_actions: [],
          root_password: null,
        },
      }
    })
    .on('GET', '/servers/:id', (req) => ({
      status: 200,
      body: { server: renderServer(engine, mustFind(req.params.id!)) },
    }))
    .on('PUT', '/servers/:id', (req) => {
      const s = mustFind(req.params.id!)
      const b = asRecord(req.body)
      if (b.name !== undefined) {
        const name = str(b.name)
        if (!name || !isHostname(name)) throw invalid('name', 'must be a valid hostname')
        if (engine.servers('hetzner').some((o) => o !== s && o.name === name))
          throw err(409, 'server name is already used', 'uniqueness_error')
        s.name = name
      }
      if (b.labels !== undefined) s.labels = asRecord(b.labels) as Record<string, string>
      engine.touch()
      return { status: 200, body: { server: renderServer(engine, s) } }
    })
    .on('DELETE', '/servers/:id', (req) => {
      const s = mustFind(req.params.id!)
      if (s.protection?.delete) throw err(403, 'server deletion is protected', 'protected')
      if (s.power === 'deleting') throw err(423, 'server is locked', 'locked')
      return { status: 200, body: { action: renderAction(engine.remove(s, 'delete_server')) } }
    })
    .on('GET', '/servers/:id/actions', (req) => {
      const s = mustFind(req.params.id!)
      const status = req.query.getAll('status')
      const actions = engine.actionsOf(s).filter((a) => status.length === 0 || status.includes(a.status))
      return paginate(req, 'actions', actions, renderAction)
    })
    .on('GET', '/servers/:id/actions/:actionId', (req) => {
      const s = mustFind(req.params.id!)
      const a = engine.action('hetzner', req.params.actionId!)
      if (!a || a.serverId !== s.id) throw err(404, `action with ID '${req.params.actionId}' not found`)
      return { status: 200, body: { action: renderAction(a) } }
    })
    .on('POST', '/servers/:id/actions/:action', (req) => {
      const s = mustFind(req.params.id!)
      const name = req.params.action!
      if (!SERVER_ACTIONS.includes(name)) throw err(404, `action '${name}' not found`, 'not_found')
      const b = asRecord(req.body)
      if (name === 'change_protection') {
        // Protection changes are not blocked by a running action and finish at once.
        for (const k of ['delete', 'rebuild'] as const) {
          if (b[k] !== undefined && typeof b[k] !== 'boolean') throw invalid(k, 'must be a boolean')
        }
        const now = s.protection ?? { delete: false, rebuild: false }
        s.protection = {
          delete: typeof b.delete === 'boolean' ? b.delete : now.delete,
          rebuild: typeof b.rebuild === 'boolean' ? b.rebuild : now.rebuild,
        }
        engine.touch()
        return { status: 201, body: { action: renderAction(engine.instantAction(s, 'change_protection')) } }
      }
      if (engine.busy(s)) throw err(423, 'server is locked by a running action', 'locked')
      if (name === 'create_image') {
        const type = b.type === undefined ? 'snapshot' : b.type
        // Backups need the server's backup option, which the lab's servers never have.
        if (type === 'backup') throw err(422, 'backups are not enabled for this server', 'invalid_input')
        if (type !== 'snapshot') throw invalid('type', "must be 'snapshot' or 'backup'")
        if (b.description !== undefined && b.description !== null && typeof b.description !== 'string')
          throw invalid('description', 'must be a string')
        const labels = b.labels === undefined || b.labels === null ? {} : asRecord(b.labels)
        for (const [k, v] of Object.entries(labels)) {
          if (!LABEL_KEY.test(k) || typeof v !== 'string' || !LABEL_VALUE.test(v))
            throw invalid('labels', `invalid label ${k}`)
        }
        const { snapshot, action } = engine.snapshot(s, 'create_image', {
          name: '',
          description: typeof b.description === 'string' ? b.description : '',
          labels: labels as Record<string, string>,
          boundToServer: false,
          keepDays: null,
        })
        return {
          status: 201,
          body: { image: renderSnapshot(snapshot), action: renderAction(action) },
        }
      }
      let action: LabAction
      if (name === 'poweron') action = engine.powerOn(s, 'start_server')
      else if (name === 'poweroff' || name === 'shutdown')
        action = engine.powerOff(s, `${name === 'poweroff' ? 'stop' : 'shutdown'}_server`)
      else if (name === 'reboot' || name === 'reset')
        action = engine.reboot(s, `${name === 'reset' ? 'reset' : 'reboot'}_server`)
      else {
        const target = typeOf(b.server_type)
        if (!target) throw invalid('server_type', `server type '${String(b.server_type)}' not found`)
        if (typeof b.upgrade_disk !== 'boolean') throw invalid('upgrade_disk', 'is required')
        if (s.power !== 'off')
          throw err(412, 'server must be stopped before changing its type', 'server_not_stopped')
        const current = labPlan('hetzner', s.plan)
        if (s.diskGrown && current && target.disk < current.diskGb) {
          throw invalid(
            'server_type',
            'the disk was upgraded before; a server type with a smaller disk is not possible',
          )
        }
        action = engine.changePlan(s, 'change_server_type', target.name, {
          growDisk: b.upgrade_disk,
          restart: false,
          during: 'off',
        })
      }
      return { status: 201, body: { action: renderAction(action) } }
    })
    .on('GET', '/actions/:id', (req) => {
      const a = engine.action('hetzner', req.params.id!)
      if (!a) throw err(404, `action with ID '${req.params.id}' not found`)
      return { status: 200, body: { action: renderAction(a) } }
    })
    .on('GET', '/actions', (req) => {
      const ids = req.query.getAll('id')
      const status = req.query.getAll('status')
      const found =
        ids.length > 0
          ? ids.map((id) => engine.action('hetzner', id)).filter((a): a is LabAction => a !== undefined)
          : engine.state.actions.filter((a) => a.provider === 'hetzner')
      return paginate(
        req,
        'actions',
        found.filter((a) => status.length === 0 || status.includes(a.status)).map(renderAction),
      )
    })
    .on('GET', '/server_types', (req) => paginate(req, 'server_types', byName(req, hetznerTypes())))
    .on('GET', '/server_types/:id', (req) => ({
      status: 200,
      body: { server_type: one(hetznerTypes(), req.params.id!, 'server type') },
    }))
    .on('GET', '/locations', (req) => paginate(req, 'locations', byName(req, hetznerLocations())))
    .on('GET', '/locations/:id', (req) => ({
      status: 200,
      body: { location: one(hetznerLocations(), req.params.id!, 'location') },
    }))
    .on('GET', '/datacenters', (req) => {
      const page = paginate(req, 'datacenters', byName(req, hetznerDatacenters()))
      // The datacenters list also names the recommended one.
      ;(page.body as Record<string, unknown>).recommendation = hetznerDatacenters()[1]!.id
      return page
    })
    .on('GET', '/datacenters/:id', (req) => ({
      status: 200,
      body: { datacenter: one(hetznerDatacenters(), req.params.id!, 'datacenter') },
    }))
    .on('GET', '/images', (req) => {
      const selector = parseSelector(req.query.get('label_selector'))
      if (selector === null) throw invalid('label_selector', 'invalid label selector')
      const type = req.query.getAll('type')
      const arch = req.query.getAll('architecture')
      const status = req.query.getAll('status')
      const all = [...hetznerImages(), ...engine.snapshots('hetzner').map(renderSnapshot)]
      const images = byName(req, all).filter(
        (i) =>
          selector(i.labels) &&
          (type.length === 0 || type.includes(i.type)) &&
          (arch.length === 0 || arch.includes(i.architecture)) &&
          (status.length === 0 || status.includes(i.status)),
      )
      return paginate(req, 'images', images)
    })
    .on('GET', '/images/:id', (req) => ({
      status: 200,
      body: {
        image: one(
          [...hetznerImages(), ...engine.snapshots('hetzner').map(renderSnapshot)],
          req.params.id!,
          'image',
        ),
      },
    }))
    .on('PUT', '/images/:id', (req) => {
      const snap = mustFindSnapshot(req.params.id!)
      const b = asRecord(req.body)
      if (typeof b.description === 'string') snap.description = b.description
      if (b.labels !== undefined) snap.labels = asRecord(b.labels) as Record<string, string>
      engine.touch()
      return { status: 200, body: { image: renderSnapshot(snap) } }
    })
    .on('DELETE', '/images/:id', (req) => {
      const snap = mustFindSnapshot(req.params.id!)
      engine.removeSnapshot(snap)
      return { status: 204 }
    })
    .on('GET', '/pricing', () => ({ status: 200, body: { pricing: renderPricing() } }))

  return {
    provider: 'hetzner',
    prefix: '/hetzner/v1',
    router,
    error: (status, message, code) => err(status, message, code),
    rateHeaders: (v: QuotaVerdict) => ({
      'RateLimit-Limit': String(v.limit),
      'RateLimit-Remaining': String(v.remaining),
      'RateLimit-Reset': String(v.resetAt),
    }),
    guard: (req) =>
      checkBearer(req, ctx.credentials.hetzner.token)
        ? null
        : err(401, 'unable to authenticate', 'unauthorized'),
    regionOf: (req) => {
      if (req.method === 'POST' && req.path === '/servers') {
        const b = asRecord(req.body)
        if (b.datacenter !== undefined) return datacenterOf(b.datacenter)?.location.name ?? null
        return b.location === undefined ? 'fsn1' : (locationOf(b.location)?.name ?? null)
      }
      return serverRegion(ctx, 'hetzner', req)
    },
  }

  function one<T extends { id: number }>(items: T[], id: string, what: string): T {
    const found = /^\d+$/.test(id) ? items.find((x) => x.id === Number(id)) : undefined
    if (!found) throw err(404, `${what} with ID '${id}' not found`)
    return found
  }
}

const SERVER_ACTIONS = [
  'create_image',
  'poweron',
  'poweroff',
  'shutdown',
  'reboot',
  'reset',
  'change_type',
  'change_protection',
]

/** Items matching `?name=` (exact, as the API filters), or all of them. */
function byName<T extends { name: string | null }>(req: LabRequest, items: T[]): T[] {
  const name = req.query.get('name')
  return name === null ? items : items.filter((x) => x.name === name)
}

function byIdOrName<T extends { id: number; name: string }>(v: unknown, items: T[]): T | undefined {
  if (typeof v === 'number') return items.find((x) => x.id === v)
  if (typeof v !== 'string' || v === '') return undefined
  if (/^\d+$/.test(v)) return items.find((x) => x.id === Number(v))
  return items.find((x) => x.name === v)
}

function hetznerTypes() {
  return labPlans('hetzner').map((p, i) => renderType(p.id, i))
}

function hetznerLocations() {
  return labRegions('hetzner').map(renderLocation)
}

function hetznerDatacenters() {
  const typeIds = hetznerTypes().map((t) => t.id)
  return hetznerLocations().map((l) => ({
    id: l.id,
    name: `${l.name}-dc${l.id + 1}`,
    description: `${l.city} DC${l.id + 1}`,
    location: l,
    server_types: { supported: typeIds, available: typeIds, available_for_migration: typeIds },
  }))
}

function hetznerImages() {
  return HETZNER_IMAGES.map(renderImage)
}

function renderImage(i: (typeof HETZNER_IMAGES)[number]) {
  return {
    id: i.id,
    type: 'system',
    status: 'available',
    name: i.name,
    description: i.description,
    image_size: null,
    disk_size: 5,
    created: '2024-04-25T12:00:00+00:00',
    created_from: null,
    bound_to: null,
    os_flavor: i.flavor,
    os_version: i.version,
    rapid_deploy: true,
    protection: { delete: false },
    deprecated: null,
    deleted: null,
    labels: {} as Record<string, string>,
    architecture: 'x86',
  }
}

/** A snapshot as the API renders an image of type snapshot (hcloud-go schema.Image). */
function renderSnapshot(x: LabSnapshot) {
  const base = HETZNER_IMAGES.find((i) => i.name === x.image) ?? HETZNER_IMAGES[0]!
  return {
    id: Number(x.id),
    type: 'snapshot',
    status: x.status,
    name: null,
    description: x.description,
    image_size: x.status === 'available' ? x.sizeGb : null,
    disk_size: labPlan('hetzner', x.plan)?.diskGb ?? 0,
    created: x.createdAt,
    created_from: { id: Number(x.serverId), name: x.serverName },
    bound_to: null,
    os_flavor: base.flavor,
    os_version: base.version,
    rapid_deploy: false,
    protection: { delete: false },
    deprecated: null,
    deleted: null,
    labels: x.labels,
    architecture: 'x86',
  }
}

/** Renders only the requested page: a list of thousands must not render every server per call. */
function paginate<T>(
  req: LabRequest,
  key: string,
  items: T[],
  render: (item: T) => unknown = (x) => x,
): LabResponse {
  const perPage = intParam(req.query, 'per_page', 25, 1, 50)
  const page = intParam(req.query, 'page', 1, 1, Number.MAX_SAFE_INTEGER)
  if (Number.isNaN(perPage) || Number.isNaN(page)) {
    throw new LabHttpError(400, {
      error: { code: 'invalid_input', message: 'page and per_page must be integers', details: {} },
    })
  }
  const lastPage = Math.max(1, Math.ceil(items.length / perPage))
  const slice = items.slice((page - 1) * perPage, page * perPage).map(render)
  const link = (p: number) => {
    const q = new URLSearchParams(req.query)
    q.set('page', String(p))
    return `<${req.base}${req.path}?${q.toString()}>`
  }
  const links = [
    ...(page < lastPage ? [`${link(page + 1)}; rel="next"`] : []),
    ...(page > 1 ? [`${link(page - 1)}; rel="prev"`] : []),
    `${link(lastPage)}; rel="last"`,
  ]
  return {
    status: 200,
    headers: { Link: links.join(', ') },
    body: {
      [key]: slice,
      meta: {
        pagination: {
          page,
          per_page: perPage,
          previous_page: page > 1 ? page - 1 : null,
          next_page: page < lastPage ? page + 1 : null,
          last_page: lastPage,
          total_entries: items.length,
        },
      },
    },
  }
}

function renderType(id: string, index: number) {
  const p = labPlan('hetzner', id)!
  const cents = BigInt(p.monthlyCents)
  // Hetzner quotes 10-decimal strings; hourly is the price book's rate (else monthly / 730 h) kept to 4
  // decimals, gross adds 19 % VAT.
  const hourly4 = p.hourlyMicros === undefined ? (cents * 100n + 365n) / 730n : BigInt(p.hourlyMicros) / 100n
  const hourlyGross4 = (hourly4 * 119n + 50n) / 100n
  const prices = labRegions('hetzner').map((r) => ({
    location: r.code,
    price_hourly: {
      net: scaledToDecimal(hourly4 * 10n ** 6n, 10),
      gross: scaledToDecimal(hourlyGross4 * 10n ** 6n, 10),
    },
    price_monthly: {
      net: scaledToDecimal(cents * 10n ** 8n, 10),
      gross: scaledToDecimal(cents * 119n * 10n ** 6n, 10),
    },
    included_traffic: 21990232555520,
    price_per_tb_traffic: { net: '1.0000000000', gross: '1.1900000000' },
  }))
  return {
    id: 100 + index,
    name: p.id,
    description: p.id.toUpperCase(),
    category: 'cost_optimized',
    cores: p.vcpus,
    memory: p.memoryMb / 1024,
    disk: p.diskGb,
    deprecated: false,
    deprecation: null,
    storage_type: 'local',
    cpu_type: 'shared',
    architecture: 'x86',
    prices,
    locations: labRegions('hetzner').map((r, i) => ({ id: i + 1, name: r.code, deprecation: null })),
  }
}

function renderLocation(r: { code: string; city: string; country: string; zone: string }, i: number) {
  return {
    id: i + 1,
    name: r.code,
    description: `${r.city} DC`,
    country: r.country,
    city: r.city,
    latitude: 0,
    longitude: 0,
    network_zone: r.zone,
  }
}

function renderAction(a: LabAction) {
  return {
    id: Number(a.id),
    command: a.command,
    status: a.status,
    progress: a.progress,
    started: a.startedAt,
    finished: a.finishedAt,
    resources: [{ id: Number(a.serverId), type: 'server' }],
    error: a.error,
  }
}

function renderServer(engine: LabEngine, s: LabServer) {
  const plans = labPlans('hetzner')
  const index = plans.findIndex((p) => p.id === s.plan)
  const regions = labRegions('hetzner')
  const ri = regions.findIndex((r) => r.code === s.region)
  const location = renderLocation(
    regions[ri] ?? { code: s.region, city: s.region, country: '', zone: '' },
    Math.max(0, ri),
  )
  return {
    id: Number(s.id),
    name: s.name,
    status: STATUS[s.power],
    created: s.createdAt,
    public_net: {
      ipv4: {
        id: Number(s.id) + 1,
        ip: s.ipv4,
        blocked: false,
        dns_ptr: `static.${s.ipv4}.clients.your-server.de`,
      },
      ipv6: { id: Number(s.id) + 2, ip: `${s.ipv6.replace(/::1$/, '::')}/64`, blocked: false, dns_ptr: [] },
      floating_ips: [],
      firewalls: [],
    },
    private_net: [],
    server_type: renderType(s.plan, Math.max(0, index)),
    datacenter: hetznerDatacenters().find((d) => d.location.name === s.region) ?? {
      id: 0,
      name: `${s.region}-dc`,
      description: s.region,
      location,
      server_types: { supported: [], available: [], available_for_migration: [] },
    },
    location,
    image: renderImage(HETZNER_IMAGES.find((i) => i.name === s.image) ?? HETZNER_IMAGES[0]!),
    iso: null,
    rescue_enabled: false,
    locked: engine.busy(s),
    backup_window: null,
    outgoing_traffic: 0,
    ingoing_traffic: 0,
    included_traffic: 21990232555520,
    protection: s.protection ?? { delete: false, rebuild: false },
    labels: s.labels,
    volumes: [],
    load_balancers: [],
    primary_disk_size: labPlan('hetzner', s.plan)?.diskGb ?? 0,
    placement_group: null,
  }
}

/** GET /pricing (hcloud-go schema/pricing.go): the project's currency and VAT rate, and every price. */
function renderPricing() {
  const net = (s: string) => ({
    net: s,
    gross: scaledToDecimal((decimalToScaled(s, 10) * 119n + 50n) / 100n, 10),
  })
  return {
    currency: 'EUR',
    vat_rate: '19.00',
    image: { price_per_gb_month: net('0.0119000000') },
    floating_ip: { price_monthly: net('3.0000000000') },
    floating_ips: [],
    primary_ips: [],
    server_backup: { percentage: '20.00' },
    server_types: labPlans('hetzner').map((p, i) => {
      const t = renderType(p.id, i)
      return { id: t.id, name: t.name, prices: t.prices }
    }),
    load_balancer_types: [],
    volume: { price_per_gb_month: net('0.0440000000') },
  }
}
