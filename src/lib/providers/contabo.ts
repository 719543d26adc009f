/**
 * Contabo API v1 (contabo/cntb openapi/api/openapi.yaml): OAuth2 password grant (contabo-auth.ts),
 * a mandatory UUID4 `x-request-id` on every call and an optional `x-trace-id` (clawops sends its
 * op id), `{data: [...], _pagination}` envelopes, status polling (no action objects), teardown by
 * `cancel` (the contract runs to its end date), no resize API (`/upgrade` only adds add-ons), no
 * price API (prices come from the dated table in the domain catalogue), tags only through a
 * separate API (clawops uses none: the op id travels in the display name, see names.ts).
 */
import { z } from 'zod'
import { findRegion, OFFERS } from '../domain/catalog.js'
import { CONTABO_PRICE_TABLE, datedListAt } from '../domain/price-book.js'
import { type ActionState, AdapterBase } from './adapter-base.js'
import {
  type AdapterDeps,
  type AdapterTuning,
  DEFAULT_TIMEOUT_MS,
  resolveDeps,
  resolveRetry,
} from './adapter-options.js'
import { CONTABO_AUTH_URL, type ContaboCredentials, ContaboTokens } from './contabo-auth.js'
import { money, scaledToDecimal } from './decimal.js'
import { type FailureInput, HttpClient, newRequestId, retryClassForStatus } from './http-client.js'
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

export interface ContaboOptions extends AdapterTuning {
  clientId: string
  clientSecret: string
  username: string
  password: string
  /** The Keycloak token endpoint. */
  authUrl?: string
  /** Contract length in months for new instances (1, 3, 6 or 12). Default 1. */
  periodMonths?: 1 | 3 | 6 | 12
}

export const CONTABO_BASE_URL = 'https://api.contabo.com/v1'
const PAGE_SIZE = 100
/** Contabo's documented default image id (Ubuntu 22.04 in cntb and the Terraform provider). */
const DEFAULT_IMAGE = 'afecbb85-e2fc-46f0-9684-b46b1faf00bb'

/** The region enum of the create request, with the data centre cities Contabo names for them. */
const CONTABO_REGIONS: ReadonlyArray<{ code: string; city: string; country: string }> = [
  { code: 'EU', city: 'Nuremberg', country: 'DE' },
  { code: 'US-central', city: 'St. Louis', country: 'US' },
  { code: 'US-east', city: 'New York', country: 'US' },
  { code: 'US-west', city: 'Seattle', country: 'US' },
  { code: 'SIN', city: 'Singapore', country: 'SG' },
  { code: 'UK', city: 'London', country: 'GB' },
  { code: 'AUS', city: 'Sydney', country: 'AU' },
  { code: 'JPN', city: 'Tokyo', country: 'JP' },
  { code: 'IND', city: 'Mumbai', country: 'IN' },
]

const InstanceSchema = z.object({
  instanceId: z.number(),
  name: z.string(),
  displayName: z.string(),
  region: z.string(),
  productId: z.string(),
  status: z.string(),
  createdDate: z.string(),
  cancelDate: z.string().nullable().optional(),
  ipConfig: z
    .object({
      v4: z.object({ ip: z.string() }).optional(),
      v6: z.object({ ip: z.string() }).optional(),
    })
    .nullable()
    .optional(),
})
type CInstance = z.infer<typeof InstanceSchema>

const ListSchema = z.object({
  data: z.array(InstanceSchema),
  _pagination: z.object({
    page: z.number(),
    size: z.number(),
    totalPages: z.number(),
    totalElements: z.number(),
  }),
})
const OneSchema = z.object({ data: z.array(InstanceSchema).min(1) })
const CreatedSchema = z.object({ data: z.array(z.object({ instanceId: z.number() })).min(1) })
const SnapshotBody = z.object({
  snapshotId: z.string(),
  name: z.string(),
  instanceId: z.number(),
  createdDate: z.string(),
  autoDeleteDate: z.string().nullable().optional(),
})
const SnapshotsSchema = z.object({
  data: z.array(SnapshotBody),
  _pagination: z.object({ totalPages: z.number() }),
})
const SnapshotSchema = z.object({ data: z.array(SnapshotBody).min(1) })
const ReinstallSchema = z.object({ data: z.array(z.object({ instanceId: z.number() })).min(1) })
const CancelSchema = z.object({
  data: z.array(z.object({ instanceId: z.number(), cancelDate: z.string() })).min(1),
})

