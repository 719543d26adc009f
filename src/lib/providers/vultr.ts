/**
 * Vultr API v2 (https://www.vultr.com/api, govultr): string tags only (clawops labels are encoded as
 * `clawops:k:v` tags), cursor pagination, no action objects (poll the instance's status,
 * power_status and server_status), base64 user data, plan changes are upgrade-only (the legal
 * targets come from /instances/{id}/upgrades), prices as `monthly_cost` USD numbers. About 30
 * requests/s per IP before 429; no rate-limit headers.
 */
import { z } from 'zod'
import { findRegion } from '../domain/catalog.js'
import { UserError } from '../errors.js'
import { type ActionState, AdapterBase } from './adapter-base.js'
import {
  type AdapterDeps,
  type AdapterTuning,
  DEFAULT_TIMEOUT_MS,
  DEFAULT_WAIT_TIMEOUT_MS,
  resolveDeps,
  resolveRetry,
} from './adapter-options.js'
import { money, numberToDecimal } from './decimal.js'
import { type FailureInput, HttpClient, retryClassForStatus } from './http-client.js'
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
import { pollUntil } from './wait.js'

export interface VultrOptions extends AdapterTuning {
  apiKey: string
}

export const VULTR_BASE_URL = 'https://api.vultr.com/v2'
/** Vultr's documented maximum page size. */
const PER_PAGE = 500
/** Ubuntu 24.04 LTS x64. */
const DEFAULT_OS_ID = '2284'

const InstanceSchema = z.object({
  id: z.string(),
  label: z.string(),
  tags: z.array(z.string()).nullable().optional(),
  region: z.string(),
  plan: z.string(),
  main_ip: z.string(),
  v6_main_ip: z.string().optional(),
  date_created: z.string(),
  status: z.string(),
  power_status: z.string(),
  server_status: z.string(),
})
type VInstance = z.infer<typeof InstanceSchema>

const MetaSchema = z.object({ total: z.number(), links: z.object({ next: z.string(), prev: z.string() }) })
const ListSchema = z.object({ instances: z.array(InstanceSchema), meta: MetaSchema })
const OneSchema = z.object({ instance: InstanceSchema })
const UpgradesSchema = z.object({ upgrades: z.object({ plans: z.array(z.string()).optional() }) })
const PlansSchema = z.object({
  plans: z.array(
    z.object({
      id: z.string(),
      vcpu_count: z.number(),
      ram: z.number(),
      disk: z.number(),
      monthly_cost: z.number(),
      hourly_cost: z.number().optional(),
      locations: z.array(z.string()),
    }),
  ),
  meta: MetaSchema,
})
const SnapshotBody = z.object({
  id: z.string(),
  date_created: z.string(),
  description: z.string(),
  size: z.number(),
  status: z.string(),
})
const SnapshotSchema = z.object({ snapshot: SnapshotBody })
const SnapshotsSchema = z.object({ snapshots: z.array(SnapshotBody), meta: MetaSchema })
const RegionsSchema = z.object({
  regions: z.array(z.object({ id: z.string(), city: z.string(), country: z.string() })),
  meta: MetaSchema,
})

export class VultrAdapter extends AdapterBase {
  readonly provider = 'vultr' as const
  readonly capabilities: ProviderCapabilities = {
    resize: 'upgrade-only',
    delete: 'immediate',
    labels: 'tags',
    prices: 'api',
    snapshots: 'account',
    userData: 'cloud-init',
  }
  private readonly defaultImage: string

