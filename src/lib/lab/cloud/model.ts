/**
 * The lab cloud's state: provider-neutral servers and actions that every API facade renders in
 * its own provider's shape, plus the bits only one provider has (Contabo tokens, Hostinger scripts
 * and subscriptions) and the active fault rules. All of it is plain JSON, persisted in one file.
 */
import type { Provider } from '../../domain/provider.js'

/** Where a server is in its life; each facade maps this to its provider's status words. */
export type LabPower =
  | 'creating'
  | 'starting'
  | 'running'
  | 'stopping'
  | 'off'
  | 'resizing'
  | 'deleting'
  | 'error'

export interface LabServer {
  provider: Provider
  id: string
  name: string
  region: string
  plan: string
  image: string
  /** Hetzner key/value labels. */
  labels: Record<string, string>
  /** DigitalOcean / Vultr string tags. */
  tags: string[]
  /** Decoded user data (cloud-init text, Hostinger post-install script). */
  userData: string | null
  power: LabPower
  ipv4: string
  ipv6: string
  createdAt: string
  /** Counts boots; a ready() from an older boot is ignored. */
  bootGen: number
  /** Waiting for the boot driver's ready(). */
  booting: boolean
  /** Fault: the boot never finishes. */
  hang: boolean
  /** `instant` for seeded servers, `default` for the lab's configured driver. */
  driver: 'default' | 'instant'
  /** Disk grown by a resize (Hetzner upgrade_disk, DigitalOcean disk:true): smaller plans are refused. */
  diskGrown: boolean
  /** Contract length in months (Contabo `period`; 1 elsewhere). */
  termMonths: number
  /** Contabo: contract end after cancel. */
  cancelDate: string | null
  /** Hostinger: the subscription the VM was bought under. */
  subscriptionId: string | null
  /** Vultr's generated root password (its create response carries it). */
  defaultPassword: string | null
  errorMessage: string | null
  /** Hetzner's delete and rebuild protection (absent in state files written before it existed). */
  protection?: { delete: boolean; rebuild: boolean }
}

export type ActionEffect =
  /** Completes when the server's boot completes. */
  | { kind: 'boot' }
  /** At `dueAt`: the server is off. */
  | { kind: 'power-off' }
  /** At `dueAt`: the plan changes; `restart` boots the server afterwards (Vultr). */
  | { kind: 'plan'; plan: string; growDisk: boolean; restart: boolean }
  /** At `dueAt`: the server is gone. */
  | { kind: 'delete' }
  /** At `dueAt`: the snapshot is available (its copy of the disk taken when it was asked for). */
  | { kind: 'snapshot'; snapshotId: string }
  /** Nothing to do (e.g. power-on of a running server). */
  | { kind: 'none' }

export interface LabAction {
  provider: Provider
  id: string
  serverId: string
  command: string
  status: 'running' | 'success' | 'error'
  progress: number
  startedAt: string
  finishedAt: string | null
  /** Epoch ms when it completes; null for boot-bound actions. */
  dueAt: number | null
  effect: ActionEffect
  error: { code: string; message: string } | null
}

export interface FaultRule {
  id: string
  /** null: every provider. */
  provider: Provider | null
  /** null: every region, and requests that concern no region (lists, catalogues). */
  region: string | null
  /** Only requests whose `METHOD /path` (below the provider prefix) matches this regex. */
  match: string | null
  /** Added delay before answering. */
  latencyMs: number
  /** Fraction (0..1) of matching requests answered with `errorStatus`. */
  errorRate: number
  errorStatus: number
  /** Retry-After (seconds) on injected errors; null: none. */
  retryAfterSec: number | null
  /** Fraction (0..1) of matching requests answered 200 with a malformed body (1: every one). */
  malformedRate: number
  /**
   * How: `shape`, a JSON body of the wrong shape, the request not handled (a proxy's answer);
   * `truncated`, the request handled and its answer cut off mid-body (it happened, the client cannot tell).
   */
  malformedAs: 'shape' | 'truncated'
  /** Region outage: the region's API calls fail and its servers' boot drivers are stopped. */
  outage: boolean
  /** Servers created under this rule never finish booting. */
  hangBoot: boolean
  /** Injected errors left before the rule expires; null: unlimited. */
  remaining: number | null
  createdAt: string
}

/**
 * A snapshot of a server's disk (Hetzner image of type snapshot, DigitalOcean droplet snapshot,
 * Vultr snapshot, Contabo instance snapshot, Hostinger VM snapshot). Account-level snapshots outlive
 * their server; Contabo's and Hostinger's belong to the server and go with it.
 */
export interface LabSnapshot {
  provider: Provider
  id: string
  /** The server it was taken of; kept after that server is gone. */
  serverId: string
  serverName: string
  /** DigitalOcean's and Contabo's name; Hetzner's and Vultr's description; '' on Hostinger. */
  name: string
  description: string
  /** Hetzner image labels. */
  labels: Record<string, string>
  region: string
  plan: string
  image: string
  status: 'creating' | 'available'
  createdAt: string
  /** When the provider removes it by itself (Contabo autoDeleteDate, Hostinger expires_at). */
  expiresAt: string | null
  /** Removed with its server (Contabo, Hostinger). */
  boundToServer: boolean
  sizeGb: number
}

export interface ContaboToken {
  access: string
  refresh: string
  expiresAt: number
  refreshExpiresAt: number
}

export interface HostingerScript {
  id: number
  name: string
  content: string
  createdAt: string
  updatedAt?: string
}

export interface HostingerSubscription {
  id: string
  vmId: string
  autoRenew: boolean
  createdAt: string
  expiresAt: string
  priceCents: number
  currency: string
}

/** An auth key of the lab's tailnet; `secret` is the `tskey-auth-…` a VPS presents. */
export interface LabTsKey {
  id: string
  secret: string
  description: string
  created: string
  expires: string
  revoked: string | null
  reusable: boolean
  ephemeral: boolean
  preauthorized: boolean
  tags: string[]
  /** Devices joined with it. */
  uses: number
}

export interface LabTsDevice {
  id: string
  nodeId: string
  /** MagicDNS name. */
  name: string
  hostname: string
  tags: string[]
  addresses: string[]
  authorized: boolean
  created: string
  lastSeen: string
  keyExpiryDisabled: boolean
  isEphemeral: boolean
  /** The key it joined with (lab bookkeeping, not shown by the API). */
  keyId: string
}

/** The lab's Tailscale tailnet: auth keys, joined devices, OAuth access tokens. */
export interface LabTailnet {
  keys: LabTsKey[]
  devices: LabTsDevice[]
  tokens: { token: string; expiresAt: number }[]
}

export interface LabState {
  version: 1
  /** Id counters per provider and kind. */
  seq: Record<string, number>
  servers: LabServer[]
  actions: LabAction[]
  snapshots: LabSnapshot[]
  faults: FaultRule[]
  contaboTokens: ContaboToken[]
  hostingerScripts: HostingerScript[]
  hostingerSubscriptions: HostingerSubscription[]
  /** Created on first use (tailscale-api.ts). */
  tailnet?: LabTailnet
}

export function emptyState(): LabState {
  return {
    version: 1,
    seq: {},
    servers: [],
    actions: [],
    snapshots: [],
    faults: [],
    contaboTokens: [],
    hostingerScripts: [],
    hostingerSubscriptions: [],
  }
}
