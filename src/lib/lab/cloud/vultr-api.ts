/**
 * Emulated Vultr API v2 (shapes from govultr and the Vultr OpenAPI models): errors
 * `{"error": "...", "status": n}`, cursor pagination (`per_page` ≤ 500, `meta.links.next` cursor),
 * instances polled through `status` / `power_status` / `server_status`, base64 user data, string
 * tags, plan changes that only go up (`/upgrades` lists the legal ones; a downgrade is refused),
 * 204 for power actions and delete. No rate-limit headers; 429 past about 30 requests/s.
 */
import { randomBytes, randomUUID } from 'node:crypto'
import { labPlan, labPlans, labRegion, labRegions, VULTR_OS } from './lab-catalog.js'
import type { LabPower, LabServer, LabSnapshot } from './model.js'
import {
  type ApiContext,
  asRecord,
  checkBearer,
  type ProviderApi,
  serverRegion,
  str,
} from './provider-api.js'
import { intParam, LabHttpError, type LabRequest, type LabResponse, Router } from './router.js'

const STATUS: Record<LabPower, [string, string, string]> = {
  creating: ['pending', 'running', 'none'],
  starting: ['active', 'running', 'installingbooting'],
  running: ['active', 'running', 'ok'],
  stopping: ['active', 'running', 'ok'],
  off: ['active', 'stopped', 'none'],
  resizing: ['resizing', 'running', 'locked'],
  deleting: ['active', 'stopped', 'locked'],
  error: ['suspended', 'stopped', 'none'],
}