  constructor(o: VultrOptions, d?: AdapterDeps) {
    const deps = resolveDeps(d)
    const key = new Secret(o.apiKey)
    const http = new HttpClient({
      provider: 'vultr',
      baseUrl: o.baseUrl ?? VULTR_BASE_URL,
      secrets: [key],
      authorize: async () => ({ authorization: `Bearer ${key.reveal()}` }),
      describeFailure,
      // Vultr allows ~30 requests/s per IP; stay below it so a busy fleet does not trip 429s.
      bucket: { capacity: 20, refillPerSec: 20, ...o.rateLimit },
      retry: resolveRetry(o.retry),
      timeoutMs: o.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      clock: deps.clock,
      random: deps.random,
      logger: deps.logger,
      dispatcher: deps.dispatcher,
    })
    super(http, deps, { pollMs: o.pollMs ?? 2000, secrets: [key], recoveryDelayMs: o.createRecoveryDelayMs })
    this.defaultImage = o.defaultImage ?? DEFAULT_OS_ID
  }

  async create(input: CreateServerInput, opts: CallOptions = {}): Promise<CreateServerResult> {
    const labels = withOpLabel(input.labels, input.opId)
    const image = input.image ?? this.defaultImage
    return this.createWithRecovery(input, opts, async () => {
      const res = await this.call(
        {
          schema: OneSchema,
          method: 'POST',
          path: '/instances',
          json: {
            region: input.region,
            plan: input.plan,
            // Numeric images are OS ids; anything else is a custom image id.
            ...(/^\d+$/.test(image) ? { os_id: Number(image) } : { image_id: image }),
            label: input.name,
            hostname: input.name,
            tags: labelsToTags(labels),
            enable_ipv6: true,
            backups: 'disabled',
            ...(input.userData === undefined
              ? {}
              : { user_data: Buffer.from(input.userData, 'utf8').toString('base64') }),
          },
        },
        opts,
      )
      const { instance } = this.parse(OneSchema, res)
      return {
        server: toServer(instance),
        pending: { provider: 'vultr', serverId: instance.id, actions: [], until: 'running' },
        adopted: false,
      }
    })
  }

  async get(id: string, opts: CallOptions = {}): Promise<ProviderServer | null> {
    const res = await this.call(
      { schema: OneSchema, method: 'GET', path: `/instances/${encodeURIComponent(id)}`, allow404: true },
      opts,
    )
    if (res.status === 404) return null
    return toServer(this.parse(OneSchema, res).instance)
  }

  async list(filter: ServerFilter = {}, opts: CallOptions = {}): Promise<ProviderServer[]> {
    // The API filters by one tag; further labels are matched here.
    const first = Object.entries(filter.labels ?? {})[0]
    const tag = first ? labelToTag(first[0], first[1]) : undefined
    const out: ProviderServer[] = []
    let cursor: string | undefined
    do {
      const res = await this.call(
        {
          schema: ListSchema,
          method: 'GET',
          path: '/instances',
          query: { per_page: PER_PAGE, cursor, tag, label: filter.name, region: filter.region },
        },
        opts,
      )
      const body = this.parse(ListSchema, res)
      for (const i of body.instances) out.push(toServer(i))
      cursor = body.meta.links.next || undefined
    } while (cursor)
    return out.filter((s) => matchesLabels(s.labels, filter.labels))
  }

  async delete(id: string, opts: CallOptions = {}): Promise<DeleteResult> {
    const res = await this.call(
      { method: 'DELETE', path: `/instances/${encodeURIComponent(id)}`, allow404: true },
      opts,
    )
    const alreadyGone = res.status === 404
    return {
      mode: 'immediate',
      effectiveAt: null,
      pending: alreadyGone ? null : { provider: 'vultr', serverId: id, actions: [], until: 'deleted' },
      alreadyGone,
    }
  }

  reboot(id: string, opts: CallOptions = {}): Promise<Pending> {
    return this.power(id, 'reboot', 'running', opts)
  }

  powerOn(id: string, opts: CallOptions = {}): Promise<Pending> {
    return this.power(id, 'start', 'running', opts)
  }

  /** Vultr's halt is a hard power-off; the API has no graceful variant. */
  powerOff(id: string, opts: PowerOffOptions = {}): Promise<Pending> {
    return this.power(id, 'halt', 'off', opts)
  }

