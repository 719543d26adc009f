/**
 * The one interface every cloud adapter implements, and the provider-neutral shapes it speaks.
 * The five clouds disagree on almost everything (resize, teardown, labels, prices, async model), so
 * the differences are declared as capability flags instead of being papered over: callers read
 * `capabilities` and pick a strategy (e.g. resize by replacement where the provider has no resize).
 */
import type { Labels } from '../domain/labels.js'
import type { Provider, RegionGroup } from '../domain/provider.js'
import type { Tier } from '../domain/tier.js'

export interface ProviderCapabilities {
  /** in-place: any size change (server powered off); upgrade-only: only larger plans; replace: no resize API. */
  resize: 'in-place' | 'upgrade-only' | 'replace'
  /** immediate: gone within minutes; end-of-term: the contract runs out (Contabo cancel, Hostinger renewal off). */
  delete: 'immediate' | 'end-of-term' | 'none'
  /** kv: native key/value labels; tags: string tags carrying `clawops:k:v`; none: the op id lives in the name. */
  labels: 'kv' | 'tags' | 'none'
  /** api: live prices from the provider; static: the dated table in the domain catalogue. */
  prices: 'api' | 'static'
  /**
   * What `userData` must be: cloud-init user data, or a shell script with a shebang that the
   * provider runs once after installing the server (Hostinger's post-install script).
   */
  userData: 'cloud-init' | 'shell-script'
  /**
   * account: a snapshot outlives its server (Hetzner, DigitalOcean, Vultr); server: it belongs to the
   * server and goes with it (Contabo, Hostinger: and a Hostinger recreate deletes it too).
   */
  snapshots: 'account' | 'server'
}

/** A snapshot of a server's disk, taken through the provider's API. */
export interface ProviderSnapshot {
  provider: Provider
  /** The provider's id (Hetzner image id, DigitalOcean snapshot id, Vultr and Contabo snapshot ids). */
  id: string
  /** The server it was taken of. */
  serverId: string
  name: string
  status: 'creating' | 'available'
  sizeGb: number | null
  createdAt: string | null
  /** When the provider removes it by itself (Contabo autoDeleteDate, Hostinger expires_at); null: kept until deleted. */
  expiresAt: string | null
}

/** What names a snapshot to the provider: Contabo's and Hostinger's live under their server. */
export interface SnapshotRef {
  id: string
  serverId: string
}

export interface SnapshotOptions extends WaitOptions {
  /**
   * When this snapshot was first asked for (ISO). A snapshot of the server taken since then is the
   * same one, adopted rather than taken twice (Hostinger's only snapshot has no name to find it by).
   */
  askedAt?: string
}

/** Provider-neutral server state; the provider's own word is kept in `providerStatus`. */
export type ServerStatus =
  | 'creating'
  | 'starting'
  | 'running'
  | 'stopping'
  | 'off'
  | 'resizing'
  | 'deleting'
  | 'error'
  | 'unknown'

export interface ProviderServer {
  provider: Provider
  /** The provider's id, as a string whatever its type there. */
  id: string
  name: string
  status: ServerStatus
  providerStatus: string
  region: string
  plan: string
  ipv4: string | null
  ipv6: string | null
  /** Decoded clawops labels (from labels or tags); `{}` where the provider has neither. */
  labels: Labels
  createdAt: string | null
  /** When an end-of-term teardown takes effect (Contabo cancelDate, Hostinger expiry); null otherwise. */
  endsAt: string | null
}

export interface CreateServerInput {
  /** Deterministic name (see names.ts serverName); on label-less providers it also carries the op id. */
  name: string
  /** Provider plan / server type / size slug / product id / catalogue price id (see planFor). */
  plan: string
  /** Provider region code (location, region slug, Contabo region, Hostinger `<country>-<city>`). */
  region: string
  /** Image name/id; the adapter's default image when omitted. */
  image?: string
  labels?: Labels
  /** User data as text, in the adapter's `capabilities.userData` format; encoded as its provider wants. */
  userData?: string
  /** The clawops operation creating the server; written as the `clawops/op` label or tag. */
  opId?: string
}

/**
 * What to wait for after a mutating call. Plain data so the operations journal can store it and a
 * resumed run can wait on it again.
 */
export interface Pending {
  provider: Provider
  serverId: string
  /** Provider action ids to await (Hetzner, DigitalOcean, Hostinger); empty where the API has none. */
  actions: string[]
  /** The server state that ends the wait; `deleted` waits until the server is gone; null: actions only. */
  until: 'running' | 'off' | 'deleted' | null
}

export interface CreateServerResult {
  server: ProviderServer
  pending: Pending
  /** True when the server already existed (same name and op id) and was adopted instead of created. */
  adopted: boolean
  /**
   * Create calls this took: 1 for a clean create, more when a create failed ambiguously and was
   * tried again (after a look-up found nothing). A failed create carries it in `details.createCalls`.
   */
  createCalls?: number
}

export interface DeleteResult {
  mode: 'immediate' | 'end-of-term'
  /** When the server actually goes away: null for immediate deletes. */
  effectiveAt: string | null
  pending: Pending | null
  /** The server did not exist any more (a repeated delete after a crash is not an error). */
  alreadyGone: boolean
}

