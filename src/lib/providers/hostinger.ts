/**
 * Hostinger VPS API (hostinger/api-typescript-sdk): a server is *purchased* from the billing
 * catalogue (`item_id` = a catalogue price id) and set up in one call; user data is a post-install
 * script created first, which Hostinger saves as /post_install and executes once the VM is installed
 * (a shell script with a shebang, not cloud-init). There is no delete (teardown = disable the subscription's
 * auto-renewal; the VM runs to the end of the paid term), no resize, no labels (the op id travels
 * in the hostname, see names.ts), no pagination on the VM list, and the VM resource does not say
 * which data centre it is in (region reads "unknown"). Actions are polled per VM.
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
import { centsPerMonth, money } from './decimal.js'
import { type FailureInput, HttpClient, retryClassForStatus } from './http-client.js'
import { assertNameCarriesOp, refuseLabelFilter } from './names.js'
import { Secret } from './secret.js'
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
  ServerFilter,
  ServerStatus,
  SnapshotOptions,
  SnapshotRef,
} from './types.js'

export interface HostingerOptions extends AdapterTuning {
  token: string
  /** Payment method for purchases; Hostinger charges the account's default method when omitted. */
  paymentMethodId?: number
}

export const HOSTINGER_BASE_URL = 'https://developers.hostinger.com'
const VPS = '/api/vps/v1'

const VmSchema = z.object({
  id: z.number(),
  subscription_id: z.string().nullable().optional(),
  plan: z.string().nullable().optional(),
  hostname: z.string(),
  state: z.string(),
  ipv4: z
    .array(z.object({ address: z.string() }))
    .nullable()
    .optional(),
  ipv6: z
    .array(z.object({ address: z.string() }))
    .nullable()
    .optional(),
  created_at: z.string().nullable().optional(),
})
const VmListSchema = z.array(VmSchema)
type Vm = z.infer<typeof VmSchema>

const ActionSchema = z.object({
  id: z.number(),
  name: z.string(),
  state: z.enum(['created', 'sent', 'delayed', 'success', 'error']),
})
const ActionsPageSchema = z.object({ data: z.array(ActionSchema) })
const SnapshotSchema = z.object({
  id: z.number(),
  created_at: z.string(),
  expires_at: z.string().nullable().optional(),
})
const DataCentersSchema = z.array(
  z.object({
    id: z.number(),
    name: z.string().nullable().optional(),
    location: z.string(),
    city: z.string(),
  }),
)
const TemplatesSchema = z.array(z.object({ id: z.number(), name: z.string() }))
const ScriptSchema = z.object({ id: z.number() })
const PurchaseSchema = z.object({ virtual_machine: VmSchema })
const SubscriptionSchema = z.object({ id: z.string(), expires_at: z.string().nullable().optional() })
const CatalogSchema = z.array(
  z.object({
    id: z.string(),
    name: z.string(),
    category: z.string(),
    prices: z.array(
      z.object({
        id: z.string(),
        currency: z.string(),
        price: z.number().int(),
        period: z.number().int(),
        period_unit: z.enum(['day', 'week', 'month', 'year', 'none']),
      }),
    ),
  }),
)

const STATUS: Record<string, ServerStatus> = {
  initial: 'creating',
  creating: 'creating',
  recreating: 'creating',
  restoring: 'creating',
  starting: 'starting',
  running: 'running',
  stopping: 'stopping',
  stopped: 'off',
  error: 'error',
  suspending: 'error',
  suspended: 'error',
  unsuspending: 'error',
  destroying: 'deleting',
  destroyed: 'deleting',
}

export class HostingerAdapter extends AdapterBase {
  readonly provider = 'hostinger' as const
  readonly capabilities: ProviderCapabilities = {
    resize: 'replace',
    delete: 'end-of-term',
    labels: 'none',
    prices: 'api',
    snapshots: 'server',
    userData: 'shell-script',
  }
  private readonly defaultImage: string | undefined
  private readonly paymentMethodId: number | undefined
  private dataCenters: Promise<Map<string, number>> | null = null