export function vultrApi(ctx: ApiContext): ProviderApi {
  const engine = ctx.engine
  const err = (status: number, message: string) => new LabHttpError(status, { error: message, status })
  const mustFind = (id: string): LabServer => {
    const s = engine.find('vultr', id)
    if (!s || s.power === 'deleting') throw err(404, 'Invalid instance-id.')
    return s
  }

  const mustFindSnapshot = (id: string): LabSnapshot => {
    const x = engine.findSnapshot('vultr', id)
    if (!x) throw err(404, 'Invalid snapshot ID.')
    return x
  }

  const router = new Router()
    .on('GET', '/instances', (req) => {
      const tag = req.query.get('tag')
      const label = req.query.get('label')
      const region = req.query.get('region')
      const mainIp = req.query.get('main_ip')
      const all = engine
        .servers('vultr')
        .filter(
          (s) =>
            s.power !== 'deleting' &&
            (tag === null || s.tags.includes(tag)) &&
            (label === null || s.name === label) &&
            (region === null || s.region === region) &&
            (mainIp === null || s.ipv4 === mainIp),
        )
      return cursorPage(req, 'instances', all, renderInstance)
    })
    .on('POST', '/instances', (req) => {
      const b = asRecord(req.body)
      const region = str(b.region)
      if (!region || !labRegion('vultr', region)) throw err(400, 'Invalid region.')
      const plan = str(b.plan)
      if (!plan || !labPlan('vultr', plan)) throw err(400, 'Invalid plan.')
      // The API takes os_id as a number or a numeric string (@vultr/vultr-node sends a string).
      const osId =
        typeof b.os_id === 'number' || (typeof b.os_id === 'string' && /^\d+$/.test(b.os_id))
          ? Number(b.os_id)
          : undefined
      if (b.os_id !== undefined && osId === undefined) throw err(400, 'Invalid os_id.')
      const imageId = str(b.image_id)
      if (osId === undefined && !imageId)
        throw err(400, 'An os_id, iso_id, snapshot_id, app_id or image_id is required.')
      if (osId !== undefined && !VULTR_OS[osId]) throw err(400, 'Invalid os_id.')
      const tags = Array.isArray(b.tags) ? b.tags.filter((t): t is string => typeof t === 'string') : []
      let userData: string | null = null
      if (b.user_data !== undefined) {
        const raw = str(b.user_data)
        if (raw === undefined || !/^[A-Za-z0-9+/]*={0,2}$/.test(raw))
          throw err(400, 'user_data must be base64 encoded.')
        userData = Buffer.from(raw, 'base64').toString('utf8')
      }
      const { server } = engine.createServer('vultr', {
        name: str(b.label) ?? '',
        region,
        plan,
        image: osId !== undefined ? String(osId) : imageId!,
        tags,
        userData,
        hang: ctx.hangsBoot('vultr', region),
        defaultPassword: randomBytes(12).toString('base64url'),
      })
      return {
        status: 202,
        body: { instance: { ...renderInstance(server), default_password: server.defaultPassword } },
      }
    })
    .on('GET', '/instances/:id', (req) => ({
      status: 200,
      body: { instance: renderInstance(mustFind(req.params.id!)) },
    }))
    .on('PATCH', '/instances/:id', (req) => {
      const s = mustFind(req.params.id!)
      const b = asRecord(req.body)
      if (b.label !== undefined) s.name = String(b.label)
      if (Array.isArray(b.tags)) s.tags = b.tags.filter((t): t is string => typeof t === 'string')
      if (b.plan !== undefined && b.plan !== s.plan) {
        const plan = str(b.plan)
        const target = plan ? labPlan('vultr', plan) : undefined
        if (!plan || !target) throw err(400, 'Invalid plan.')
        if (!upgrades(s).includes(plan))
          throw err(400, 'Unable to change plan: Downgrades are not supported.')
        if (engine.busy(s)) throw err(400, 'Server is currently locked.')
        engine.changePlan(s, 'resize', plan, {
          growDisk: false,
          restart: s.power !== 'off',
          during: 'resizing',
        })
      }
      engine.touch()
      return { status: 202, body: { instance: renderInstance(s) } }
    })
    .on('DELETE', '/instances/:id', (req) => {
      engine.remove(mustFind(req.params.id!), 'destroy')
      return { status: 204 }
    })
    .on('POST', '/instances/:id/start', (req) => {
      engine.powerOn(mustFind(req.params.id!), 'start')
      return { status: 204 }
    })
    .on('POST', '/instances/:id/halt', (req) => {
      engine.powerOff(mustFind(req.params.id!), 'halt')
      return { status: 204 }
    })
    .on('POST', '/instances/:id/reboot', (req) => {
      engine.reboot(mustFind(req.params.id!), 'reboot')
      return { status: 204 }
    })
    .on('POST', '/snapshots', (req) => {
      const b = asRecord(req.body)
      const instanceId = str(b.instance_id)
      if (!instanceId) throw err(400, 'Invalid instance_id.')
      const s = engine.find('vultr', instanceId)
      if (!s || s.power === 'deleting') throw err(400, 'Invalid instance_id.')
      if (b.description !== undefined && typeof b.description !== 'string')
        throw err(400, 'Invalid description.')
      const description = typeof b.description === 'string' ? b.description : ''
      const { snapshot } = engine.snapshot(s, 'snapshot', {
        id: randomUUID(),
        name: description,
        description,
        boundToServer: false,
        keepDays: null,
      })
      return { status: 201, body: { snapshot: renderSnapshot(snapshot) } }
    })
    .on('GET', '/snapshots', (req) => {
      const description = req.query.get('description')
      const all = engine
        .snapshots('vultr')
        .filter((x) => description === null || x.description === description)
      return cursorPage(req, 'snapshots', all, renderSnapshot)
    })
    .on('GET', '/snapshots/:snapshotId', (req) => ({
      status: 200,
      body: { snapshot: renderSnapshot(mustFindSnapshot(req.params.snapshotId!)) },
    }))
    .on('PUT', '/snapshots/:snapshotId', (req) => {
      const x = mustFindSnapshot(req.params.snapshotId!)
      const description = str(asRecord(req.body).description)
      if (description === undefined) throw err(400, 'Invalid description.')
      x.description = description
      engine.touch()
      return { status: 204 }
    })
    .on('DELETE', '/snapshots/:snapshotId', (req) => {
      engine.removeSnapshot(mustFindSnapshot(req.params.snapshotId!))
      return { status: 204 }
    })
    .on('GET', '/instances/:id/upgrades', (req) => {
      const s = mustFind(req.params.id!)
      const type = req.query.get('type') ?? 'all'
      const plans = upgrades(s)
      return {
        status: 200,
        body: {
          upgrades: {
            ...(type === 'all' || type === 'plans' ? { plans } : {}),
            ...(type === 'all' || type === 'os' ? { os: [] } : {}),
            ...(type === 'all' || type === 'applications' ? { applications: [] } : {}),
          },
        },
      }
    })
    .on('GET', '/plans', (req) =>
      cursorPage(
        req,
        'plans',
        // Every plan the lab sells is a regular cloud compute (vc2) plan.
        (['all', 'vc2', null].includes(req.query.get('type')) ? labPlans('vultr') : []).map((p) => ({
          id: p.id,
          vcpu_count: p.vcpus,
          ram: p.memoryMb,
          disk: p.diskGb,
          disk_count: 1,
          bandwidth: 2048,
          monthly_cost: p.monthlyCents / 100,
          type: 'vc2',
          locations: labRegions('vultr').map((r) => r.code),
        })),
      ),
    )
    .on('GET', '/os', (req) =>
      cursorPage(
        req,
        'os',
        Object.entries(VULTR_OS).map(([id, name]) => ({
          id: Number(id),
          name,
          arch: 'x64',
          family: name.split(' ')[0]!.toLowerCase(),
        })),
      ),
    )
    .on('GET', '/regions/:id/availability', (req) => {
      if (!labRegion('vultr', req.params.id!)) throw err(404, 'Invalid region.')
      return { status: 200, body: { available_plans: labPlans('vultr').map((p) => p.id) } }
    })
    .on('GET', '/regions', (req) =>
      cursorPage(
        req,
        'regions',
        labRegions('vultr').map((r) => ({
          id: r.code,
          city: r.city,
          country: r.country,
          continent: r.zone,
          options: ['ddos_protection'],
        })),
      ),
    )

  return {
    provider: 'vultr',
    prefix: '/vultr/v2',
    router,
    error: (status, message) => err(status, message),
    // Vultr sends no rate-limit headers.
    rateHeaders: () => ({}),
    guard: (req) => (checkBearer(req, ctx.credentials.vultr.apiKey) ? null : err(401, 'Invalid API token.')),
    regionOf: (req) => {
      if (req.method === 'POST' && req.path === '/instances') return str(asRecord(req.body).region) ?? null
      return serverRegion(ctx, 'vultr', req)
    },
  }
}

