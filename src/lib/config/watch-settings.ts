/**
 * The settings of health, heal, failover and `clawops watch`: plain constants (the PRD's numbers)
 * merged with the optional `watch` section of the config. Kept free of zod so read-only commands can
 * use it; the config loader validated the section already.
 */

import type { Actor } from '../domain/actor.js'
import type { EventType, Severity } from '../domain/event.js'
import type { Provider } from '../domain/provider.js'
import type { Config } from './schema.js'
import { type FeedRoute, feedRoutes } from './team-feeds.js'

export type AgentName = Exclude<Actor, 'operator'>

export interface AgentTarget {
  agentId: string
  sessionKey: string
  deliver: boolean
}

export interface WatchSettings {
  intervalMs: number
  concurrency: number
  probeTimeoutMs: number
  listen: { host: string; port: number }
  hooksUrl: string
  heal: { waitMs: number; pollMs: number; cooldownMs: number; concurrency: number }
  thresholds: {
    /** A score below this is DEGRADED (PRD: < 50). */
    degradedBelow: number
    /** A DEGRADED or FAILED instance is ACTIVE again above this (PRD: recovers > 70). */
    recoveredAbove: number
    /** A heartbeat older than this is DEGRADED whatever the score (PRD: missing > 3 min). */
    heartbeatMissingMs: number
    /** Bad (score below degradedBelow) continuously this long: FAILED. */
    failedAfterMs: number
    /** A new instance stays BOOTSTRAPPING (warming up) this long after it was created, until healthy. */
    bootGraceMs: number
    /** null: the Ledger's own threshold (ledger.anomalyPct, 15 %). */
    costAnomalyPct: number | null
    provisionBacklog: number
    providerDegradedBelow: number
  }
  blastRadius: { maxShare: number; minFailovers: number; windowMs: number }
  /**
   * How many users' gateways heals and restarts may restart per provider, and per region of one,
   * within a window: maxShare of the scope's users, at least minUsers, at most maxUsers (10, rule 5).
   */
  restartBudget: { maxUsers: number; maxShare: number; minUsers: number; windowMs: number }
  delivery: { ratePerMinute: number; maxBatch: number; timeoutMs: number }
  agents: Record<AgentName, AgentTarget>
  routes: Partial<Record<EventType, AgentName[]>>
  /** Pages the config names, by provider: they come first. */
  statusPages: Partial<Record<string, string>>
  /** `<base>/<provider>` for a provider the config does not name (the lab's pages). */
  statusPageBase: string | null
  /** The providers' own public pages, where nothing above applies (DEFAULT_STATUS_PAGES). */
  statusPageDefaults: Record<string, StatusPageDefault>
  webhooks: { secretEnv: string; previousSecretEnv: string }
  /** Grace after a node disconnects before it is probed (reconnect blips, gateway restarts). */
  disconnectGraceMs: number
  /** The team channels (`team.feeds`) and which events each hears; their URLs stay in team-feeds.ts. */
  feeds: FeedRoute[]
}

export const AGENT_NAMES: readonly AgentName[] = [
  'commander',
  'forge',
  'guardian',
  'ledger',
  'triage',
  'briefer',
]

/** Which agents hear about which event (PRD §6.2; Commander also hears what Guardian did). */
export const DEFAULT_ROUTES: Record<EventType, AgentName[]> = {
  INSTANCE_DEGRADED: ['guardian'],
  INSTANCE_RECOVERED: ['guardian'],
  INSTANCE_FAILED: ['guardian'],
  PAIR_FAILED: ['guardian', 'commander'],
  PAIR_NO_PRIMARY: ['guardian', 'commander'],
  FAILOVER_COMPLETE: ['guardian', 'commander'],
  HEAL_COMPLETE: ['guardian', 'commander'],
  HEAL_ESCALATED: ['commander', 'guardian'],
  COST_ANOMALY: ['ledger'],
  PROVISION_QUEUE_BACKLOG: ['forge'],
  PROVIDER_DEGRADED: ['commander'],
  PROVISION_COMPLETE: ['forge'],
  PROVISION_FAILED: ['forge', 'commander'],
  REPROVISION_READY: ['forge'],
  INCIDENT_OPENED: ['commander', 'triage'],
  INCIDENT_RESOLVED: ['commander'],
  // A provider looks down and its status page said nothing: a human decides (rule 4).
  PROVIDER_STATUS_UNKNOWN: ['commander'],
  // Heals past their budget were not run: Commander confirms the restart plan or not (rule 5).
  HEAL_STORM: ['commander', 'guardian'],
  // Operations are recorded for team feeds; agents learn of them from the audit trail and ops list.
  OPERATION_STARTED: [],
  OPERATION_FINISHED: [],
  OPERATION_FAILED: [],
}