  constructor(o: HostingerOptions, d?: AdapterDeps) {
    const deps = resolveDeps(d)
    const token = new Secret(o.token)
    const http = new HttpClient({
      provider: 'hostinger',
      baseUrl: o.baseUrl ?? HOSTINGER_BASE_URL,
      secrets: [token],
      authorize: async () => ({ authorization: `Bearer ${token.reveal()}` }),
      describeFailure,
      // Hostinger publishes no rate limit; a conservative 5/s (burst 10).
      bucket: { capacity: 10, refillPerSec: 5, ...o.rateLimit },
      retry: resolveRetry(o.retry),
      timeoutMs: o.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      clock: deps.clock,
      random: deps.random,
      logger: deps.logger,
      dispatcher: deps.dispatcher,
    })
    super(http, deps, {
      pollMs: o.pollMs ?? 5000,
      secrets: [token],
      recoveryDelayMs: o.createRecoveryDelayMs,
    })
    this.defaultImage = o.defaultImage
    this.paymentMethodId = o.paymentMethodId
  }

  /** Purchases a VM (this charges the account) and sets it up with the user data as post-install script. */
  async create(input: CreateServerInput, opts: CallOptions = {}): Promise<CreateServerResult> {
    assertNameCarriesOp('hostinger', input.name, input.opId)
    if (input.userData !== undefined && !input.userData.startsWith('#!')) {
      throw new UserError('INVALID_INPUT', 'hostinger runs user data as an executable post-install script', {
        hint: 'Give a shell script starting with #! (cloud-config text would never run on the VM).',
      })
    }
    const dataCenterId = await this.dataCenterId(input.region, opts)
    const templateId = await this.templateId(input.image, opts)
    return this.createWithRecovery(input, opts, async () => {
      let scriptId: number | undefined
      if (input.userData !== undefined) {
        const res = await this.call(
          {
            schema: ScriptSchema,
            method: 'POST',
            path: `${VPS}/post-install-scripts`,
            json: { name: `clawops ${input.name}`, content: input.userData },
          },
          opts,
        )
        scriptId = this.parse(ScriptSchema, res).id
      }
      const res = await this.call(
        {
          schema: PurchaseSchema,
          method: 'POST',
          path: `${VPS}/virtual-machines`,
          json: {
            item_id: input.plan,
            ...(this.paymentMethodId === undefined ? {} : { payment_method_id: this.paymentMethodId }),
            setup: {
              template_id: templateId,
              data_center_id: dataCenterId,
              hostname: input.name,
              enable_backups: false,
              ...(scriptId === undefined ? {} : { post_install_script_id: scriptId }),
            },
          },
        },
        opts,
      )
      const vm = this.parse(PurchaseSchema, res).virtual_machine
      return {
        server: toServer(vm),
        pending: { provider: 'hostinger', serverId: String(vm.id), actions: [], until: 'running' },
        adopted: false,
      }
    })
  }

  async get(id: string, opts: CallOptions = {}): Promise<ProviderServer | null> {
    const res = await this.call(
      {
        schema: VmSchema,
        method: 'GET',
        path: `${VPS}/virtual-machines/${encodeURIComponent(id)}`,
        allow404: true,
      },
      opts,
    )
    if (res.status === 404) return null
    return toServer(this.parse(VmSchema, res))
  }

  async list(filter: ServerFilter = {}, opts: CallOptions = {}): Promise<ProviderServer[]> {
    refuseLabelFilter('hostinger', filter)
    if (filter.region !== undefined) {
      throw new UserError(
        'INVALID_INPUT',
        'hostinger VMs do not report their data centre, so they cannot be listed by region',
      )
    }
    const res = await this.call(
      { schema: VmListSchema, method: 'GET', path: `${VPS}/virtual-machines` },
      opts,
    )
    const vms = this.parse(VmListSchema, res)
    return vms.map(toServer).filter((s) => filter.name === undefined || s.name === filter.name)
  }

