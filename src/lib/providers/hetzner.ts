/**
 * Hetzner Cloud API v1 (https://docs.hetzner.cloud): key/value labels with selectors, page/per_page
 * pagination (max 50), every mutation returns an action to await, change_type needs the server
 * off, prices are per-location net/gross decimal strings in EUR. Rate limit 3600/h refilling 1/s,
 * announced in RateLimit-* headers. Retries key off `error.code` as hcloud-go does.
 */
import { z } from 'zod'
import { findRegion } from '../domain/catalog.js'
import { LABEL_KEY, LABEL_VALUE } from '../domain/labels.js'
import { type ActionState, AdapterBase } from './adapter-base.js'
import {
  type AdapterDeps,
  type AdapterTuning,
  DEFAULT_TIMEOUT_MS,
  resolveDeps,
  resolveRetry,
} from './adapter-options.js'
import { money } from './decimal.js'
import {
  type FailureInput,
  HttpClient,
  headerNumber,
  type RetryClass,
  retryClassForStatus,
} from './http-client.js'
import { SNAPSHOT_LABEL, withOpLabel } from './names.js'
import { providerCodeOf } from './provider-error.js'
import { Secret } from './secret.js'
import { labelSelector, matchesLabels } from './tags.js'
import type {
  CallOptions,
  CreateServerInput,
  CreateServerResult,
  DeleteResult,
  Pending,
  PlanPrice,
  PowerOffOptions,
  ProviderCapabilities,
  ProviderRegion,
  ProviderServer,
  ProviderSnapshot,
  ResizeOptions,
  ServerFilter,
  ServerStatus,
  SnapshotOptions,
  SnapshotRef,
} from './types.js'

export interface HetznerOptions extends AdapterTuning {
  token: string
}

export const HETZNER_BASE_URL = 'https://api.hetzner.cloud/v1'
const PER_PAGE = 50

const ServerSchema = z.object({
  id: z.number(),
  name: z.string(),
  status: z.string(),
  created: z.string(),
  public_net: z.object({
    ipv4: z.object({ ip: z.string() }).nullable().optional(),
    ipv6: z.object({ ip: z.string() }).nullable().optional(),
  }),
  server_type: z.object({ name: z.string() }),
  location: z.object({ name: z.string() }).nullable().optional(),
  datacenter: z
    .object({ location: z.object({ name: z.string() }) })
    .nullable()
    .optional(),
  labels: z.record(z.string(), z.string()),
})
type HServer = z.infer<typeof ServerSchema>

const ActionSchema = z.object({
  id: z.number(),
  command: z.string(),
  status: z.enum(['running', 'success', 'error']),
  progress: z.number(),
  error: z.object({ code: z.string(), message: z.string() }).nullable().optional(),
})

const PaginationSchema = z.object({
  pagination: z.object({ page: z.number(), next_page: z.number().nullable() }),
})

const ListSchema = z.object({ servers: z.array(ServerSchema), meta: PaginationSchema })
const GetSchema = z.object({ server: ServerSchema })
const CreateSchema = z.object({
  server: ServerSchema,
  action: ActionSchema,
  next_actions: z.array(ActionSchema).optional(),
})
const ActionResponseSchema = z.object({ action: ActionSchema })
const ImageSchema = z.object({
  id: z.number(),
  type: z.string(),
  status: z.string(),
  description: z.string(),
  image_size: z.number().nullable().optional(),
  created: z.string(),
  created_from: z.object({ id: z.number(), name: z.string() }).nullable().optional(),
  labels: z.record(z.string(), z.string()),
})
type HImage = z.infer<typeof ImageSchema>
const ImageResponseSchema = z.object({ image: ImageSchema })
const ImagesSchema = z.object({ images: z.array(ImageSchema), meta: PaginationSchema })
const CreateImageSchema = z.object({ image: ImageSchema, action: ActionSchema })
const PriceSchema = z.object({ net: z.string(), gross: z.string() })
const ServerTypesSchema = z.object({
  server_types: z.array(
    z.object({
      name: z.string(),
      cores: z.number(),
      memory: z.number(),
      disk: z.number(),
      deprecation: z.unknown().nullable().optional(),
      prices: z.array(
        z.object({ location: z.string(), price_hourly: PriceSchema, price_monthly: PriceSchema }),
      ),
    }),
  ),
  meta: PaginationSchema.optional(),
})
const PricingSchema = z.object({
  pricing: z.object({
    currency: z.enum(['EUR', 'USD']),
    vat_rate: z.string(),
    server_types: z.array(
      z.object({
        name: z.string(),
        prices: z.array(
          z.object({ location: z.string(), price_hourly: PriceSchema, price_monthly: PriceSchema }),
        ),
      }),
    ),
  }),
})
const LocationsSchema = z.object({
  locations: z.array(z.object({ name: z.string(), city: z.string(), country: z.string() })),
})