/** Plans at least as large in every dimension, excluding the current one (Vultr cannot shrink disks). */
function upgrades(s: LabServer): string[] {
  const current = labPlan('vultr', s.plan)
  if (!current) return []
  return labPlans('vultr')
    .filter(
      (p) =>
        p.id !== current.id &&
        p.memoryMb >= current.memoryMb &&
        p.diskGb >= current.diskGb &&
        p.vcpus >= current.vcpus,
    )
    .map((p) => p.id)
}

/** Vultr cursors are opaque base64 strings; the lab's encode an offset. */
/** Renders only the requested page: a list of thousands must not render every server per call. */
function cursorPage<T>(
  req: LabRequest,
  key: string,
  items: T[],
  render: (item: T) => unknown = (x) => x,
): LabResponse {
  const perPage = intParam(req.query, 'per_page', 100, 1, 500)
  if (Number.isNaN(perPage))
    throw new LabHttpError(400, { error: 'per_page must be an integer', status: 400 })
  const cursor = req.query.get('cursor')
  let offset = 0
  if (cursor) {
    const decoded = /^next__(\d+)$/.exec(Buffer.from(cursor, 'base64').toString('utf8'))
    if (!decoded) throw new LabHttpError(400, { error: 'Invalid cursor.', status: 400 })
    offset = Number(decoded[1])
  }
  const page = items.slice(offset, offset + perPage).map(render)
  const nextOffset = offset + perPage
  const prevOffset = offset - perPage
  return {
    status: 200,
    body: {
      [key]: page,
      meta: {
        total: items.length,
        links: {
          next: nextOffset < items.length ? Buffer.from(`next__${nextOffset}`).toString('base64') : '',
          prev: offset > 0 ? Buffer.from(`next__${Math.max(0, prevOffset)}`).toString('base64') : '',
        },
      },
    },
  }
}

/** govultr's Snapshot: `pending` while it is taken, `complete` after; sizes in bytes. */
function renderSnapshot(x: LabSnapshot) {
  const osId = Number(x.image)
  return {
    id: x.id,
    date_created: x.createdAt,
    description: x.description,
    size: x.status === 'available' ? x.sizeGb * 1024 ** 3 : 0,
    compressed_size: x.status === 'available' ? Math.round(x.sizeGb * 0.4 * 1024 ** 3) : 0,
    status: x.status === 'available' ? 'complete' : 'pending',
    os_id: Number.isFinite(osId) ? osId : 0,
    app_id: 0,
  }
}

function renderInstance(s: LabServer) {
  const plan = labPlan('vultr', s.plan)
  const [status, power, serverStatus] = STATUS[s.power]
  const osId = Number(s.image)
  return {
    id: s.id,
    os: VULTR_OS[osId] ?? 'Custom',
    ram: plan?.memoryMb ?? 0,
    disk: plan?.diskGb ?? 0,
    main_ip: s.power === 'creating' ? '0.0.0.0' : s.ipv4,
    vcpu_count: plan?.vcpus ?? 0,
    region: s.region,
    plan: s.plan,
    date_created: s.createdAt,
    status,
    allowed_bandwidth: 2048,
    netmask_v4: '255.255.254.0',
    gateway_v4: s.ipv4.replace(/\.\d+$/, '.1'),
    power_status: power,
    server_status: serverStatus,
    v6_network: s.ipv6.replace(/::1$/, '::'),
    v6_main_ip: s.ipv6,
    v6_network_size: 64,
    label: s.name,
    internal_ip: '',
    kvm: '',
    hostname: s.name,
    tag: s.tags[0] ?? '',
    tags: s.tags,
    os_id: Number.isFinite(osId) ? osId : 0,
    app_id: 0,
    image_id: Number.isFinite(osId) ? '' : s.image,
    firewall_group_id: '',
    features: ['ipv6'],
    user_scheme: 'root',
  }
}