  /** Turns auto-renewal off: the VM runs until the paid term ends (`effectiveAt`). */
  async delete(id: string, opts: CallOptions = {}): Promise<DeleteResult> {
    const vmRes = await this.call(
      {
        schema: VmSchema,
        method: 'GET',
        path: `${VPS}/virtual-machines/${encodeURIComponent(id)}`,
        allow404: true,
      },
      opts,
    )
    if (vmRes.status === 404)
      return { mode: 'end-of-term', effectiveAt: null, pending: null, alreadyGone: true }
    const vm = this.parse(VmSchema, vmRes)
    if (!vm.subscription_id) {
      throw new UserError('PROVIDER_ERROR', `hostinger: VM ${id} has no subscription to stop renewing`, {
        details: { provider: 'hostinger', status: 200, providerCode: 'no_subscription', requestId: null },
      })
    }
    const res = await this.call(
      {
        schema: SubscriptionSchema,
        method: 'DELETE',
        path: `/api/billing/v1/subscriptions/${encodeURIComponent(vm.subscription_id)}/auto-renewal/disable`,
      },
      opts,
    )
    const sub = this.parse(SubscriptionSchema, res)
    return { mode: 'end-of-term', effectiveAt: sub.expires_at ?? null, pending: null, alreadyGone: false }
  }

  reboot(id: string, opts: CallOptions = {}): Promise<Pending> {
    return this.action(id, 'restart', 'running', opts)
  }

  powerOn(id: string, opts: CallOptions = {}): Promise<Pending> {
    return this.action(id, 'start', 'running', opts)
  }

  /** Hostinger's stop is the only power-off the API offers. */
  powerOff(id: string, opts: PowerOffOptions = {}): Promise<Pending> {
    return this.action(id, 'stop', 'off', opts)
  }

  async resize(id: string, plan: string): Promise<ProviderServer> {
    return this.refuseResize(id, plan)
  }

  /** VPS catalogue prices (integer cents per period); the plan id is the price id purchases use. */
  async prices(opts: CallOptions = {}): Promise<PlanPrice[]> {
    const res = await this.call(
      { schema: CatalogSchema, method: 'GET', path: '/api/billing/v1/catalog', query: { category: 'VPS' } },
      opts,
    )
    const out: PlanPrice[] = []
    for (const item of this.parse(CatalogSchema, res)) {
      for (const p of item.prices) {
        const months = p.period_unit === 'month' ? p.period : p.period_unit === 'year' ? p.period * 12 : null
        if (months === null || months <= 0 || (p.currency !== 'USD' && p.currency !== 'EUR')) continue
        out.push({
          provider: 'hostinger',
          plan: p.id,
          vcpus: null,
          memoryMb: null,
          diskGb: null,
          region: null,
          regions: null,
          monthly: money(centsPerMonth(p.price, months), p.currency),
          hourly: null,
          monthlyGross: null,
          termMonths: months,
          source: 'api',
          asOf: null,
        })
      }
    }
    return out
  }

  async regions(opts: CallOptions = {}): Promise<ProviderRegion[]> {
    const res = await this.call(
      { schema: DataCentersSchema, method: 'GET', path: `${VPS}/data-centers` },
      opts,
    )
    return this.parse(DataCentersSchema, res).map((dc) => {
      const code = regionCode(dc.location, dc.city)
      return {
        provider: 'hostinger',
        code,
        city: dc.city,
        country: dc.location.toUpperCase(),
        available: true,
        group: findRegion('hostinger', code)?.group ?? null,
      }
    })
  }