  /**
   * Upgrade-only: the target must be among /upgrades?type=plans, else INVALID_INPUT before anything
   * changes. The instance restarts itself during the change; no power-off needed.
   */
  async resize(id: string, plan: string, opts: ResizeOptions = {}): Promise<ProviderServer> {
    const server = await this.mustGet(id, opts)
    if (server.plan !== plan) {
      const res = await this.call(
        {
          schema: UpgradesSchema,
          method: 'GET',
          path: `/instances/${encodeURIComponent(id)}/upgrades`,
          query: { type: 'plans' },
        },
        opts,
      )
      const allowed = this.parse(UpgradesSchema, res).upgrades.plans ?? []
      if (!allowed.includes(plan)) {
        throw new UserError(
          'INVALID_INPUT',
          `vultr cannot change ${id} from ${server.plan} to ${plan}: Vultr only upgrades`,
          {
            hint: 'A smaller plan on Vultr means a new server: provision, migrate, tear the old one down.',
            details: { provider: 'vultr', from: server.plan, to: plan, allowed },
          },
        )
      }
      await this.call(
        { method: 'PATCH', path: `/instances/${encodeURIComponent(id)}`, json: { plan }, idempotent: true },
        opts,
      )
      // Status alone could still read "running" from before the change; wait for the new plan too.
      return pollUntil(
        `vultr resize of ${id} to ${plan}`,
        async () => {
          const s = await this.mustGet(id, opts)
          return s.plan === plan && s.status === 'running'
            ? { done: true, value: s }
            : { done: false, state: `${s.plan} ${s.providerStatus}` }
        },
        {
          timeoutMs: opts.timeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS,
          pollMs: opts.pollMs ?? this.pollMs,
          clock: this.deps.clock,
          signal: opts.signal,
          details: { provider: 'vultr', serverId: id },
        },
      )
    }
    if ((opts.powerOn ?? true) && server.status !== 'running') {
      return (await this.waitFor(await this.powerOn(id, opts), opts)) as ProviderServer
    }
    return server
  }

  async prices(opts: CallOptions = {}): Promise<PlanPrice[]> {
    const out: PlanPrice[] = []
    let cursor: string | undefined
    do {
      const res = await this.call(
        { schema: PlansSchema, method: 'GET', path: '/plans', query: { per_page: PER_PAGE, cursor } },
        opts,
      )
      const body = this.parse(PlansSchema, res)
      for (const p of body.plans) {
        out.push({
          provider: 'vultr',
          plan: p.id,
          vcpus: p.vcpu_count,
          memoryMb: p.ram,
          diskGb: p.disk,
          region: null,
          regions: p.locations,
          monthly: money(numberToDecimal(p.monthly_cost), 'USD'),
          // hourly_cost is not in every answer; without it the rate follows from the monthly price.
          hourly: p.hourly_cost === undefined ? null : money(numberToDecimal(p.hourly_cost), 'USD'),
          monthlyGross: null,
          termMonths: 1,
          source: 'api',
          asOf: null,
        })
      }
      cursor = body.meta.links.next || undefined
    } while (cursor)
    return out
  }

  async regions(opts: CallOptions = {}): Promise<ProviderRegion[]> {
    const out: ProviderRegion[] = []
    let cursor: string | undefined
    do {
      const res = await this.call(
        { schema: RegionsSchema, method: 'GET', path: '/regions', query: { per_page: PER_PAGE, cursor } },
        opts,
      )
      const body = this.parse(RegionsSchema, res)
      for (const r of body.regions) {
        out.push({
          provider: 'vultr',
          code: r.id,
          city: r.city,
          country: r.country,
          available: true,
          group: findRegion('vultr', r.id)?.group ?? null,
        })
      }
      cursor = body.meta.links.next || undefined
    } while (cursor)
    return out
  }