export interface StatusPageDefault {
  /** Its Atlassian Statuspage summary (the shape clawops reads), or null when it publishes none. */
  summary: string | null
  /** The page a human reads. */
  page: string
}

/**
 * The providers' public status pages (safety rule 4). DigitalOcean and Hostinger publish an
 * Atlassian Statuspage, whose `api/v2/summary.json` clawops reads. Hetzner (its own page, with an
 * Atom feed), Vultr (its own JSON schema, status.json and alerts.json) and Contabo publish no
 * Statuspage summary: their status is unknown to clawops unless `watch.statusPages` names a page that
 * serves one, and watch then declares no incident there without a human.
 */
export const DEFAULT_STATUS_PAGES: Record<Provider, StatusPageDefault> = {
  hetzner: { summary: null, page: 'https://status.hetzner.com/' },
  vultr: { summary: null, page: 'https://status.vultr.com/' },
  digitalocean: {
    summary: 'https://status.digitalocean.com/api/v2/summary.json',
    page: 'https://status.digitalocean.com/',
  },
  contabo: { summary: null, page: 'https://status.contabo.com/' },
  hostinger: {
    summary: 'https://statuspage.hostinger.com/api/v2/summary.json',
    page: 'https://statuspage.hostinger.com/',
  },
}

/** Delivery order within a batch, and the priority column of the outbox. */
export const SEVERITY_PRIORITY: Record<Severity, number> = { info: 0, warning: 1, high: 2, critical: 3 }

export const DEFAULTS = {
  intervalSeconds: 300,
  concurrency: 32,
  probeTimeoutSeconds: 10,
  listen: '127.0.0.1:18790',
  heal: { waitSeconds: 90, pollSeconds: 5, cooldownMinutes: 15, concurrency: 4 },
  thresholds: {
    degradedBelow: 50,
    recoveredAbove: 70,
    heartbeatMissingSeconds: 180,
    failedAfterSeconds: 600,
    bootGraceSeconds: 1200,
    provisionBacklog: 20,
    providerDegradedBelow: 75,
  },
  blastRadius: { maxShare: 0.2, minFailovers: 3, windowMinutes: 15 },
  restartBudget: { maxUsers: 10, maxShare: 0.2, minUsers: 3, windowMinutes: 15 },
  delivery: { ratePerMinute: 10, maxBatch: 20, timeoutSeconds: 20 },
  webhooks: { secretEnv: 'CLAWOPS_WEBHOOK_SECRET', previousSecretEnv: 'CLAWOPS_WEBHOOK_SECRET_PREVIOUS' },
  disconnectGraceSeconds: 5,
} as const

/** http(s)://host:port/hooks/agent from the gateway's ws(s) URL. */
export function hooksUrlFor(gatewayUrl: string): string {
  const u = new URL(gatewayUrl)
  u.protocol = u.protocol === 'wss:' ? 'https:' : 'http:'
  u.pathname = '/hooks/agent'
  u.search = ''
  return u.toString()
}

function parseListen(value: string): { host: string; port: number } {
  const i = value.lastIndexOf(':')
  return { host: value.slice(0, i), port: Number(value.slice(i + 1)) }
}