  /**
   * The VM's one snapshot (a new one replaces it; a recreate deletes it). It has no name: a snapshot
   * taken since `askedAt`, or one still being taken, is this one.
   */
  async snapshot(serverId: string, name: string, opts: SnapshotOptions = {}): Promise<ProviderSnapshot> {
    const vm = encodeURIComponent(serverId)
    const actions = this.parse(
      ActionsPageSchema,
      await this.call(
        { method: 'GET', path: `${VPS}/virtual-machines/${vm}/actions`, query: { page: 1 } },
        opts,
      ),
    ).data
    const inFlight = actions.find(
      (a) => a.name === 'snapshot_create' && a.state !== 'success' && a.state !== 'error',
    )
    if (inFlight) {
      await this.waitFor(
        { provider: 'hostinger', serverId, actions: [String(inFlight.id)], until: null },
        opts,
      )
    } else {
      const have = await this.getSnapshot({ id: '', serverId }, opts)
      if (!have || !opts.askedAt || (have.createdAt ?? '') < opts.askedAt) {
        const res = await this.call({ method: 'POST', path: `${VPS}/virtual-machines/${vm}/snapshot` }, opts)
        const action = this.parse(ActionSchema, res)
        await this.waitFor(
          { provider: 'hostinger', serverId, actions: [String(action.id)], until: null },
          opts,
        )
      }
    }
    const snap = await this.getSnapshot({ id: '', serverId }, opts)
    if (!snap) {
      throw new UserError('PROVIDER_ERROR', `hostinger: VM ${serverId} has no snapshot after taking one`, {
        details: { provider: 'hostinger', status: 404, providerCode: 'snapshot_missing', requestId: null },
      })
    }
    return { ...snap, name }
  }

  /** The VM's snapshot (`ref.id` is not needed: a VM has at most one). */
  async getSnapshot(ref: SnapshotRef, opts: CallOptions = {}): Promise<ProviderSnapshot | null> {
    const res = await this.call(
      {
        method: 'GET',
        path: `${VPS}/virtual-machines/${encodeURIComponent(ref.serverId)}/snapshot`,
        allow404: true,
      },
      opts,
    )
    if (res.status === 404) return null
    const x = this.parse(SnapshotSchema, res)
    if (ref.id && String(x.id) !== ref.id) return null
    return {
      provider: 'hostinger',
      id: String(x.id),
      serverId: ref.serverId,
      name: '',
      status: 'available',
      sizeGb: null,
      createdAt: x.created_at,
      expiresAt: x.expires_at ?? null,
    }
  }

  async deleteSnapshot(ref: SnapshotRef, opts: CallOptions = {}): Promise<{ alreadyGone: boolean }> {
    if (!(await this.getSnapshot(ref, opts))) return { alreadyGone: true }
    const res = await this.call(
      {
        method: 'DELETE',
        path: `${VPS}/virtual-machines/${encodeURIComponent(ref.serverId)}/snapshot`,
        allow404: true,
      },
      opts,
    )
    if (res.status === 404) return { alreadyGone: true }
    const action = this.parse(ActionSchema, res)
    await this.waitFor(
      { provider: 'hostinger', serverId: ref.serverId, actions: [String(action.id)], until: null },
      opts,
    )
    return { alreadyGone: false }
  }

  /** POST …/recreate with the default template and no script: the OS afresh, the disk (and snapshot) gone. */
  async reinstall(serverId: string, opts: CallOptions = {}): Promise<Pending> {
    const templateId = await this.templateId(undefined, opts)
    const res = await this.call(
      {
        method: 'POST',
        path: `${VPS}/virtual-machines/${encodeURIComponent(serverId)}/recreate`,
        json: { template_id: templateId },
      },
      opts,
    )
    return {
      provider: 'hostinger',
      serverId,
      actions: [String(this.parse(ActionSchema, res).id)],
      until: 'running',
    }
  }

  protected async actionState(serverId: string, actionId: string, opts: CallOptions): Promise<ActionState> {
    const res = await this.call(
      {
        schema: ActionSchema,
        method: 'GET',
        path: `${VPS}/virtual-machines/${encodeURIComponent(serverId)}/actions/${encodeURIComponent(actionId)}`,
      },
      opts,
    )
    const a = this.parse(ActionSchema, res)
    if (a.state === 'success') return { state: 'success' }
    if (a.state === 'error') return { state: 'error', code: 'action_error', message: `${a.name} failed` }
    return { state: 'running', label: `${a.name} ${a.state}` }
  }