const STATUS: Record<string, ServerStatus> = {
  provisioning: 'creating',
  installing: 'creating',
  manual_provisioning: 'creating',
  pending_payment: 'creating',
  verification_required: 'creating',
  running: 'running',
  stopped: 'off',
  error: 'error',
  product_not_available: 'error',
}

export class ContaboAdapter extends AdapterBase {
  readonly provider = 'contabo' as const
  readonly capabilities: ProviderCapabilities = {
    resize: 'replace',
    delete: 'end-of-term',
    labels: 'none',
    prices: 'static',
    snapshots: 'server',
    userData: 'cloud-init',
  }
  private readonly tokens: ContaboTokens
  private readonly defaultImage: string
  private readonly period: number

  constructor(o: ContaboOptions, d?: AdapterDeps) {
    const deps = resolveDeps(d)
    const creds: ContaboCredentials = {
      clientId: new Secret(o.clientId),
      clientSecret: new Secret(o.clientSecret),
      username: new Secret(o.username),
      password: new Secret(o.password),
    }
    const secrets = Object.values(creds)
    const common = {
      provider: 'contabo' as const,
      describeFailure,
      retry: resolveRetry(o.retry),
      timeoutMs: o.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      clock: deps.clock,
      random: deps.random,
      logger: deps.logger,
      dispatcher: deps.dispatcher,
      requestIdOf: (_h: Record<string, string>, sent: Record<string, string>) => sent['x-request-id'] ?? null,
    }
    const authHttp = new HttpClient({
      ...common,
      baseUrl: o.authUrl ?? CONTABO_AUTH_URL,
      secrets,
      authorize: async () => ({}),
      bucket: { capacity: 5, refillPerSec: 1 },
    })
    const tokens = new ContaboTokens(authHttp, creds, deps.clock)
    const http = new HttpClient({
      ...common,
      baseUrl: o.baseUrl ?? CONTABO_BASE_URL,
      secrets,
      authorize: async (renew) => ({ authorization: `Bearer ${await tokens.accessToken(renew)}` }),
      refreshableAuth: true,
      attemptHeaders: (req) => ({
        'x-request-id': newRequestId(),
        ...(req.opId ? { 'x-trace-id': req.opId } : {}),
      }),
      // Contabo documents 429s but no numbers; a conservative 5/s (burst 10) until we learn better.
      bucket: { capacity: 10, refillPerSec: 5, ...o.rateLimit },
    })
    super(http, deps, {
      pollMs: o.pollMs ?? 5000,
      secrets: secrets,
      recoveryDelayMs: o.createRecoveryDelayMs,
    })
    this.tokens = tokens
    this.defaultImage = o.defaultImage ?? DEFAULT_IMAGE
    this.period = o.periodMonths ?? 1
  }

  /** Token grants made so far (cached tokens are reused until shortly before expiry). */
  tokenGrants(): number {
    return this.tokens.grantCount()
  }

  async create(input: CreateServerInput, opts: CallOptions = {}): Promise<CreateServerResult> {
    assertNameCarriesOp('contabo', input.name, input.opId)
    return this.createWithRecovery(input, opts, async () => {
      const res = await this.call(
        {
          schema: CreatedSchema,
          method: 'POST',
          path: '/compute/instances',
          json: {
            imageId: input.image ?? this.defaultImage,
            productId: input.plan,
            region: input.region,
            period: this.period,
            displayName: input.name,
            defaultUser: 'root',
            ...(input.userData === undefined ? {} : { userData: input.userData }),
          },
        },
        opts,
      )
      const id = String(this.parse(CreatedSchema, res).data[0]!.instanceId)
      // The create answer lacks name and addresses; read the instance back once.
      const server = await this.mustGet(id, opts)
      return {
        server,
        pending: { provider: 'contabo', serverId: id, actions: [], until: 'running' },
        adopted: false,
      }
    })
  }