  /** POST /snapshots with the name as its description (Vultr's only text field), found by it again. */
  async snapshot(serverId: string, name: string, opts: SnapshotOptions = {}): Promise<ProviderSnapshot> {
    let found: z.infer<typeof SnapshotBody> | undefined
    let cursor: string | undefined
    do {
      const res = await this.call(
        { method: 'GET', path: '/snapshots', query: { description: name, per_page: PER_PAGE, cursor } },
        opts,
      )
      const body = this.parse(SnapshotsSchema, res)
      found = body.snapshots.find((x) => x.description === name)
      cursor = body.meta.links.next || undefined
    } while (!found && cursor)
    if (!found) {
      const created = await this.call(
        { method: 'POST', path: '/snapshots', json: { instance_id: serverId, description: name } },
        opts,
      )
      found = this.parse(SnapshotSchema, created).snapshot
    }
    const snap = toSnapshot(found, serverId)
    return snap.status === 'available' ? snap : this.waitForSnapshot({ id: snap.id, serverId }, opts)
  }

  async getSnapshot(ref: SnapshotRef, opts: CallOptions = {}): Promise<ProviderSnapshot | null> {
    const res = await this.call(
      { method: 'GET', path: `/snapshots/${encodeURIComponent(ref.id)}`, allow404: true },
      opts,
    )
    if (res.status === 404) return null
    return toSnapshot(this.parse(SnapshotSchema, res).snapshot, ref.serverId)
  }

  async deleteSnapshot(ref: SnapshotRef, opts: CallOptions = {}): Promise<{ alreadyGone: boolean }> {
    const res = await this.call(
      { method: 'DELETE', path: `/snapshots/${encodeURIComponent(ref.id)}`, allow404: true },
      opts,
    )
    return { alreadyGone: res.status === 404 }
  }

  protected async actionState(): Promise<ActionState> {
    // Vultr has no action objects; its Pendings never carry action ids.
    return { state: 'success' }
  }

  private async power(
    id: string,
    verb: 'start' | 'halt' | 'reboot',
    until: Pending['until'],
    opts: CallOptions,
  ): Promise<Pending> {
    await this.call(
      { method: 'POST', path: `/instances/${encodeURIComponent(id)}/${verb}`, idempotent: true },
      opts,
    )
    return { provider: 'vultr', serverId: id, actions: [], until }
  }
}

function statusOf(i: VInstance): ServerStatus {
  if (i.status === 'pending') return 'creating'
  if (i.status === 'resizing') return 'resizing'
  if (i.status === 'suspended') return 'error'
  if (i.status !== 'active') return 'unknown'
  if (i.power_status === 'stopped') return 'off'
  return i.server_status === 'ok' ? 'running' : 'starting'
}

function toServer(i: VInstance): ProviderServer {
  return {
    provider: 'vultr',
    id: i.id,
    name: i.label,
    status: statusOf(i),
    providerStatus: `${i.status}/${i.power_status}/${i.server_status}`,
    region: i.region,
    plan: i.plan,
    ipv4: i.main_ip && i.main_ip !== '0.0.0.0' ? i.main_ip : null,
    ipv6: i.v6_main_ip ? i.v6_main_ip : null,
    labels: tagsToLabels(i.tags ?? []),
    createdAt: i.date_created,
    endsAt: null,
  }
}

function toSnapshot(x: z.infer<typeof SnapshotBody>, serverId: string): ProviderSnapshot {
  return {
    provider: 'vultr',
    id: x.id,
    serverId,
    name: x.description,
    status: x.status === 'complete' ? 'available' : 'creating',
    sizeGb: x.size > 0 ? Math.round((x.size / 1024 ** 3) * 100) / 100 : null,
    createdAt: x.date_created,
    expiresAt: null,
  }
}

function describeFailure(f: FailureInput) {
  const parsed = z.object({ error: z.string() }).safeParse(f.body)
  const message = parsed.success ? parsed.data.error : f.text || `HTTP ${f.status}`
  return { code: `http_${f.status}`, message, requestId: null, retry: retryClassForStatus(f.status) }
}