export function watchSettings(config: Config): WatchSettings {
  const w = config.watch ?? {}
  const t = { ...DEFAULTS.thresholds, ...w.thresholds }
  const agents = Object.fromEntries(
    AGENT_NAMES.map((name) => {
      const o = w.agents?.[name]
      return [
        name,
        {
          agentId: o?.agentId ?? name,
          sessionKey: o?.sessionKey ?? `clawops:${name}`,
          deliver: o?.deliver ?? false,
        },
      ]
    }),
  ) as Record<AgentName, AgentTarget>
  const gatewayUrl = config.gateway?.url ?? 'ws://127.0.0.1:18789'
  return {
    intervalMs: (w.intervalSeconds ?? DEFAULTS.intervalSeconds) * 1000,
    concurrency: w.concurrency ?? DEFAULTS.concurrency,
    probeTimeoutMs: (w.probeTimeoutSeconds ?? DEFAULTS.probeTimeoutSeconds) * 1000,
    listen: parseListen(w.listen ?? DEFAULTS.listen),
    hooksUrl: w.hooksUrl ?? hooksUrlFor(gatewayUrl),
    heal: {
      waitMs: (w.heal?.waitSeconds ?? DEFAULTS.heal.waitSeconds) * 1000,
      pollMs: (w.heal?.pollSeconds ?? DEFAULTS.heal.pollSeconds) * 1000,
      cooldownMs: DEFAULTS.heal.cooldownMinutes * 60_000,
      concurrency: DEFAULTS.heal.concurrency,
    },
    thresholds: {
      degradedBelow: t.degradedBelow,
      recoveredAbove: t.recoveredAbove,
      heartbeatMissingMs: t.heartbeatMissingSeconds * 1000,
      failedAfterMs: t.failedAfterSeconds * 1000,
      bootGraceMs: t.bootGraceSeconds * 1000,
      costAnomalyPct: w.thresholds?.costAnomalyPct ?? null,
      provisionBacklog: t.provisionBacklog,
      providerDegradedBelow: t.providerDegradedBelow,
    },
    blastRadius: {
      maxShare: w.blastRadius?.maxShare ?? DEFAULTS.blastRadius.maxShare,
      minFailovers: w.blastRadius?.minFailovers ?? DEFAULTS.blastRadius.minFailovers,
      windowMs: (w.blastRadius?.windowMinutes ?? DEFAULTS.blastRadius.windowMinutes) * 60_000,
    },
    restartBudget: {
      maxUsers: w.restartBudget?.maxUsers ?? DEFAULTS.restartBudget.maxUsers,
      maxShare: w.restartBudget?.maxShare ?? DEFAULTS.restartBudget.maxShare,
      minUsers: w.restartBudget?.minUsers ?? DEFAULTS.restartBudget.minUsers,
      windowMs: (w.restartBudget?.windowMinutes ?? DEFAULTS.restartBudget.windowMinutes) * 60_000,
    },
    delivery: {
      ratePerMinute: w.delivery?.ratePerMinute ?? DEFAULTS.delivery.ratePerMinute,
      maxBatch: w.delivery?.maxBatch ?? DEFAULTS.delivery.maxBatch,
      timeoutMs: (w.delivery?.timeoutSeconds ?? DEFAULTS.delivery.timeoutSeconds) * 1000,
    },
    agents,
    routes: { ...DEFAULT_ROUTES, ...(w.routes as Partial<Record<EventType, AgentName[]>> | undefined) },
    statusPages: { ...w.statusPages },
    statusPageBase: w.statusPageBase ?? null,
    statusPageDefaults: DEFAULT_STATUS_PAGES,
    webhooks: {
      secretEnv: w.webhooks?.secretEnv ?? DEFAULTS.webhooks.secretEnv,
      previousSecretEnv: w.webhooks?.previousSecretEnv ?? DEFAULTS.webhooks.previousSecretEnv,
    },
    disconnectGraceMs: DEFAULTS.disconnectGraceSeconds * 1000,
    feeds: feedRoutes(config),
  }
}