  private async action(
    id: string,
    verb: 'start' | 'stop' | 'restart',
    until: Pending['until'],
    opts: CallOptions,
  ): Promise<Pending> {
    const res = await this.call(
      {
        schema: ActionSchema,
        method: 'POST',
        path: `${VPS}/virtual-machines/${encodeURIComponent(id)}/${verb}`,
        idempotent: true,
      },
      opts,
    )
    return { provider: 'hostinger', serverId: id, actions: [String(this.parse(ActionSchema, res).id)], until }
  }

  private async dataCenterId(region: string, opts: CallOptions): Promise<number> {
    this.dataCenters ??= this.call(
      { schema: DataCentersSchema, method: 'GET', path: `${VPS}/data-centers` },
      opts,
    ).then(
      (res) =>
        new Map(this.parse(DataCentersSchema, res).map((dc) => [regionCode(dc.location, dc.city), dc.id])),
    )
    let map: Map<string, number>
    try {
      map = await this.dataCenters
    } catch (err) {
      this.dataCenters = null
      throw err
    }
    const id = map.get(region)
    if (id === undefined) {
      throw new UserError('INVALID_INPUT', `hostinger has no data centre "${region}"`, {
        details: { provider: 'hostinger', known: [...map.keys()] },
      })
    }
    return id
  }

  /** A numeric image is a template id; otherwise the newest Ubuntu LTS template the account offers. */
  private async templateId(image: string | undefined, opts: CallOptions): Promise<number> {
    const wanted = image ?? this.defaultImage
    if (wanted !== undefined && /^\d+$/.test(wanted)) return Number(wanted)
    const res = await this.call({ schema: TemplatesSchema, method: 'GET', path: `${VPS}/templates` }, opts)
    const templates = this.parse(TemplatesSchema, res)
    const pattern = wanted === undefined ? /^ubuntu 24\.04/i : new RegExp(`^${escapeRegExp(wanted)}`, 'i')
    const found = templates.find((t) => pattern.test(t.name))
    if (!found) {
      throw new UserError(
        'INVALID_INPUT',
        `hostinger has no OS template matching "${wanted ?? 'Ubuntu 24.04'}"`,
        {
          details: { provider: 'hostinger', templates: templates.map((t) => t.name) },
        },
      )
    }
    return found.id
  }
}

/** clawops' code for a Hostinger data centre: `<country>-<first three letters of the city>`, e.g. nl-ams. */
export function regionCode(location: string, city: string): string {
  return `${location.toLowerCase()}-${city
    .toLowerCase()
    .replace(/[^a-z]/g, '')
    .slice(0, 3)}`
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

function toServer(vm: Vm): ProviderServer {
  return {
    provider: 'hostinger',
    id: String(vm.id),
    name: vm.hostname,
    status: STATUS[vm.state] ?? 'unknown',
    providerStatus: vm.state,
    region: 'unknown',
    plan: vm.plan ?? 'unknown',
    ipv4: vm.ipv4?.[0]?.address ?? null,
    ipv6: vm.ipv6?.[0]?.address ?? null,
    labels: {},
    createdAt: vm.created_at ?? null,
    endsAt: null,
  }
}

function describeFailure(f: FailureInput) {
  const parsed = z
    .object({
      message: z.string(),
      correlation_id: z.string().optional(),
      errors: z.record(z.string(), z.array(z.string())).optional(),
    })
    .safeParse(f.body)
  if (!parsed.success)
    return {
      code: `http_${f.status}`,
      message: f.text || `HTTP ${f.status}`,
      requestId: null,
      retry: retryClassForStatus(f.status),
    }
  const fields = parsed.data.errors
    ? ` (${Object.entries(parsed.data.errors)
        .map(([k, v]) => `${k}: ${v.join(', ')}`)
        .join('; ')})`
    : ''
  return {
    code: f.status === 422 ? 'validation_error' : `http_${f.status}`,
    message: parsed.data.message + fields,
    requestId: parsed.data.correlation_id ?? null,
    retry: retryClassForStatus(f.status),
  }
}