  async get(id: string, opts: CallOptions = {}): Promise<ProviderServer | null> {
    const res = await this.call(
      {
        schema: OneSchema,
        method: 'GET',
        path: `/compute/instances/${encodeURIComponent(id)}`,
        allow404: true,
      },
      opts,
    )
    if (res.status === 404) return null
    return toServer(this.parse(OneSchema, res).data[0]!)
  }

  async list(filter: ServerFilter = {}, opts: CallOptions = {}): Promise<ProviderServer[]> {
    refuseLabelFilter('contabo', filter)
    const out: ProviderServer[] = []
    for (let page = 1, pages = 1; page <= pages; page++) {
      const res = await this.call(
        {
          schema: ListSchema,
          method: 'GET',
          path: '/compute/instances',
          query: { page, size: PAGE_SIZE, displayName: filter.name, region: filter.region },
        },
        opts,
      )
      const body = this.parse(ListSchema, res)
      for (const i of body.data) out.push(toServer(i))
      pages = body._pagination.totalPages
    }
    return out.filter((s) => filter.name === undefined || s.name === filter.name)
  }

  /** Cancels the contract: the instance keeps running until `cancelDate`, then Contabo removes it. */
  async delete(id: string, opts: CallOptions = {}): Promise<DeleteResult> {
    const res = await this.call(
      {
        schema: CancelSchema,
        method: 'POST',
        path: `/compute/instances/${encodeURIComponent(id)}/cancel`,
        json: {},
        idempotent: true,
        allow404: true,
      },
      opts,
    )
    if (res.status === 404)
      return { mode: 'end-of-term', effectiveAt: null, pending: null, alreadyGone: true }
    const cancel = this.parse(CancelSchema, res).data[0]!
    return { mode: 'end-of-term', effectiveAt: cancel.cancelDate, pending: null, alreadyGone: false }
  }

  reboot(id: string, opts: CallOptions = {}): Promise<Pending> {
    return this.action(id, 'restart', 'running', opts)
  }

  powerOn(id: string, opts: CallOptions = {}): Promise<Pending> {
    return this.action(id, 'start', 'running', opts)
  }

  powerOff(id: string, opts: PowerOffOptions = {}): Promise<Pending> {
    return this.action(id, opts.graceful === false ? 'stop' : 'shutdown', 'off', opts)
  }

  async resize(id: string, plan: string): Promise<ProviderServer> {
    return this.refuseResize(id, plan)
  }

  /** Contabo publishes no price API: the price list of the dated table in force now, marked `static`. */
  async prices(): Promise<PlanPrice[]> {
    const list = datedListAt(CONTABO_PRICE_TABLE, new Date(this.deps.clock.now()).toISOString())
    return list.offers.map((o) => {
      const offer = OFFERS.find((x) => x.provider === 'contabo' && x.plan === o.plan)
      return {
        provider: 'contabo',
        plan: o.plan,
        vcpus: offer?.vcpus ?? null,
        memoryMb: offer ? offer.memoryGb * 1024 : null,
        diskGb: null,
        region: null,
        regions: null,
        monthly: money(scaledToDecimal(BigInt(o.monthly), 2), o.currency),
        hourly: null,
        monthlyGross: null,
        termMonths: 1,
        source: 'static',
        asOf: list.asOf,
      }
    })
  }

  /** The region enum of Contabo's create request (the API has no region listing worth the call). */
  async regions(): Promise<ProviderRegion[]> {
    return CONTABO_REGIONS.map((r) => ({
      provider: 'contabo',
      code: r.code,
      city: r.city,
      country: r.country,
      available: true,
      group: findRegion('contabo', r.code)?.group ?? null,
    }))
  }

  /** An instance snapshot; it belongs to the instance (and Contabo deletes it at its autoDeleteDate). */
  async snapshot(serverId: string, name: string, opts: SnapshotOptions = {}): Promise<ProviderSnapshot> {
    const path = `/compute/instances/${encodeURIComponent(serverId)}/snapshots`
    for (let page = 1, pages = 1; page <= pages; page++) {
      // `name` filters by substring; the exact name decides.
      const res = await this.call({ method: 'GET', path, query: { name, page, size: PAGE_SIZE } }, opts)
      const body = this.parse(SnapshotsSchema, res)
      const found = body.data.find((x) => x.name === name)
      if (found) return toSnapshot(found)
      pages = body._pagination.totalPages
    }
    const res = await this.call(
      { method: 'POST', path, json: { name, description: `clawops archive ${name}` } },
      opts,
    )
    return toSnapshot(this.parse(SnapshotSchema, res).data[0]!)
  }