const STATUS: Record<string, ServerStatus> = {
  initializing: 'creating',
  starting: 'starting',
  running: 'running',
  stopping: 'stopping',
  off: 'off',
  deleting: 'deleting',
  migrating: 'resizing',
  rebuilding: 'starting',
  unknown: 'unknown',
}

/** hcloud-go retries these codes; `locked` and `conflict` mean "busy, nothing was done". */
const RETRY_CODES: Record<string, RetryClass> = {
  conflict: 'always',
  locked: 'always',
  rate_limit_exceeded: 'always',
  timeout: 'idempotent',
  bad_gateway: 'idempotent',
  server_error: 'idempotent',
  service_error: 'idempotent',
  maintenance: 'idempotent',
  unavailable: 'idempotent',
}

export class HetznerAdapter extends AdapterBase {
  readonly provider = 'hetzner' as const
  readonly capabilities: ProviderCapabilities = {
    resize: 'in-place',
    delete: 'immediate',
    labels: 'kv',
    prices: 'api',
    snapshots: 'account',
    userData: 'cloud-init',
  }
  private readonly defaultImage: string

  constructor(o: HetznerOptions, d?: AdapterDeps) {
    const deps = resolveDeps(d)
    const token = new Secret(o.token)
    const http = new HttpClient({
      provider: 'hetzner',
      baseUrl: o.baseUrl ?? HETZNER_BASE_URL,
      secrets: [token],
      authorize: async () => ({ authorization: `Bearer ${token.reveal()}` }),
      describeFailure,
      requestIdOf: (h) => h['x-correlation-id'] ?? null,
      readRateLimit: (h, now) => {
        const remaining = headerNumber(h['ratelimit-remaining'])
        // Remaining grows by one per second, so an empty quota frees the next slot a second later.
        return remaining === undefined
          ? {}
          : { remaining, ...(remaining <= 0 ? { blockedUntil: now + 1000 } : {}) }
      },
      bucket: { capacity: 3600, refillPerSec: 1, ...o.rateLimit },
      retry: resolveRetry(o.retry),
      timeoutMs: o.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      clock: deps.clock,
      random: deps.random,
      logger: deps.logger,
      dispatcher: deps.dispatcher,
    })
    super(http, deps, {
      pollMs: o.pollMs ?? 1000,
      secrets: [token],
      recoveryDelayMs: o.createRecoveryDelayMs,
    })
    this.defaultImage = o.defaultImage ?? 'ubuntu-24.04'
  }

  async create(input: CreateServerInput, opts: CallOptions = {}): Promise<CreateServerResult> {
    const labels = withOpLabel(input.labels, input.opId)
    return this.createWithRecovery(input, opts, async () => {
      try {
        const res = await this.call(
          {
            schema: CreateSchema,
            method: 'POST',
            path: '/servers',
            json: {
              name: input.name,
              server_type: input.plan,
              image: input.image ?? this.defaultImage,
              location: input.region,
              labels,
              start_after_create: true,
              public_net: { enable_ipv4: true, enable_ipv6: true },
              ...(input.userData === undefined ? {} : { user_data: input.userData }),
            },
          },
          opts,
        )
        const body = this.parse(CreateSchema, res)
        const actions = [body.action, ...(body.next_actions ?? [])].map((a) => String(a.id))
        return {
          server: toServer(body.server),
          pending: { provider: 'hetzner', serverId: String(body.server.id), actions, until: 'running' },
          adopted: false,
        }
      } catch (err) {
        // Names are unique per project: a taken name may be our own server from an interrupted run.
        if (providerCodeOf(err) === 'uniqueness_error') {
          const existing = await this.adoptable(input, opts)
          if (existing) return existing
        }
        throw err
      }
    })
  }

  async get(id: string, opts: CallOptions = {}): Promise<ProviderServer | null> {
    const res = await this.call(
      { schema: GetSchema, method: 'GET', path: `/servers/${enc(id)}`, allow404: true },
      opts,
    )
    if (res.status === 404) return null
    return toServer(this.parse(GetSchema, res).server)
  }

