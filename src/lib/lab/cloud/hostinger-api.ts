/**
 * Emulated Hostinger API, VPS and billing parts (shapes from hostinger/api-typescript-sdk docs):
 * a VM is purchased from a catalogue price id and set up in the same call (template, data centre,
 * hostname, post-install script), there is no delete (only disabling a subscription's
 * auto-renewal) and no resize, start/stop/restart answer an action that is polled per VM
 * (`created`/`sent` → `success`/`error`), errors `{message, correlation_id}` (422 adds `errors`).
 */
import { randomUUID } from 'node:crypto'
import { HOSTINGER_DATA_CENTERS, HOSTINGER_TEMPLATES, labPlans, labRegions } from './lab-catalog.js'
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
import { intParam, LabHttpError, type LabRequest, Router } from './router.js'

const VPS = '/api/vps/v1'
const BILLING = '/api/billing/v1'
const SCRIPT_MAX = 48 * 1024

const STATE: Record<LabPower, string> = {
  creating: 'creating',
  starting: 'starting',
  running: 'running',
  stopping: 'stopping',
  off: 'stopped',
  resizing: 'stopped',
  deleting: 'destroying',
  error: 'error',
}

interface PriceEntry {
  id: string
  itemId: string
  name: string
  cents: number
  firstCents: number
  period: number
  unit: 'month' | 'year'
  months: number
  planName: string
  vcpus: number
  memoryMb: number
  diskGb: number
}

/** The catalogue: per plan a monthly price and a yearly one at 20 % off. */
function priceList(): PriceEntry[] {
  return labPlans('hostinger').flatMap((p) => {
    const itemId = p.id.replace(/-usd-1m$/, '')
    const planName = `KVM ${/kvm(\d+)/.exec(itemId)?.[1] ?? '?'}`
    const base = { itemId, planName, vcpus: p.vcpus, memoryMb: p.memoryMb, diskGb: p.diskGb }
    return [
      {
        ...base,
        id: p.id,
        name: `${planName} (billed every month)`,
        cents: p.monthlyCents,
        firstCents: p.monthlyCents,
        period: 1,
        unit: 'month' as const,
        months: 1,
      },
      {
        ...base,
        id: `${itemId}-usd-12m`,
        name: `${planName} (billed every year)`,
        cents: Math.round(p.monthlyCents * 12 * 0.8),
        firstCents: Math.round(p.monthlyCents * 12 * 0.6),
        period: 1,
        unit: 'year' as const,
        months: 12,
      },
    ]
  })
}