export interface ServerFilter {
  /** Every label must match (k=v). Server-side where the API can, completed client-side. */
  labels?: Labels
  name?: string
  region?: string
}

export interface CallOptions {
  signal?: AbortSignal
  /** The clawops operation id, sent where a provider has a trace header (Contabo x-trace-id). */
  opId?: string
}

export interface WaitOptions extends CallOptions {
  /** Give up after this long (TIMEOUT). Default 10 minutes. */
  timeoutMs?: number
  /** Poll interval; the adapter's default when omitted. */
  pollMs?: number
}

export interface PowerOffOptions extends CallOptions {
  /** ACPI shutdown (true, default) or a hard power cut. */
  graceful?: boolean
}

export interface ResizeOptions extends WaitOptions {
  /** Grow the disk too. Irreversible on Hetzner and DigitalOcean (no later downgrade), so off by default. */
  upgradeDisk?: boolean
  /** How long a graceful shutdown may take before the adapter cuts power. Default 60 s. */
  gracefulShutdownMs?: number
  /** Power the server on after the resize (default: only if it was running before). */
  powerOn?: boolean
}

/** A money amount: the exact decimal string plus minor units rounded half-up for arithmetic. */
export interface Money {
  amount: string
  currency: 'EUR' | 'USD'
  /** Minor units (cents), rounded half-up from `amount`. */
  cents: number
}

export interface PlanPrice {
  provider: Provider
  plan: string
  vcpus: number | null
  memoryMb: number | null
  diskGb: number | null
  /** The price applies to this region only; null when the provider prices a plan the same everywhere. */
  region: string | null
  /** Regions where the plan can be ordered; null when the API does not say. */
  regions: string[] | null
  monthly: Money
  hourly: Money | null
  /** Hetzner quotes net prices plus VAT; this is the gross monthly price where the API gives one. */
  monthlyGross: Money | null
  /** Billing period of the underlying offer in months (Hostinger sells 1/12/24-month terms). */
  termMonths: number
  source: 'api' | 'static'
  /** Date of a static price table; null for live API prices. */
  asOf: string | null
}

export interface ProviderRegion {
  provider: Provider
  code: string
  city: string | null
  country: string | null
  available: boolean
  /** clawops region group from the domain catalogue; null for regions clawops does not plan with. */
  group: RegionGroup | null
}

export interface HttpStats {
  /** HTTP requests sent, retries included. */
  requests: number
  retries: number
  /** 429 answers received. */
  rateLimited: number
  /** Time spent waiting for the client-side token bucket. */
  throttledMs: number
}

export interface ProviderAdapter {
  readonly provider: Provider
  readonly capabilities: ProviderCapabilities
  /** The provider plan clawops uses for a tier. */
  planFor(tier: Tier): string
  create(input: CreateServerInput, opts?: CallOptions): Promise<CreateServerResult>
  /** null when the provider says the server does not exist. */
  get(id: string, opts?: CallOptions): Promise<ProviderServer | null>
  /** All servers matching the filter, every page. */
  list(filter?: ServerFilter, opts?: CallOptions): Promise<ProviderServer[]>
  /** Servers created by an operation: look up before create so a resumed run adopts, not duplicates. */
  findByOpLabel(opId: string, opts?: CallOptions): Promise<ProviderServer[]>
  delete(id: string, opts?: CallOptions): Promise<DeleteResult>
  reboot(id: string, opts?: CallOptions): Promise<Pending>
  powerOn(id: string, opts?: CallOptions): Promise<Pending>
  powerOff(id: string, opts?: PowerOffOptions): Promise<Pending>
  /**
   * Change the plan following the provider's own rules and wait until done. Idempotent: a server
   * already on `plan` is only powered back on. Providers with `resize: 'replace'` refuse.
   */
  resize(id: string, plan: string, opts?: ResizeOptions): Promise<ProviderServer>
  prices(opts?: CallOptions): Promise<PlanPrice[]>
  regions(opts?: CallOptions): Promise<ProviderRegion[]>
  /**
   * Takes a snapshot of the server's disk under `name` (letters, digits and dashes; at most 30) and
   * waits until it is available. One already taken under that name is returned instead, so a resumed
   * run never takes a second.
   */
  snapshot(serverId: string, name: string, opts?: SnapshotOptions): Promise<ProviderSnapshot>
  /** The snapshot, or null once it is gone. */
  getSnapshot(ref: SnapshotRef, opts?: CallOptions): Promise<ProviderSnapshot | null>
  deleteSnapshot(ref: SnapshotRef, opts?: CallOptions): Promise<{ alreadyGone: boolean }>
  /**
   * A fresh OS on the server, its disk wiped (Contabo reinstall, Hostinger recreate): what a provider
   * that bills by contract offers instead of a delete. Resolves with what to wait for.
   */
  reinstall?(serverId: string, opts?: CallOptions): Promise<Pending>
  /** Wait for a pending change; resolves with the server (null once deleted) or throws TIMEOUT. */
  waitFor(pending: Pending, opts?: WaitOptions): Promise<ProviderServer | null>
  stats(): HttpStats
}