  async list(filter: ServerFilter = {}, opts: CallOptions = {}): Promise<ProviderServer[]> {
    const out: ProviderServer[] = []
    const selector =
      filter.labels && Object.keys(filter.labels).length > 0 ? labelSelector(filter.labels) : undefined
    for (let page: number | null = 1; page !== null; ) {
      const res = await this.call(
        {
          schema: ListSchema,
          method: 'GET',
          path: '/servers',
          query: { page, per_page: PER_PAGE, label_selector: selector, name: filter.name },
        },
        opts,
      )
      const body = this.parse(ListSchema, res)
      for (const s of body.servers) out.push(toServer(s))
      page = body.meta.pagination.next_page
    }
    return out.filter(
      (s) =>
        matchesLabels(s.labels, filter.labels) && (filter.region === undefined || s.region === filter.region),
    )
  }

  async delete(id: string, opts: CallOptions = {}): Promise<DeleteResult> {
    const res = await this.call(
      { schema: ActionResponseSchema, method: 'DELETE', path: `/servers/${enc(id)}`, allow404: true },
      opts,
    )
    if (res.status === 404) return { mode: 'immediate', effectiveAt: null, pending: null, alreadyGone: true }
    const { action } = this.parse(ActionResponseSchema, res)
    return {
      mode: 'immediate',
      effectiveAt: null,
      pending: this.pending(id, action.id, 'deleted'),
      alreadyGone: false,
    }
  }

  reboot(id: string, opts: CallOptions = {}): Promise<Pending> {
    return this.action(id, 'reboot', undefined, 'running', opts)
  }

  powerOn(id: string, opts: CallOptions = {}): Promise<Pending> {
    return this.action(id, 'poweron', undefined, 'running', opts)
  }

  powerOff(id: string, opts: PowerOffOptions = {}): Promise<Pending> {
    return this.action(id, opts.graceful === false ? 'poweroff' : 'shutdown', undefined, 'off', opts)
  }

  /** change_type needs a stopped server (`server_not_stopped` otherwise); the base class stops it first. */
  resize(id: string, plan: string, opts: ResizeOptions = {}): Promise<ProviderServer> {
    return this.resizeWhileOff(id, plan, opts, (sid, type, upgradeDisk, o) =>
      this.action(sid, 'change_type', { server_type: type, upgrade_disk: upgradeDisk }, null, o),
    )
  }

  /**
   * Net prices per server type and location from /pricing (which also names the account's currency),
   * sizes and deprecation from /server_types; deprecated types are left out.
   */
  async prices(opts: CallOptions = {}): Promise<PlanPrice[]> {
    const { pricing } = this.parse(PricingSchema, await this.call({ method: 'GET', path: '/pricing' }, opts))
    const types = new Map<string, z.infer<typeof ServerTypesSchema>['server_types'][number]>()
    for (let page: number | null = 1; page !== null; ) {
      const res = await this.call(
        {
          schema: ServerTypesSchema,
          method: 'GET',
          path: '/server_types',
          query: { page, per_page: PER_PAGE },
        },
        opts,
      )
      const body = this.parse(ServerTypesSchema, res)
      for (const t of body.server_types) types.set(t.name, t)
      page = body.meta?.pagination.next_page ?? null
    }
    const out: PlanPrice[] = []
    for (const priced of pricing.server_types) {
      const t = types.get(priced.name)
      if (!t || t.deprecation) continue
      const regions = priced.prices.map((p) => p.location)
      for (const p of priced.prices) {
        out.push({
          provider: 'hetzner',
          plan: t.name,
          vcpus: t.cores,
          memoryMb: Math.round(t.memory * 1024),
          diskGb: t.disk,
          region: p.location,
          regions,
          monthly: money(p.price_monthly.net, pricing.currency),
          hourly: money(p.price_hourly.net, pricing.currency),
          monthlyGross: money(p.price_monthly.gross, pricing.currency),
          termMonths: 1,
          source: 'api',
          asOf: null,
        })
      }
    }
    return out
  }

  async regions(opts: CallOptions = {}): Promise<ProviderRegion[]> {
    const res = await this.call({ schema: LocationsSchema, method: 'GET', path: '/locations' }, opts)
    return this.parse(LocationsSchema, res).locations.map((l) => ({
      provider: 'hetzner',
      code: l.name,
      city: l.city,
      country: l.country,
      available: true,
      group: findRegion('hetzner', l.name)?.group ?? null,
    }))
  }