  async getSnapshot(ref: SnapshotRef, opts: CallOptions = {}): Promise<ProviderSnapshot | null> {
    const res = await this.call(
      {
        method: 'GET',
        path: `/compute/instances/${encodeURIComponent(ref.serverId)}/snapshots/${encodeURIComponent(ref.id)}`,
        allow404: true,
      },
      opts,
    )
    if (res.status === 404) return null
    return toSnapshot(this.parse(SnapshotSchema, res).data[0]!)
  }

  async deleteSnapshot(ref: SnapshotRef, opts: CallOptions = {}): Promise<{ alreadyGone: boolean }> {
    const res = await this.call(
      {
        method: 'DELETE',
        path: `/compute/instances/${encodeURIComponent(ref.serverId)}/snapshots/${encodeURIComponent(ref.id)}`,
        allow404: true,
      },
      opts,
    )
    return { alreadyGone: res.status === 404 }
  }

  /** PUT /compute/instances/{id}: the default image installed afresh, without user data; the disk is wiped. */
  async reinstall(serverId: string, opts: CallOptions = {}): Promise<Pending> {
    const res = await this.call(
      {
        method: 'PUT',
        path: `/compute/instances/${encodeURIComponent(serverId)}`,
        json: { imageId: this.defaultImage, defaultUser: 'root' },
        idempotent: true,
      },
      opts,
    )
    this.parse(ReinstallSchema, res)
    return { provider: 'contabo', serverId, actions: [], until: 'running' }
  }

  protected async actionState(): Promise<ActionState> {
    // Contabo has no action objects; its Pendings never carry action ids.
    return { state: 'success' }
  }

  private async action(
    id: string,
    verb: string,
    until: Pending['until'],
    opts: CallOptions,
  ): Promise<Pending> {
    await this.call(
      {
        method: 'POST',
        path: `/compute/instances/${encodeURIComponent(id)}/actions/${verb}`,
        json: {},
        idempotent: true,
      },
      opts,
    )
    return { provider: 'contabo', serverId: id, actions: [], until }
  }
}

function toServer(i: CInstance): ProviderServer {
  return {
    provider: 'contabo',
    id: String(i.instanceId),
    name: i.displayName || i.name,
    status: STATUS[i.status] ?? 'unknown',
    providerStatus: i.status,
    region: i.region,
    plan: i.productId,
    ipv4: i.ipConfig?.v4?.ip || null,
    ipv6: i.ipConfig?.v6?.ip || null,
    labels: {},
    createdAt: i.createdDate,
    endsAt: i.cancelDate || null,
  }
}

function toSnapshot(x: z.infer<typeof SnapshotBody>): ProviderSnapshot {
  return {
    provider: 'contabo',
    id: x.snapshotId,
    serverId: String(x.instanceId),
    name: x.name,
    // Contabo answers once the snapshot exists; it has no status to wait on.
    status: 'available',
    sizeGb: null,
    createdAt: x.createdDate,
    expiresAt: x.autoDeleteDate || null,
  }
}

function describeFailure(f: FailureInput) {
  const parsed = z
    .object({ statusCode: z.number().optional(), message: z.union([z.string(), z.array(z.string())]) })
    .safeParse(f.body)
  const keycloak = z.object({ error: z.string(), error_description: z.string().optional() }).safeParse(f.body)
  let code = `http_${f.status}`
  let message = f.text || `HTTP ${f.status}`
  if (parsed.success)
    message = Array.isArray(parsed.data.message) ? parsed.data.message.join('; ') : parsed.data.message
  else if (keycloak.success) {
    code = keycloak.data.error
    message = keycloak.data.error_description ?? keycloak.data.error
  }
  return {
    code,
    message,
    requestId: f.sentHeaders['x-request-id'] ?? null,
    retry: retryClassForStatus(f.status),
  }
}