export function hostingerApi(ctx: ApiContext): ProviderApi {
  const engine = ctx.engine
  const err = (status: number, message: string, errors?: Record<string, string[]>) =>
    new LabHttpError(status, { message, ...(errors ? { errors } : {}), correlation_id: randomUUID() })
  const invalid = (field: string, message: string) => err(422, message, { [field]: [message] })
  const mustFind = (id: string): LabServer => {
    const s = engine.find('hostinger', id)
    if (!s) throw err(404, 'Virtual machine not found')
    return s
  }
  const prices = priceList()
  const script = (id: string) => {
    const found = engine.state.hostingerScripts.find((x) => String(x.id) === id)
    if (!found) throw err(404, 'Post-install script not found')
    return found
  }
  const scriptInput = (body: unknown) => {
    const b = asRecord(body)
    const name = str(b.name)
    const content = str(b.content)
    if (!name) throw invalid('name', 'The name field is required.')
    if (content === undefined) throw invalid('content', 'The content field is required.')
    if (Buffer.byteLength(content) > SCRIPT_MAX)
      throw invalid('content', 'The content may not be greater than 48 kilobytes.')
    return { name, content }
  }
  const subscription = (id: string | null) => engine.state.hostingerSubscriptions.find((x) => x.id === id)
  /** A VM has at most one snapshot. */
  const snapshotOf = (s: LabServer): LabSnapshot | undefined =>
    engine.snapshots('hostinger').find((x) => x.serverId === s.id)
  const unlocked = (s: LabServer) => {
    if (engine.busy(s)) throw err(409, 'Another action is in progress for this virtual machine')
    return s
  }

  const router = new Router()
    .on('GET', `${VPS}/virtual-machines`, () => ({
      status: 200,
      body: engine.servers('hostinger').map((s) => render(s, prices, engine.busy(s))),
    }))
    .on('POST', `${VPS}/virtual-machines`, (req) => {
      const b = asRecord(req.body)
      const price = prices.find((p) => p.id === b.item_id)
      if (!price) throw invalid('item_id', 'The selected item id is invalid.')
      const setup = asRecord(b.setup)
      const template = HOSTINGER_TEMPLATES.find((t) => t.id === setup.template_id)
      if (!template) throw invalid('setup.template_id', 'The selected setup.template id is invalid.')
      const region = Object.entries(HOSTINGER_DATA_CENTERS).find(([, id]) => id === setup.data_center_id)?.[0]
      if (!region) throw invalid('setup.data_center_id', 'The selected setup.data center id is invalid.')
      const hostname = str(setup.hostname) ?? `srv${Date.now() % 1_000_000}.hstgr.cloud`
      if (!isHostname(hostname)) throw invalid('setup.hostname', 'The setup.hostname format is invalid.')
      let userData: string | null = null
      if (setup.post_install_script_id !== undefined) {
        const script = engine.state.hostingerScripts.find((x) => x.id === setup.post_install_script_id)
        if (!script)
          throw invalid(
            'setup.post_install_script_id',
            'The selected setup.post install script id is invalid.',
          )
        userData = script.content
      }
      const subId = `${randomUUID().replace(/-/g, '').slice(0, 16)}`
      const { server } = engine.createServer('hostinger', {
        name: hostname,
        region,
        plan: price.id,
        image: String(template.id),
        userData,
        hang: ctx.hangsBoot('hostinger', region),
        subscriptionId: subId,
        termMonths: price.months,
      })
      const created = new Date(engine.now())
      const expires = new Date(created)
      expires.setUTCMonth(expires.getUTCMonth() + price.months)
      engine.state.hostingerSubscriptions.push({
        id: subId,
        vmId: server.id,
        autoRenew: true,
        createdAt: created.toISOString(),
        expiresAt: expires.toISOString(),
        priceCents: price.firstCents,
        currency: 'USD',
      })
      engine.touch()
      return {
        status: 200,
        body: {
          order: {
            id: engine.nextSeq('hostinger:order', 5_000_000),
            subscription_id: subId,
            status: 'completed',
            currency: 'USD',
            subtotal: price.firstCents,
            total: price.firstCents,
            billing_address: BILLING_ADDRESS,
            created_at: created.toISOString(),
            updated_at: created.toISOString(),
          },
          virtual_machine: render(server, prices, engine.busy(server)),
        },
      }
    })
    .on('GET', `${VPS}/virtual-machines/:id`, (req) => ({
      status: 200,
      body: ((s) => render(s, prices, engine.busy(s)))(mustFind(req.params.id!)),
    }))
    .on('POST', `${VPS}/virtual-machines/:id/start`, (req) => ({
      status: 200,
      body: renderAction(engine.powerOn(mustFind(req.params.id!), 'start')),
    }))
    .on('POST', `${VPS}/virtual-machines/:id/stop`, (req) => ({
      status: 200,
      body: renderAction(engine.powerOff(mustFind(req.params.id!), 'stop')),
    }))
    .on('POST', `${VPS}/virtual-machines/:id/restart`, (req) => ({
      status: 200,
      body: renderAction(engine.reboot(mustFind(req.params.id!), 'restart')),
    }))
    .on('POST', `${VPS}/virtual-machines/:id/snapshot`, (req) => {
      const s = unlocked(mustFind(req.params.id!))
      // "Creating new snapshot will overwrite the existing snapshot."
      const old = snapshotOf(s)
      if (old) engine.removeSnapshot(old)
      const { action } = engine.snapshot(s, 'snapshot_create', {
        name: '',
        boundToServer: true,
        keepDays: 20,
      })
      return { status: 200, body: renderAction(action) }
    })
    .on('GET', `${VPS}/virtual-machines/:id/snapshot`, (req) => {
      const x = snapshotOf(mustFind(req.params.id!))
      if (x?.status !== 'available') throw err(404, 'Snapshot not found')
      return {
        status: 200,
        body: { id: Number(x.id), restore_time: 180, created_at: x.createdAt, expires_at: x.expiresAt },
      }
    })
    .on('DELETE', `${VPS}/virtual-machines/:id/snapshot`, (req) => {
      const s = unlocked(mustFind(req.params.id!))
      const x = snapshotOf(s)
      if (!x) throw err(404, 'Snapshot not found')
      engine.removeSnapshot(x)
      return { status: 200, body: renderAction(engine.instantAction(s, 'snapshot_delete')) }
    })
    .on('POST', `${VPS}/virtual-machines/:id/recreate`, (req) => {
      const s = unlocked(mustFind(req.params.id!))
      const b = asRecord(req.body)
      const template = HOSTINGER_TEMPLATES.find((t) => t.id === b.template_id)
      if (!template) throw invalid('template_id', 'The selected template id is invalid.')
      if (b.password !== undefined && (typeof b.password !== 'string' || !strongPassword(b.password)))
        throw invalid(
          'password',
          'The password must be at least 8 characters and contain upper and lower case letters and a number.',
        )
      let userData: string | null = null
      if (b.post_install_script_id !== undefined) {
        const found = engine.state.hostingerScripts.find((x) => x.id === b.post_install_script_id)
        if (!found) throw invalid('post_install_script_id', 'The selected post install script id is invalid.')
        userData = found.content
      }
      // "Snapshots, if there are any, will be deleted."
      const action = engine.reinstall(s, 'recreate', {
        image: String(template.id),
        userData,
        dropsSnapshots: true,
      })
      return { status: 200, body: renderAction(action) }
    })
    .on('GET', `${VPS}/virtual-machines/:id/actions`, (req) => {
      const s = mustFind(req.params.id!)
      // Newest first, as the API lists them.
      return page(req, [...engine.actionsOf(s)].reverse().map(renderAction))
    })
    .on('GET', `${VPS}/virtual-machines/:id/actions/:actionId`, (req) => {
      const a = engine.action('hostinger', req.params.actionId!)
      if (!a || a.serverId !== req.params.id) throw err(404, 'Action not found')
      return { status: 200, body: renderAction(a) }
    })
    .on('GET', `${VPS}/data-centers`, () => ({
      status: 200,
      body: labRegions('hostinger')
        .filter((r) => HOSTINGER_DATA_CENTERS[r.code] !== undefined)
        .map((r) => ({
          id: HOSTINGER_DATA_CENTERS[r.code],
          name: `${r.code.split('-')[1]}1`,
          location: r.country,
          city: r.city,
          continent: r.zone,
        })),
    }))
    .on('GET', `${VPS}/templates`, () => ({
      status: 200,
      body: HOSTINGER_TEMPLATES.map((t) => ({ ...t, documentation: null })),
    }))
    .on('GET', `${VPS}/templates/:templateId`, (req) => {
      const t = HOSTINGER_TEMPLATES.find((x) => String(x.id) === req.params.templateId)
      if (!t) throw err(404, 'Template not found')
      return { status: 200, body: { ...t, documentation: null } }
    })
    .on('GET', `${VPS}/post-install-scripts`, (req) =>
      page(req, engine.state.hostingerScripts.map(renderScript)),
    )
    .on('GET', `${VPS}/post-install-scripts/:scriptId`, (req) => ({
      status: 200,
      body: renderScript(script(req.params.scriptId!)),
    }))
    .on('PUT', `${VPS}/post-install-scripts/:scriptId`, (req) => {
      const found = script(req.params.scriptId!)
      const { name, content } = scriptInput(req.body)
      found.name = name
      found.content = content
      found.updatedAt = new Date(engine.now()).toISOString()
      engine.touch()
      return { status: 200, body: renderScript(found) }
    })
    .on('POST', `${VPS}/post-install-scripts`, (req) => {
      const { name, content } = scriptInput(req.body)
      const now = new Date(engine.now()).toISOString()
      const created = { id: engine.nextSeq('hostinger:script', 3000), name, content, createdAt: now }
      engine.state.hostingerScripts.push(created)
      engine.touch()
      return { status: 200, body: renderScript(created) }
    })
    .on('DELETE', `${VPS}/post-install-scripts/:scriptId`, (req) => {
      const before = engine.state.hostingerScripts.length
      engine.state.hostingerScripts = engine.state.hostingerScripts.filter(
        (x) => String(x.id) !== req.params.scriptId,
      )
      if (engine.state.hostingerScripts.length === before) throw err(404, 'Post-install script not found')
      engine.touch()
      return { status: 200, body: { message: 'Request accepted' } }
    })
    .on('GET', `${BILLING}/catalog`, (req) => {
      const category = req.query.get('category')
      if (category !== null && category.toUpperCase() !== 'VPS') return { status: 200, body: [] }
      const items = new Map<string, PriceEntry[]>()
      for (const p of prices) items.set(p.itemId, [...(items.get(p.itemId) ?? []), p])
      return {
        status: 200,
        body: [...items.entries()].map(([itemId, ps]) => ({
          id: itemId,
          name: ps[0]!.planName,
          category: 'VPS',
          metadata: {
            cpus: String(ps[0]!.vcpus),
            memory: String(ps[0]!.memoryMb),
            disk_space: String(ps[0]!.diskGb * 1024),
          },
          prices: ps.map((p) => ({
            id: p.id,
            name: p.name,
            currency: 'USD',
            price: p.cents,
            first_period_price: p.firstCents,
            period: p.period,
            period_unit: p.unit,
          })),
        })),
      }
    })
    .on('GET', `${BILLING}/subscriptions`, () => ({
      status: 200,
      body: engine.state.hostingerSubscriptions.map((x) => renderSubscription(x)),
    }))
    .on('DELETE', `${BILLING}/subscriptions/:subscriptionId/auto-renewal/disable`, (req) => {
      const sub = subscription(req.params.subscriptionId!)
      if (!sub) throw err(404, 'Subscription not found')
      sub.autoRenew = false
      engine.touch()
      return { status: 200, body: renderSubscription(sub) }
    })

  return {
    provider: 'hostinger',
    prefix: '/hostinger',
    router,
    error: (status, message) => err(status, message),
    rateHeaders: () => ({}),
    guard: (req) => (checkBearer(req, ctx.credentials.hostinger.token) ? null : err(401, 'Unauthenticated.')),
    regionOf: (req) => {
      if (req.method === 'POST' && req.path === `${VPS}/virtual-machines`) {
        const dc = asRecord(asRecord(req.body).setup).data_center_id
        return Object.entries(HOSTINGER_DATA_CENTERS).find(([, id]) => id === dc)?.[0] ?? null
      }
      return serverRegion(ctx, 'hostinger', req)
    },
  }
}

