/**
 * DigitalOcean API v2, Droplets (digitalocean/openapi, godo): string tags only (`clawops:k:v`),
 * page/per_page pagination (max 200) with `links.pages`, create answers 202 plus action links,
 * power and resize are droplet actions (`in-progress` → `completed` | `errored`), resize needs the
 * droplet off and `disk: true` can never be undone, prices are USD numbers on /sizes. Rate limit
 * 5000/h and 250/min per token, announced in `ratelimit-*` headers.
 */
import { z } from 'zod'
import { findRegion } from '../domain/catalog.js'
import { UserError } from '../errors.js'
import { type ActionState, AdapterBase } from './adapter-base.js'
import {
  type AdapterDeps,
  type AdapterTuning,
  DEFAULT_TIMEOUT_MS,
  resolveDeps,
  resolveRetry,
} from './adapter-options.js'
import { money, numberToDecimal } from './decimal.js'
import {
  type FailureInput,
  HttpClient,
  headerNumber,
  type RetryClass,
  retryClassForStatus,
} from './http-client.js'
import { withOpLabel } from './names.js'
import { Secret } from './secret.js'
import { labelsToTags, labelToTag, matchesLabels, tagsToLabels } from './tags.js'
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

export interface DigitalOceanOptions extends AdapterTuning {
  token: string
}

export const DIGITALOCEAN_BASE_URL = 'https://api.digitalocean.com/v2'
const PER_PAGE = 200

const NetworkSchema = z.object({ ip_address: z.string(), type: z.string() })
const DropletSchema = z.object({
  id: z.number(),
  name: z.string(),
  status: z.string(),
  created_at: z.string(),
  size_slug: z.string(),
  region: z.object({ slug: z.string() }),
  networks: z.object({ v4: z.array(NetworkSchema), v6: z.array(NetworkSchema).optional() }),
  tags: z.array(z.string()).nullable().optional(),
})
type Droplet = z.infer<typeof DropletSchema>

const LinksSchema = z
  .object({ pages: z.object({ next: z.string().optional() }).partial().optional() })
  .optional()
const ListSchema = z.object({
  droplets: z.array(DropletSchema),
  links: LinksSchema,
  meta: z.object({ total: z.number() }),
})
const OneSchema = z.object({ droplet: DropletSchema })
const CreateSchema = z.object({
  droplet: DropletSchema,
  links: z.object({ actions: z.array(z.object({ id: z.number(), rel: z.string() })) }).optional(),
})
const ActionSchema = z.object({
  action: z.object({
    id: z.number(),
    status: z.enum(['in-progress', 'completed', 'errored']),
    type: z.string(),
  }),
})
const ActionsSchema = z.object({
  actions: z.array(z.object({ id: z.number(), status: z.string(), type: z.string() })),
  links: LinksSchema,
})
const SnapshotFields = {
  name: z.string(),
  created_at: z.string(),
  size_gigabytes: z.number().nullable().optional(),
}
const DropletSnapshotsSchema = z.object({
  snapshots: z.array(z.object({ id: z.number(), ...SnapshotFields })),
  links: LinksSchema,
})
const SnapshotSchema = z.object({
  snapshot: z.object({ id: z.string(), resource_id: z.string(), ...SnapshotFields }),
})
const SizesSchema = z.object({
  sizes: z.array(
    z.object({
      slug: z.string(),
      memory: z.number(),
      vcpus: z.number(),
      disk: z.number(),
      price_monthly: z.number(),
      price_hourly: z.number(),
      regions: z.array(z.string()),
      available: z.boolean(),
    }),
  ),
  links: LinksSchema,
})
const RegionsSchema = z.object({
  regions: z.array(z.object({ slug: z.string(), name: z.string(), available: z.boolean() })),
  links: LinksSchema,
})

const STATUS: Record<string, ServerStatus> = {
  new: 'creating',
  active: 'running',
  off: 'off',
  archive: 'deleting',
}

export class DigitalOceanAdapter extends AdapterBase {
  readonly provider = 'digitalocean' as const
  readonly capabilities: ProviderCapabilities = {
    resize: 'in-place',
    delete: 'immediate',
    labels: 'tags',
    prices: 'api',
    snapshots: 'account',
    userData: 'cloud-init',
  }
  private readonly defaultImage: string

