/**
 * Emulated DigitalOcean API v2, Droplets (shapes from digitalocean/openapi and godo): errors
 * `{id, message, request_id}`, page/per_page pagination (max 200) with `links.pages` and
 * `meta.total`, create answers 202 with action links, droplet actions `in-progress` →
 * `completed`/`errored`, one pending event at a time, resize only while off (and never to a smaller
 * disk after `disk: true`), tags matching ^[a-zA-Z0-9_\-:]+$, `ratelimit-*` headers.
 */
import { randomUUID } from 'node:crypto'
import { numberToDecimal } from '../../providers/decimal.js'
import type { LabEngine } from './engine.js'
import { DIGITALOCEAN_IMAGES, labPlan, labPlans, labRegion, labRegions } from './lab-catalog.js'
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
import { intParam, LabHttpError, type LabRequest, type LabResponse, Router } from './router.js'

const IDS: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  422: 'unprocessable_entity',
  429: 'too_many_requests',
  500: 'server_error',
  503: 'service_unavailable',
}

const STATUS: Record<LabPower, string> = {
  creating: 'new',
  starting: 'off',
  running: 'active',
  stopping: 'active',
  off: 'off',
  resizing: 'off',
  deleting: 'archive',
  error: 'off',
}

const TAG = /^[a-zA-Z0-9_\-:]+$/
const USER_DATA_MAX = 64 * 1024
/** DigitalOcean's published hourly prices for the sizes the lab sells. */
const HOURLY: Record<string, number> = {
  's-1vcpu-2gb': 0.01786,
  's-2vcpu-4gb': 0.03571,
  's-4vcpu-8gb': 0.07143,
  's-8vcpu-16gb': 0.14286,
}