  /** `create_image` of type snapshot; the snapshot carries its name as a label, so a resumed run finds it. */
  async snapshot(serverId: string, name: string, opts: SnapshotOptions = {}): Promise<ProviderSnapshot> {
    const wait = (id: number) => this.waitForSnapshot({ id: String(id), serverId }, opts)
    const res = await this.call(
      {
        method: 'GET',
        path: '/images',
        query: { type: 'snapshot', label_selector: labelSelector({ [SNAPSHOT_LABEL]: name }) },
      },
      opts,
    )
    const found = this.parse(ImagesSchema, res).images[0]
    if (found) return found.status === 'available' ? toSnapshot(found, serverId) : wait(found.id)
    const created = await this.call(
      {
        method: 'POST',
        path: `/servers/${enc(serverId)}/actions/create_image`,
        json: { type: 'snapshot', description: name, labels: { [SNAPSHOT_LABEL]: name } },
      },
      opts,
    )
    const { image, action } = this.parse(CreateImageSchema, created)
    await this.waitFor(this.pending(serverId, action.id, null), opts)
    return wait(image.id)
  }

  async getSnapshot(ref: SnapshotRef, opts: CallOptions = {}): Promise<ProviderSnapshot | null> {
    const res = await this.call({ method: 'GET', path: `/images/${enc(ref.id)}`, allow404: true }, opts)
    if (res.status === 404) return null
    return toSnapshot(this.parse(ImageResponseSchema, res).image, ref.serverId)
  }

  async deleteSnapshot(ref: SnapshotRef, opts: CallOptions = {}): Promise<{ alreadyGone: boolean }> {
    const res = await this.call({ method: 'DELETE', path: `/images/${enc(ref.id)}`, allow404: true }, opts)
    return { alreadyGone: res.status === 404 }
  }

  protected async actionState(_serverId: string, actionId: string, opts: CallOptions): Promise<ActionState> {
    const res = await this.call(
      { schema: ActionResponseSchema, method: 'GET', path: `/actions/${enc(actionId)}` },
      opts,
    )
    const { action } = this.parse(ActionResponseSchema, res)
    if (action.status === 'success') return { state: 'success' }
    if (action.status === 'error')
      return {
        state: 'error',
        code: action.error?.code ?? 'action_failed',
        message: action.error?.message ?? 'action failed',
      }
    return { state: 'running', label: `${action.command} ${action.progress}%` }
  }

  private async action(
    id: string,
    name: string,
    body: unknown,
    until: Pending['until'],
    opts: CallOptions,
  ): Promise<Pending> {
    // Power actions are safe to repeat, so they retry like idempotent calls.
    const res = await this.call(
      {
        schema: ActionResponseSchema,
        method: 'POST',
        path: `/servers/${enc(id)}/actions/${name}`,
        json: body ?? {},
        idempotent: true,
      },
      opts,
    )
    return this.pending(id, this.parse(ActionResponseSchema, res).action.id, until)
  }

  private pending(id: string, actionId: number, until: Pending['until']): Pending {
    return { provider: 'hetzner', serverId: id, actions: [String(actionId)], until }
  }
}

function toServer(s: HServer): ProviderServer {
  // Keep every label clawops can represent; one odd label must not hide the others.
  const labels = Object.fromEntries(
    Object.entries(s.labels).filter(([k, v]) => LABEL_KEY.test(k) && LABEL_VALUE.test(v)),
  )
  return {
    provider: 'hetzner',
    id: String(s.id),
    name: s.name,
    status: STATUS[s.status] ?? 'unknown',
    providerStatus: s.status,
    region: s.location?.name ?? s.datacenter?.location.name ?? 'unknown',
    plan: s.server_type.name,
    ipv4: s.public_net.ipv4?.ip ?? null,
    ipv6: s.public_net.ipv6?.ip ?? null,
    labels,
    createdAt: s.created,
    endsAt: null,
  }
}

function toSnapshot(i: HImage, serverId: string): ProviderSnapshot {
  return {
    provider: 'hetzner',
    id: String(i.id),
    serverId: i.created_from ? String(i.created_from.id) : serverId,
    name: i.labels[SNAPSHOT_LABEL] ?? i.description,
    status: i.status === 'available' ? 'available' : 'creating',
    sizeGb: i.image_size ?? null,
    createdAt: i.created,
    expiresAt: null,
  }
}

function describeFailure(f: FailureInput) {
  const parsed = z.object({ error: z.object({ code: z.string(), message: z.string() }) }).safeParse(f.body)
  const code = parsed.success ? parsed.data.error.code : `http_${f.status}`
  const message = parsed.success ? parsed.data.error.message : f.text || `HTTP ${f.status}`
  return {
    code,
    message,
    requestId: f.headers['x-correlation-id'] ?? null,
    retry: RETRY_CODES[code] ?? retryClassForStatus(f.status),
  }
}

function enc(id: string): string {
  return encodeURIComponent(id)
}