  constructor(o: DigitalOceanOptions, d?: AdapterDeps) {
    const deps = resolveDeps(d)
    const token = new Secret(o.token)
    const http = new HttpClient({
      provider: 'digitalocean',
      baseUrl: o.baseUrl ?? DIGITALOCEAN_BASE_URL,
      secrets: [token],
      authorize: async () => ({ authorization: `Bearer ${token.reveal()}` }),
      describeFailure,
      requestIdOf: (h) => h['x-request-id'] ?? null,
      readRateLimit: (h) => {
        const remaining = headerNumber(h['ratelimit-remaining'])
        const reset = headerNumber(h['ratelimit-reset'])
        // ratelimit-reset is when the oldest request in the window expires, i.e. the next free slot.
        if (remaining === undefined) return {}
        return remaining <= 0 && reset !== undefined
          ? { remaining, blockedUntil: reset * 1000 }
          : { remaining }
      },
      bucket: { capacity: 250, refillPerSec: 250 / 60, ...o.rateLimit },
      retry: resolveRetry(o.retry),
      timeoutMs: o.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      clock: deps.clock,
      random: deps.random,
      logger: deps.logger,
      dispatcher: deps.dispatcher,
    })
    super(http, deps, {
      pollMs: o.pollMs ?? 2000,
      secrets: [token],
      recoveryDelayMs: o.createRecoveryDelayMs,
    })
    this.defaultImage = o.defaultImage ?? 'ubuntu-24-04-x64'
  }

  async create(input: CreateServerInput, opts: CallOptions = {}): Promise<CreateServerResult> {
    const labels = withOpLabel(input.labels, input.opId)
    return this.createWithRecovery(input, opts, async () => {
      const res = await this.call(
        {
          schema: CreateSchema,
          method: 'POST',
          path: '/droplets',
          json: {
            name: input.name,
            region: input.region,
            size: input.plan,
            image: input.image ?? this.defaultImage,
            tags: labelsToTags(labels),
            ipv6: true,
            ...(input.userData === undefined ? {} : { user_data: input.userData }),
          },
        },
        opts,
      )
      // 202 "does not indicate the success or failure": the create action says how it ends.
      const body = this.parse(CreateSchema, res)
      const actions = (body.links?.actions ?? []).map((a) => String(a.id))
      const id = String(body.droplet.id)
      return {
        server: toServer(body.droplet),
        pending: { provider: 'digitalocean', serverId: id, actions, until: 'running' },
        adopted: false,
      }
    })
  }

  async get(id: string, opts: CallOptions = {}): Promise<ProviderServer | null> {
    const res = await this.call(
      { schema: OneSchema, method: 'GET', path: `/droplets/${encodeURIComponent(id)}`, allow404: true },
      opts,
    )
    if (res.status === 404) return null
    return toServer(this.parse(OneSchema, res).droplet)
  }

  async list(filter: ServerFilter = {}, opts: CallOptions = {}): Promise<ProviderServer[]> {
    // One tag_name per request; further labels are matched here. DO rejects tag_name with name.
    const first = Object.entries(filter.labels ?? {})[0]
    const tag = first ? labelToTag(first[0], first[1]) : undefined
    const out: ProviderServer[] = []
    for (let page: number | null = 1; page !== null; ) {
      const res = await this.call(
        {
          schema: ListSchema,
          method: 'GET',
          path: '/droplets',
          query: {
            page,
            per_page: PER_PAGE,
            tag_name: tag,
            name: tag === undefined ? filter.name : undefined,
          },
        },
        opts,
      )
      const body = this.parse(ListSchema, res)
      for (const d of body.droplets) out.push(toServer(d))
      page = nextPage(body.links?.pages?.next)
    }
    return out.filter(
      (s) =>
        matchesLabels(s.labels, filter.labels) &&
        (filter.name === undefined || s.name === filter.name) &&
        (filter.region === undefined || s.region === filter.region),
    )
  }

  async delete(id: string, opts: CallOptions = {}): Promise<DeleteResult> {
    const res = await this.call(
      { method: 'DELETE', path: `/droplets/${encodeURIComponent(id)}`, allow404: true },
      opts,
    )
    const alreadyGone = res.status === 404
    return {
      mode: 'immediate',
      effectiveAt: null,
      pending: alreadyGone ? null : { provider: 'digitalocean', serverId: id, actions: [], until: 'deleted' },
      alreadyGone,
    }
  }

  reboot(id: string, opts: CallOptions = {}): Promise<Pending> {
    return this.action(id, { type: 'reboot' }, 'running', opts)
  }