export function digitalOceanApi(ctx: ApiContext): ProviderApi {
  const engine = ctx.engine
  const err = (status: number, message: string, id?: string) =>
    new LabHttpError(status, { id: id ?? IDS[status] ?? 'server_error', message, request_id: randomUUID() })
  const unprocessable = (message: string) => err(422, message)
  const mustFind = (id: string): LabServer => {
    const s = engine.find('digitalocean', id)
    if (!s) throw err(404, 'The resource you were accessing could not be found.')
    return s
  }

  // A snapshot is listed once its action has completed.
  const mustFindSnapshot = (id: string): LabSnapshot => {
    const x = engine.findSnapshot('digitalocean', id)
    if (x?.status !== 'available') throw err(404, 'The resource you were accessing could not be found.')
    return x
  }

  const router = new Router()
    .on('GET', '/droplets', (req) => {
      const tag = req.query.get('tag_name')
      const name = req.query.get('name')?.toLowerCase() ?? null
      if (tag !== null && name !== null) throw unprocessable('tag_name and name cannot be combined')
      // `name` matches whole names, case-insensitively (the API's droplet_name parameter).
      const all = engine
        .servers('digitalocean')
        .filter(
          (s) => (tag === null || s.tags.includes(tag)) && (name === null || s.name.toLowerCase() === name),
        )
      return paginate(req, 'droplets', all, (s) => renderDroplet(engine, s))
    })
    .on('POST', '/droplets', (req) => {
      const b = asRecord(req.body)
      const name = str(b.name)
      if (!name || !isHostname(name))
        throw unprocessable('Name is invalid: only a-z, 0-9, . and - are allowed')
      const size = str(b.size)
      if (!size || !labPlan('digitalocean', size))
        throw unprocessable(`Size ${String(b.size)} is not available`)
      const region = str(b.region)
      if (!region || !labRegion('digitalocean', region))
        throw unprocessable(`Region ${String(b.region)} is not available`)
      const image = imageOf(b.image)
      if (!image) throw unprocessable('You specified an invalid image for Droplet creation.')
      if (b.tags !== undefined && b.tags !== null && !Array.isArray(b.tags))
        throw unprocessable('tags must be an array of strings')
      const tags = Array.isArray(b.tags) ? b.tags : []
      for (const t of tags) {
        if (typeof t !== 'string' || !TAG.test(t) || t.length > 255)
          throw unprocessable(`tag ${JSON.stringify(t)} is invalid`)
      }
      const userData = b.user_data === undefined || b.user_data === null ? null : str(b.user_data)
      if (userData === undefined) throw unprocessable('user_data must be a string')
      if (userData !== null && Buffer.byteLength(userData) > USER_DATA_MAX)
        throw unprocessable('user_data is limited to 64 KiB')
      const { server, action } = engine.createServer(
        'digitalocean',
        {
          name,
          region,
          plan: size,
          image: image.slug,
          tags: tags as string[],
          userData,
          hang: ctx.hangsBoot('digitalocean', region),
        },
        'create',
      )
      return {
        status: 202,
        body: {
          droplet: renderDroplet(engine, server),
          links: {
            actions: [{ id: Number(action.id), rel: 'create', href: `${req.base}/actions/${action.id}` }],
          },
        },
      }
    })
    .on('GET', '/droplets/:id', (req) => ({
      status: 200,
      body: { droplet: renderDroplet(engine, mustFind(req.params.id!)) },
    }))
    .on('DELETE', '/droplets/:id', (req) => {
      const s = mustFind(req.params.id!)
      if (s.power !== 'deleting') engine.remove(s, 'destroy')
      return { status: 204 }
    })
    .on('GET', '/droplets/:id/snapshots', (req) => {
      const s = mustFind(req.params.id!)
      const mine = engine
        .snapshots('digitalocean')
        .filter((x) => x.serverId === s.id && x.status === 'available')
      return paginate(req, 'snapshots', mine, renderDropletSnapshot)
    })
    .on('GET', '/snapshots', (req) => {
      const type = req.query.get('resource_type')
      // Volume snapshots: the lab has no volumes.
      const all =
        type === 'volume' ? [] : engine.snapshots('digitalocean').filter((x) => x.status === 'available')
      return paginate(req, 'snapshots', all, renderSnapshot)
    })
    .on('GET', '/snapshots/:snapshotId', (req) => ({
      status: 200,
      body: { snapshot: renderSnapshot(mustFindSnapshot(req.params.snapshotId!)) },
    }))
    .on('DELETE', '/snapshots/:snapshotId', (req) => {
      engine.removeSnapshot(mustFindSnapshot(req.params.snapshotId!))
      return { status: 204 }
    })
    .on('GET', '/droplets/:id/actions', (req) =>
      paginate(req, 'actions', engine.actionsOf(mustFind(req.params.id!)), (a) => renderAction(engine, a)),
    )
    .on('GET', '/droplets/:id/actions/:actionId', (req) => {
      const s = mustFind(req.params.id!)
      const a = engine.action('digitalocean', req.params.actionId!)
      if (!a || a.serverId !== s.id) throw err(404, 'The resource you were accessing could not be found.')
      return { status: 200, body: { action: renderAction(engine, a) } }
    })
    .on('POST', '/droplets/:id/actions', (req) => {
      const s = mustFind(req.params.id!)
      const b = asRecord(req.body)
      const type = str(b.type)
      if (engine.busy(s)) throw unprocessable('Droplet already has a pending event.')
      let action: LabAction
      switch (type) {
        case 'power_on':
          action = engine.powerOn(s, 'power_on')
          break
        case 'shutdown':
        case 'power_off':
          action = engine.powerOff(s, type)
          break
        case 'reboot':
        case 'power_cycle':
          action = engine.reboot(s, type)
          break
        case 'snapshot': {
          if (b.name !== undefined && typeof b.name !== 'string') throw unprocessable('name must be a string')
          // Without a name the API names it after the droplet and the time.
          const name = typeof b.name === 'string' && b.name ? b.name : `${s.name}-${engine.now()}`
          action = engine.snapshot(s, 'snapshot', { name, boundToServer: false, keepDays: null }).action
          break
        }
        case 'resize': {
          const size = str(b.size)
          const target = size ? labPlan('digitalocean', size) : undefined
          if (!size || !target) throw unprocessable(`Size ${String(b.size)} is not available`)
          if (s.power !== 'off')
            throw unprocessable('Droplet is currently on. Please power it off to run this event.')
          const current = labPlan('digitalocean', s.plan)
          if (s.diskGrown && current && target.diskGb < current.diskGb) {
            throw unprocessable('This size is not available because it has a smaller disk.')
          }
          action = engine.changePlan(s, 'resize', size, {
            growDisk: b.disk === true,
            restart: false,
            during: 'off',
          })
          break
        }
        default:
          throw unprocessable(`action type ${JSON.stringify(type)} is not supported`)
      }
      return { status: 201, body: { action: renderAction(engine, action) } }
    })
    .on('GET', '/actions', (req) =>
      paginate(
        req,
        'actions',
        engine.state.actions.filter((a) => a.provider === 'digitalocean'),
        (a) => renderAction(engine, a),
      ),
    )
    .on('GET', '/images', (req) => {
      const type = req.query.get('type')
      const priv = req.query.get('private')
      // The lab has only public distribution images.
      const all = type === 'application' || priv === 'true' ? [] : DIGITALOCEAN_IMAGES
      return paginate(req, 'images', all, renderImage)
    })
    .on('GET', '/images/:id', (req) => {
      const image = imageOf(req.params.id)
      if (!image) throw err(404, 'The resource you were accessing could not be found.')
      return { status: 200, body: { image: renderImage(image) } }
    })
    .on('GET', '/actions/:id', (req) => {
      const a = engine.action('digitalocean', req.params.id!)
      if (!a) throw err(404, 'The resource you were accessing could not be found.')
      return { status: 200, body: { action: renderAction(engine, a) } }
    })
    .on('GET', '/sizes', (req) => paginate(req, 'sizes', labPlans('digitalocean').map(renderSize)))
    .on('GET', '/regions', (req) => paginate(req, 'regions', labRegions('digitalocean').map(renderRegion)))

  return {
    provider: 'digitalocean',
    prefix: '/digitalocean/v2',
    router,
    error: (status, message, code) => err(status, message, code),
    rateHeaders: (v) => ({
      'ratelimit-limit': String(v.limit),
      'ratelimit-remaining': String(v.remaining),
      'ratelimit-reset': String(v.resetAt),
    }),
    // The body a real account answers a wrong token with.
    guard: (req) =>
      checkBearer(req, ctx.credentials.digitalocean.token)
        ? null
        : err(401, 'Unable to authenticate you', 'Unauthorized'),
    regionOf: (req) => {
      if (req.method === 'POST' && req.path === '/droplets') return str(asRecord(req.body).region) ?? null
      return serverRegion(ctx, 'digitalocean', req)
    },
  }
}