function strongPassword(p: string): boolean {
  return p.length >= 8 && /[a-z]/.test(p) && /[A-Z]/.test(p) && /\d/.test(p)
}

function renderSubscription(x: {
  id: string
  autoRenew: boolean
  createdAt: string
  expiresAt: string
  priceCents: number
  currency: string
}) {
  return {
    id: x.id,
    name: 'VPS',
    status: 'active',
    billing_period: 1,
    billing_period_unit: 'month',
    currency_code: x.currency,
    total_price: x.priceCents,
    renewal_price: x.priceCents,
    is_auto_renewed: x.autoRenew,
    created_at: x.createdAt,
    expires_at: x.expiresAt,
    next_billing_at: x.autoRenew ? x.expiresAt : null,
  }
}

function renderAction(a: LabAction) {
  const state = a.status === 'running' ? 'sent' : a.status
  return {
    id: Number(a.id),
    name: a.command,
    state,
    created_at: a.startedAt,
    updated_at: a.finishedAt ?? a.startedAt,
  }
}

/** The account's billing address an order carries (the lab has one account). */
const BILLING_ADDRESS = {
  first_name: 'Lab',
  last_name: 'Operator',
  company: null,
  address_1: null,
  address_2: null,
  city: null,
  state: null,
  zip: null,
  country: 'LT',
  phone: null,
  email: 'operator@lab.invalid',
}