  powerOn(id: string, opts: CallOptions = {}): Promise<Pending> {
    return this.action(id, { type: 'power_on' }, 'running', opts)
  }

  powerOff(id: string, opts: PowerOffOptions = {}): Promise<Pending> {
    return this.action(id, { type: opts.graceful === false ? 'power_off' : 'shutdown' }, 'off', opts)
  }

  /** Like doctl: power off first, resize (disk only on request: it is permanent), power on. */
  resize(id: string, plan: string, opts: ResizeOptions = {}): Promise<ProviderServer> {
    return this.resizeWhileOff(id, plan, opts, (sid, size, disk, o) =>
      this.action(sid, { type: 'resize', size, disk }, null, o),
    )
  }

  async prices(opts: CallOptions = {}): Promise<PlanPrice[]> {
    const out: PlanPrice[] = []
    for (let page: number | null = 1; page !== null; ) {
      const res = await this.call(
        { schema: SizesSchema, method: 'GET', path: '/sizes', query: { page, per_page: PER_PAGE } },
        opts,
      )
      const body = this.parse(SizesSchema, res)
      for (const s of body.sizes) {
        if (!s.available) continue
        out.push({
          provider: 'digitalocean',
          plan: s.slug,
          vcpus: s.vcpus,
          memoryMb: s.memory,
          diskGb: s.disk,
          region: null,
          regions: s.regions,
          monthly: money(numberToDecimal(s.price_monthly), 'USD'),
          hourly: money(numberToDecimal(s.price_hourly), 'USD'),
          monthlyGross: null,
          termMonths: 1,
          source: 'api',
          asOf: null,
        })
      }
      page = nextPage(body.links?.pages?.next)
    }
    return out
  }

  async regions(opts: CallOptions = {}): Promise<ProviderRegion[]> {
    const out: ProviderRegion[] = []
    for (let page: number | null = 1; page !== null; ) {
      const res = await this.call(
        { schema: RegionsSchema, method: 'GET', path: '/regions', query: { page, per_page: PER_PAGE } },
        opts,
      )
      const body = this.parse(RegionsSchema, res)
      for (const r of body.regions) {
        out.push({
          provider: 'digitalocean',
          code: r.slug,
          city: r.name,
          country: null,
          available: r.available,
          group: findRegion('digitalocean', r.slug)?.group ?? null,
        })
      }
      page = nextPage(body.links?.pages?.next)
    }
    return out
  }

  /**
   * The droplet's `snapshot` action. A snapshot is listed under its droplet only once taken, so a
   * resumed run first waits for a snapshot action still running on the droplet, then looks by name.
   */
  async snapshot(serverId: string, name: string, opts: SnapshotOptions = {}): Promise<ProviderSnapshot> {
    const running = (await this.dropletActions(serverId, opts)).find(
      (a) => a.type === 'snapshot' && a.status === 'in-progress',
    )
    if (running) {
      await this.waitFor(
        { provider: 'digitalocean', serverId, actions: [String(running.id)], until: null },
        opts,
      )
    }
    const taken = await this.dropletSnapshot(serverId, name, opts)
    if (taken) return taken
    const pending = await this.action(serverId, { type: 'snapshot', name }, null, opts)
    await this.waitFor(pending, opts)
    const now = await this.dropletSnapshot(serverId, name, opts)
    if (!now) {
      throw new UserError(
        'PROVIDER_ERROR',
        `digitalocean: the snapshot ${name} of droplet ${serverId} is not listed after its action completed`,
        {
          details: {
            provider: 'digitalocean',
            status: null,
            providerCode: 'snapshot_missing',
            requestId: null,
          },
        },
      )
    }
    return now
  }

  async getSnapshot(ref: SnapshotRef, opts: CallOptions = {}): Promise<ProviderSnapshot | null> {
    const res = await this.call(
      { method: 'GET', path: `/snapshots/${encodeURIComponent(ref.id)}`, allow404: true },
      opts,
    )
    if (res.status === 404) return null
    const x = this.parse(SnapshotSchema, res).snapshot
    return toSnapshot(x, x.resource_id)
  }

  async deleteSnapshot(ref: SnapshotRef, opts: CallOptions = {}): Promise<{ alreadyGone: boolean }> {
    const res = await this.call(
      { method: 'DELETE', path: `/snapshots/${encodeURIComponent(ref.id)}`, allow404: true },
      opts,
    )
    return { alreadyGone: res.status === 404 }
  }