/** Renders only the requested page: a list of thousands must not render every server per call. */
function paginate<T>(
  req: LabRequest,
  key: string,
  items: T[],
  render: (item: T) => unknown = (x) => x,
): LabResponse {
  const perPage = intParam(req.query, 'per_page', 20, 1, 200)
  const page = intParam(req.query, 'page', 1, 1, Number.MAX_SAFE_INTEGER)
  if (Number.isNaN(perPage) || Number.isNaN(page)) {
    throw new LabHttpError(400, {
      id: 'bad_request',
      message: 'page and per_page must be integers',
      request_id: randomUUID(),
    })
  }
  const last = Math.max(1, Math.ceil(items.length / perPage))
  const url = (p: number) => {
    const q = new URLSearchParams(req.query)
    q.set('page', String(p))
    q.set('per_page', String(perPage))
    return `${req.base}${req.path}?${q.toString()}`
  }
  const pages: Record<string, string> = {}
  if (page > 1) {
    pages.first = url(1)
    pages.prev = url(page - 1)
  }
  if (page < last) {
    pages.next = url(page + 1)
    pages.last = url(last)
  }
  return {
    status: 200,
    body: {
      [key]: items.slice((page - 1) * perPage, page * perPage).map(render),
      links: { pages },
      meta: { total: items.length },
    },
  }
}

function renderSize(p: {
  id: string
  vcpus: number
  memoryMb: number
  diskGb: number
  monthlyCents: number
}) {
  return {
    slug: p.id,
    memory: p.memoryMb,
    vcpus: p.vcpus,
    disk: p.diskGb,
    transfer: p.vcpus,
    price_monthly: Number(numberToDecimal(p.monthlyCents / 100)),
    price_hourly: HOURLY[p.id] ?? Math.round((p.monthlyCents / 100 / 672) * 100000) / 100000,
    regions: labRegions('digitalocean').map((r) => r.code),
    available: true,
    description: 'Basic',
  }
}

function renderAction(engine: LabEngine, a: LabAction) {
  const s = engine.find('digitalocean', a.serverId)
  const region = s ? labRegion('digitalocean', s.region) : undefined
  const status = a.status === 'running' ? 'in-progress' : a.status === 'success' ? 'completed' : 'errored'
  return {
    id: Number(a.id),
    status,
    type: a.command,
    started_at: a.startedAt,
    completed_at: a.finishedAt,
    resource_id: Number(a.serverId),
    resource_type: 'droplet',
    region: region ? renderRegion(region) : null,
    region_slug: s?.region ?? null,
  }
}