/** Hostinger's paginated list: `{data, meta: {current_page, per_page, total}}`, 50 a page. */
function page<T>(req: LabRequest, items: T[]) {
  const perPage = 50
  const current = intParam(req.query, 'page', 1, 1, Number.MAX_SAFE_INTEGER)
  if (Number.isNaN(current))
    throw new LabHttpError(422, {
      message: 'The page must be an integer.',
      errors: { page: ['The page must be an integer.'] },
      correlation_id: randomUUID(),
    })
  return {
    status: 200,
    body: {
      data: items.slice((current - 1) * perPage, current * perPage),
      meta: { current_page: current, per_page: perPage, total: items.length },
    },
  }
}

function renderScript(x: {
  id: number
  name: string
  content: string
  createdAt: string
  updatedAt?: string
}) {
  return {
    id: x.id,
    name: x.name,
    content: x.content,
    created_at: x.createdAt,
    updated_at: x.updatedAt ?? x.createdAt,
  }
}

function render(s: LabServer, prices: PriceEntry[], busy: boolean) {
  const price = prices.find((p) => p.id === s.plan)
  const template = HOSTINGER_TEMPLATES.find((t) => String(t.id) === s.image)
  return {
    id: Number(s.id),
    firewall_group_id: null,
    subscription_id: s.subscriptionId,
    plan: price?.planName ?? s.plan,
    data_center_id: HOSTINGER_DATA_CENTERS[s.region] ?? null,
    hostname: s.name,
    state: STATE[s.power],
    actions_lock: busy ? 'locked' : 'unlocked',
    cpus: price?.vcpus ?? 0,
    memory: price?.memoryMb ?? 0,
    disk: (price?.diskGb ?? 0) * 1024,
    bandwidth: 4096000,
    ns1: '1.1.1.1',
    ns2: '8.8.8.8',
    ipv4: [{ id: Number(s.id) * 2, address: s.ipv4, ptr: null }],
    ipv6: [{ id: Number(s.id) * 2 + 1, address: s.ipv6, ptr: null }],
    template: template ? { ...template, documentation: null } : null,
    created_at: s.createdAt,
  }
}