  private async dropletSnapshot(
    serverId: string,
    name: string,
    opts: CallOptions,
  ): Promise<ProviderSnapshot | null> {
    for (let page: number | null = 1; page !== null; ) {
      const res = await this.call(
        {
          method: 'GET',
          path: `/droplets/${encodeURIComponent(serverId)}/snapshots`,
          query: { page, per_page: PER_PAGE },
        },
        opts,
      )
      const body = this.parse(DropletSnapshotsSchema, res)
      const found = body.snapshots.find((x) => x.name === name)
      if (found) return toSnapshot({ ...found, id: String(found.id) }, serverId)
      page = nextPage(body.links?.pages?.next)
    }
    return null
  }

  private async dropletActions(serverId: string, opts: CallOptions) {
    const out: { id: number; status: string; type: string }[] = []
    for (let page: number | null = 1; page !== null; ) {
      const res = await this.call(
        {
          method: 'GET',
          path: `/droplets/${encodeURIComponent(serverId)}/actions`,
          query: { page, per_page: PER_PAGE },
        },
        opts,
      )
      const body = this.parse(ActionsSchema, res)
      out.push(...body.actions)
      page = nextPage(body.links?.pages?.next)
    }
    return out
  }

  protected async actionState(_serverId: string, actionId: string, opts: CallOptions): Promise<ActionState> {
    const res = await this.call(
      { schema: ActionSchema, method: 'GET', path: `/actions/${encodeURIComponent(actionId)}` },
      opts,
    )
    const { action } = this.parse(ActionSchema, res)
    if (action.status === 'completed') return { state: 'success' }
    if (action.status === 'errored')
      return { state: 'error', code: 'action_errored', message: `${action.type} errored` }
    return { state: 'running', label: `${action.type} in-progress` }
  }

  private async action(
    id: string,
    body: Record<string, unknown>,
    until: Pending['until'],
    opts: CallOptions,
  ): Promise<Pending> {
    const res = await this.call(
      {
        schema: ActionSchema,
        method: 'POST',
        path: `/droplets/${encodeURIComponent(id)}/actions`,
        json: body,
        idempotent: true,
      },
      opts,
    )
    return {
      provider: 'digitalocean',
      serverId: id,
      actions: [String(this.parse(ActionSchema, res).action.id)],
      until,
    }
  }
}

/**
 * The page number of DigitalOcean's `links.pages.next`. Only the number is taken: following the
 * URL itself would send the token to whatever host a response names.
 */
function nextPage(next: string | undefined): number | null {
  if (!next) return null
  try {
    const page = Number(new URL(next).searchParams.get('page'))
    return Number.isInteger(page) && page > 0 ? page : null
  } catch {
    return null
  }
}

function toServer(d: Droplet): ProviderServer {
  const v4 = d.networks.v4.find((n) => n.type === 'public')?.ip_address ?? null
  const v6 = d.networks.v6?.find((n) => n.type === 'public')?.ip_address ?? null
  return {
    provider: 'digitalocean',
    id: String(d.id),
    name: d.name,
    status: STATUS[d.status] ?? 'unknown',
    providerStatus: d.status,
    region: d.region.slug,
    plan: d.size_slug,
    ipv4: v4,
    ipv6: v6,
    labels: tagsToLabels(d.tags ?? []),
    createdAt: d.created_at,
    endsAt: null,
  }
}

function toSnapshot(
  x: { id: string; name: string; created_at: string; size_gigabytes?: number | null },
  serverId: string,
): ProviderSnapshot {
  return {
    provider: 'digitalocean',
    id: x.id,
    serverId,
    name: x.name,
    // Listed only once taken.
    status: 'available',
    sizeGb: x.size_gigabytes ?? null,
    createdAt: x.created_at,
    expiresAt: null,
  }
}

function describeFailure(f: FailureInput) {
  const parsed = z
    .object({ id: z.string(), message: z.string(), request_id: z.string().optional() })
    .safeParse(f.body)
  const code = parsed.success ? parsed.data.id : `http_${f.status}`
  const message = parsed.success ? parsed.data.message : f.text || `HTTP ${f.status}`
  // "pending event": another action is still running on the droplet; nothing was done, try again.
  const busy = f.status === 422 && /pending event/i.test(message)
  const retry: RetryClass = busy ? 'always' : retryClassForStatus(f.status)
  return {
    code,
    message,
    requestId: (parsed.success ? parsed.data.request_id : undefined) ?? f.headers['x-request-id'] ?? null,
    retry,
  }
}