function renderRegion(r: { code: string; city: string }) {
  return {
    slug: r.code,
    name: `${r.city} ${r.code.replace(/\D/g, '')}`,
    available: true,
    features: ['backups', 'ipv6', 'metadata', 'install_agent'],
    sizes: labPlans('digitalocean').map((p) => p.id),
  }
}

/** An image by numeric id or slug (the API accepts either wherever it names an image). */
function imageOf(v: unknown): (typeof DIGITALOCEAN_IMAGES)[number] | undefined {
  if (typeof v === 'number') return DIGITALOCEAN_IMAGES.find((i) => i.id === v)
  if (typeof v !== 'string' || v === '') return undefined
  if (/^\d+$/.test(v)) return DIGITALOCEAN_IMAGES.find((i) => i.id === Number(v))
  return DIGITALOCEAN_IMAGES.find((i) => i.slug === v)
}

function renderImage(i: (typeof DIGITALOCEAN_IMAGES)[number]) {
  return {
    id: i.id,
    name: i.name,
    distribution: i.distribution,
    slug: i.slug,
    public: true,
    regions: labRegions('digitalocean').map((r) => r.code),
    created_at: '2024-04-25T12:00:00Z',
    type: 'base',
    min_disk_size: 10,
    size_gigabytes: 2.36,
    description: `${i.distribution} ${i.name}`,
    tags: [],
    status: 'available',
    error_message: '',
  }
}

/** The fields every snapshot has (snapshot_base.yml). */
function snapshotBase(x: LabSnapshot) {
  return {
    name: x.name,
    created_at: x.createdAt,
    regions: [x.region],
    min_disk_size: labPlan('digitalocean', x.plan)?.diskGb ?? 25,
    size_gigabytes: x.sizeGb,
  }
}

/** GET /v2/snapshots/{id} and /v2/snapshots: snapshot.yml (id a string, the resource it came from). */
function renderSnapshot(x: LabSnapshot) {
  return {
    id: x.id,
    ...snapshotBase(x),
    resource_id: x.serverId,
    resource_type: 'droplet',
    tags: [],
  }
}

/** GET /v2/droplets/{id}/snapshots: droplet_snapshot.yml (id a number, and the kind of image). */
function renderDropletSnapshot(x: LabSnapshot) {
  return { id: Number(x.id), ...snapshotBase(x), type: 'snapshot' }
}

function renderDroplet(engine: LabEngine, s: LabServer) {
  const plan = labPlan('digitalocean', s.plan)
  const region = labRegion('digitalocean', s.region)
  return {
    id: Number(s.id),
    name: s.name,
    memory: plan?.memoryMb ?? 0,
    vcpus: plan?.vcpus ?? 0,
    disk: plan?.diskGb ?? 0,
    locked: engine.busy(s),
    status: STATUS[s.power],
    kernel: null,
    created_at: s.createdAt,
    features: ['ipv6'],
    backup_ids: [],
    next_backup_window: null,
    snapshot_ids: engine
      .snapshots('digitalocean')
      .filter((x) => x.serverId === s.id && x.status === 'available')
      .map((x) => Number(x.id)),
    image: renderImage(imageOf(s.image) ?? DIGITALOCEAN_IMAGES[0]!),
    volume_ids: [],
    size: plan ? renderSize(plan) : null,
    size_slug: s.plan,
    networks: {
      v4: [
        {
          ip_address: s.ipv4,
          netmask: '255.255.240.0',
          gateway: s.ipv4.replace(/\.\d+$/, '.1'),
          type: 'public',
        },
      ],
      v6: [{ ip_address: s.ipv6, netmask: 64, gateway: s.ipv6.replace(/::1$/, '::'), type: 'public' }],
    },
    region: renderRegion(region ?? { code: s.region, city: s.region }),
    tags: s.tags,
    vpc_uuid: defaultVpc(s.region),
  }
}

/** The account's default VPC in a region (a stable UUID per region). */
function defaultVpc(region: string): string {
  const hex = Buffer.from(region.padEnd(6, '0')).toString('hex').slice(0, 12).padEnd(12, '0')
  return `760e09ef-dc84-11e8-981e-${hex}`
}
