/**
 * The operator's config file ($CLAWOPS_HOME/config.json, or $CLAWOPS_CONFIG). Every section is
 * optional with defaults, so a fresh install works with no file at all. Secrets are not written here
 * in clear: a `*Env` key names the environment variable that holds the secret.
 */
import { z } from 'zod'
import { EventTypeSchema, SEVERITIES } from '../domain/event.js'
import { IDENTITY_MAX, isIdentity } from '../domain/identity.js'
import { ProviderSchema } from '../domain/provider.js'
import {
  DEFAULT_CONFIRMATION_TTL_MINUTES,
  DEFAULT_LOCK_WAIT_SECONDS,
  DEFAULT_PLAN_TTL_MINUTES,
  DEFAULT_RATES,
} from './constants.js'

const EnvName = z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'an environment variable name')

const Seconds = z.number().int().min(1)
/** A gateway shard's name: short, lowercase, stable (it is stored with every instance). */
const ShardName = z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/, 'a short lowercase name')
const WsUrl = z
  .string()
  .url()
  .refine((u) => /^wss?:\/\//.test(u), 'a ws:// or wss:// URL')
const Share = z.number().gt(0).max(1)
const AgentName = z.enum(['commander', 'forge', 'guardian', 'ledger', 'triage', 'briefer'])
const WatchSchema = z
  .object({
    intervalSeconds: Seconds.max(86_400).optional(),
    concurrency: z.number().int().min(1).max(512).optional(),
    probeTimeoutSeconds: Seconds.max(120).optional(),
    /** host:port of watch's own HTTP server (/healthz and the webhook receiver). */
    listen: z
      .string()
      .regex(/^[^\s:]+:\d{1,5}$/, 'host:port')
      .optional(),
    /** The gateway's /hooks/agent URL; derived from gateway.url when absent. */
    hooksUrl: z.string().url().optional(),
    heal: z
      .object({ waitSeconds: Seconds.max(900).optional(), pollSeconds: Seconds.max(60).optional() })
      .strict()
      .optional(),
    thresholds: z
      .object({
        degradedBelow: z.number().int().min(1).max(100).optional(),
        recoveredAbove: z.number().int().min(1).max(100).optional(),
        heartbeatMissingSeconds: Seconds.optional(),
        failedAfterSeconds: Seconds.optional(),
        bootGraceSeconds: Seconds.optional(),
        costAnomalyPct: z.number().positive().optional(),
        provisionBacklog: z.number().int().min(1).optional(),
        providerDegradedBelow: z.number().int().min(1).max(100).optional(),
      })
      .strict()
      .optional(),
    blastRadius: z
      .object({
        maxShare: Share.optional(),
        minFailovers: z.number().int().min(1).optional(),
        windowMinutes: z.number().int().min(1).max(1440).optional(),
      })
      .strict()
      .optional(),
    /** Gateway restarts by heals and restarts per provider and per region and window (rule 5: at most 10 users). */
    restartBudget: z
      .object({
        maxUsers: z.number().int().min(1).max(10).optional(),
        maxShare: Share.optional(),
        minUsers: z.number().int().min(1).max(10).optional(),
        windowMinutes: z.number().int().min(1).max(1440).optional(),
      })
      .strict()
      .optional(),
    delivery: z
      .object({
        ratePerMinute: z.number().int().min(1).max(600).optional(),
        maxBatch: z.number().int().min(1).max(200).optional(),
        timeoutSeconds: Seconds.max(120).optional(),
      })
      .strict()
      .optional(),
    agents: z
      .partialRecord(
        AgentName,
        z
          .object({
            agentId: z.string().min(1).optional(),
            sessionKey: z.string().min(1).optional(),
            deliver: z.boolean().optional(),
          })
          .strict(),
      )
      .optional(),
    routes: z.record(z.string().regex(/^[A-Z_]+$/), z.array(AgentName)).optional(),
    /** A provider's status page (Statuspage summary JSON), by provider name. */
    statusPages: z.record(z.string(), z.string().url()).optional(),
    /** Base URL the provider name is appended to (the lab serves <base>/<provider>). */
    statusPageBase: z.string().url().optional(),
    webhooks: z
      .object({ secretEnv: EnvName.optional(), previousSecretEnv: EnvName.optional() })
      .strict()
      .optional(),
  })
  .strict()

const Pct = z.number().positive().max(100)
/** The Ledger (cost, waste, provider health, capacity); every key optional, defaults in src/lib/ledger/settings.ts. */
const LedgerSchema = z
  .object({
    /** Spend budget per report period, in USD; without one the projection is the fleet at the period start. */
    budgetUsd: z
      .object({ week: z.number().positive(), month: z.number().positive() })
      .partial()
      .strict()
      .optional(),
    /** COST_ANOMALY: spend this many percent above the projection. */
    anomalyPct: z.number().positive().max(1000).optional(),
    waste: z
      .object({
        idleDays: z.number().int().min(1).max(365),
        oversizedPct: Pct,
        oversizedDays: z.number().int().min(1).max(30),
        minCoverage: z.number().gt(0).max(1),
        targetPeakPct: Pct,
        minSavingUsd: z.number().min(0),
        minSavingPct: z.number().min(0).max(100),
      })
      .partial()
      .strict()
      .optional(),
    providerHealth: z
      .object({
        leavePrimaryBelow: z.number().int().min(1).max(100),
        minProvisions: z.number().int().min(1),
        fastProvisionMinutes: z.number().positive(),
        slowProvisionMinutes: z.number().positive(),
      })
      .partial()
      .strict()
      .optional(),
    /** Provider account limits for capacity plans: instances per provider, optionally per region code. */
    quotas: z
      .partialRecord(
        ProviderSchema,
        z
          .object({
            instances: z.number().int().min(0).optional(),
            regions: z.record(z.string(), z.number().int().min(0)).optional(),
          })
          .strict(),
      )
      .optional(),
  })
  .strict()

/** Where briefings and alerts reach the operator: a gateway channel and its target there. */
const BriefChannel = z.enum(['whatsapp', 'telegram', 'slack', 'discord'])
const BriefTarget = z
  .object({
    /** The channel's target: E.164 for WhatsApp, a chat id for Telegram, channel:<id> or user:<id> for Slack and Discord. */
    to: z.string().min(1),
    accountId: z.string().min(1).optional(),
    /** Send the voice note as a voice message (WhatsApp, Telegram) rather than an audio file. */
    asVoice: z.boolean().optional(),
  })
  .strict()
/** The Briefer: briefings, voice notes, delivery and alerts; every key optional (defaults in src/lib/brief/settings.ts). */
const BrieferSchema = z
  .object({
    /** Used in the greeting ("Good morning Omar"). */
    operatorName: z.string().min(1).max(60).optional(),
    /** The gateway agent that owns the sends (per-agent media roots); the gateway's default when absent. */
    agentId: z.string().min(1).optional(),
    channels: z.partialRecord(BriefChannel, BriefTarget).optional(),
    /** Which channels each briefing and alert goes to (PRD 9.2 by default). */
    routes: z
      .object({
        daily: z.array(BriefChannel).min(1),
        weekly: z.array(BriefChannel).min(1),
        monthly: z.array(BriefChannel).min(1),
        unrecoverable: z.array(BriefChannel).min(1),
        provisionFailed: z.array(BriefChannel).min(1),
        costAnomaly: z.array(BriefChannel).min(1),
      })
      .partial()
      .strict()
      .optional(),
    voice: z
      .object({
        provider: z.enum(['local', 'elevenlabs']).optional(),
        local: z
          .object({
            voice: z
              .string()
              .regex(/^[a-z]{2,3}(-[a-z0-9]+)*(\+[a-z0-9]+)?$/i, 'an espeak-ng voice such as en-us')
              .optional(),
            wordsPerMinute: z.number().int().min(80).max(400).optional(),
          })
          .strict()
          .optional(),
        elevenlabs: z
          .object({
            apiKeyEnv: EnvName.optional(),
            voiceId: z
              .string()
              .regex(/^[A-Za-z0-9]{10,40}$/, 'an ElevenLabs voice id')
              .optional(),
            modelId: z.string().min(1).optional(),
            baseUrl: z.string().url().optional(),
          })
          .strict()
          .optional(),
      })
      .strict()
      .optional(),
    /** An SLA breach: a user without an ACTIVE gateway for longer than this. */
    sla: z
      .object({ maxUnservedMinutes: z.number().int().min(1).max(1440) })
      .partial()
      .strict()
      .optional(),
    alerts: z
      .object({
        enabled: z.boolean(),
        /** Events older than this are left to the briefings (watch was down, the gateway unreachable). */
        maxAgeMinutes: z.number().int().min(1).max(1440),
        /** A provisioning failure alerts after this many create attempts (PRD: after 2 retries). */
        provisionMinAttempts: z.number().int().min(1).max(20),
      })
      .partial()
      .strict()
      .optional(),
    /** The Briefer agent's workspace: each briefing writes its incident log to memory/ there. */
    workspace: z.string().min(1).optional(),
  })
  .strict()

/** The agent team on the operator's gateway (`clawops agents install`); defaults in src/lib/agents/settings.ts. */
const AgentsSchema = z
  .object({
    /** The operator's own numbers or chat ids: the only senders Commander answers, and where its exec approvals go. */
    operatorNumbers: z.array(z.string().min(3).max(64)).max(20).optional(),
    /** The operator's chat channel (PRD 9.1: WhatsApp first). */
    channel: z.enum(['whatsapp', 'telegram', 'signal', 'slack', 'discord']).optional(),
    /** Where each agent's workspace lives (<root>/<agent>); default $CLAWOPS_HOME/agents/workspaces. */
    workspaceRoot: z.string().min(1).optional(),
    /** provider/model for every agent; the gateway's default model when absent. */
    model: z
      .string()
      .regex(/^[^/\s]+\/\S+$/, 'provider/model')
      .optional(),
    /** Guardian's 5-minute sweep as a gateway cron job; set false when `clawops watch --heal` runs as a service. */
    guardianSweep: z.boolean().optional(),
  })
  .strict()

export const ConfigSchema = z
  .object({
    /** Reporting currency conversion: how many USD one unit of each currency buys. */
    currency: z
      .object({
        rates: z
          .object({
            USD: z.number().positive().default(DEFAULT_RATES.USD),
            EUR: z.number().positive().default(DEFAULT_RATES.EUR),
          })
          .strict()
          .default({ ...DEFAULT_RATES }),
      })
      .strict()
      .default({ rates: { ...DEFAULT_RATES } }),
    policy: z
      .object({
        /** How long a plan waits for `--confirm` before it must be made again. */
        planTtlMinutes: z
          .number()
          .int()
          .min(1)
          .max(24 * 60)
          .default(DEFAULT_PLAN_TTL_MINUTES),
        /**
         * How long a confirmation holds for the operation it started: resuming or retrying it later
         * needs the operator or Commander to confirm again.
         */
        confirmationTtlMinutes: z
          .number()
          .int()
          .min(1)
          .max(7 * 24 * 60)
          .default(DEFAULT_CONFIRMATION_TTL_MINUTES),
        /** How long an operation waits for another one holding a pair it needs before giving up. */
        lockWaitSeconds: z.number().int().min(0).max(3600).default(DEFAULT_LOCK_WAIT_SECONDS),
      })
      .strict()
      .default({
        planTtlMinutes: DEFAULT_PLAN_TTL_MINUTES,
        confirmationTtlMinutes: DEFAULT_CONFIRMATION_TTL_MINUTES,
        lockWaitSeconds: DEFAULT_LOCK_WAIT_SECONDS,
      }),
    /**
     * The operator's gateway: the agents, hooks and channels live there, and it is the first gateway
     * shard (named `main` unless `name` says otherwise; see src/lib/gateway/shards.ts).
     */
    gateway: z
      .object({
        name: ShardName.optional(),
        url: z.string().url().default('ws://127.0.0.1:18789'),
        tokenEnv: EnvName.default('OPENCLAW_GATEWAY_TOKEN'),
        hooksTokenEnv: EnvName.default('CLAWOPS_HOOKS_TOKEN'),
        /** A file holding the gateway token (mode 0600); used when the environment variable is unset. */
        tokenFile: z.string().min(1).optional(),
        hooksTokenFile: z.string().min(1).optional(),
      })
      .strict()
      .optional(),
    /**
     * More gateway shards for nodes: each instance's gf-clawnode joins one of them or the operator's
     * gateway, and clawops reaches it there. A token is named, never written here: `tokenEnv` (trusted
     * for the operator only) or `tokenFile` (mode 0600).
     */
    gateways: z
      .array(
        z
          .object({
            name: ShardName,
            url: WsUrl,
            tokenEnv: EnvName.optional(),
            tokenFile: z.string().min(1).optional(),
            /** The URL this gateway's nodes connect to (over the tailnet); `url` when absent. */
            nodeUrl: WsUrl.optional(),
            /**
             * Being retired: it takes no new node, and a node moved off it may join its partner's
             * gateway when no other takes nodes (src/lib/gateway/shards.ts).
             */
            drain: z.boolean().optional(),
          })
          .strict()
          .refine((g) => g.tokenEnv !== undefined || g.tokenFile !== undefined, {
            message: 'give tokenEnv or tokenFile: where the token that opens this gateway is',
          }),
      )
      .max(64)
      .optional(),
    /** Where each cloud's API is and where its credentials are; without an entry, the environment (see README). */
    providers: z
      .partialRecord(
        ProviderSchema,
        z
          .object({
            baseUrl: z.string().url().optional(),
            /** Contabo's OAuth2 token endpoint. */
            authUrl: z.string().url().optional(),
            /** A JSON file (mode 0600) with the provider's credential fields, e.g. {"token": "…"}. */
            credentialsFile: z.string().min(1).optional(),
          })
          .strict(),
      )
      .optional(),
    /** Creating pairs (`clawops provision`); every key optional, defaults in src/lib/provisioning/settings.ts. */
    provisioning: z
      .object({
        fleet: z
          .string()
          .regex(/^[a-z0-9][a-z0-9-]{0,15}$/, 'a short lowercase name')
          .optional(),
        nodeGatewayUrl: z.string().url().optional(),
        openclawImage: z.string().min(1).optional(),
        clawnodePackage: z.string().min(1).optional(),
        sharedTokenFallback: z.boolean().optional(),
        concurrency: z.number().int().min(1).max(64).optional(),
        bootTimeoutSeconds: z.number().int().min(5).max(7200).optional(),
        joinTimeoutSeconds: z.number().int().min(5).max(7200).optional(),
        /** Tries per member: a server that fails to come up is deleted and created again (default 3). */
        createAttempts: z.number().int().min(1).max(10).optional(),
        /** One pre-authorized, single-use auth key minted per server through the Tailscale API. */
        tailscale: z
          .object({
            /** The API origin; https://api.tailscale.com when absent. */
            baseUrl: z.string().url().optional(),
            /** The tailnet name, or `-` (default) for the credential's own tailnet. */
            tailnet: z.string().min(1).optional(),
            /** A JSON file (mode 0600): {"apiKey"} or {"oauthClientId", "oauthClientSecret"}. */
            credentialsFile: z.string().min(1),
            tags: z.array(z.string().regex(/^tag:[a-z0-9-]+$/)).min(1),
            /** How long a key that no server used stays valid (default 3600). */
            keyExpirySeconds: z
              .number()
              .int()
              .min(300)
              .max(90 * 86_400)
              .optional(),
            authKeyEnv: z
              .never({
                error:
                  'authKeyEnv is gone: one shared key would join every server. clawops mints a key per server; set credentialsFile',
              })
              .optional(),
          })
          .strict()
          .optional(),
      })
      .strict()
      .optional(),
    /** Where users' OpenClaw state goes before a teardown (default: $CLAWOPS_HOME/archives). */
    archive: z
      .object({
        dir: z.string().min(1).optional(),
        retentionDays: z.number().int().min(1).max(3650).optional(),
        /** An S3-compatible bucket instead of the directory; keys from the env variables named here. */
        s3: z
          .object({
            endpoint: z.string().url(),
            bucket: z.string().min(3).max(63),
            region: z.string().min(1).default('us-east-1'),
            prefix: z.string().default('clawops/archives/'),
            accessKeyIdEnv: EnvName.default('AWS_ACCESS_KEY_ID'),
            secretAccessKeyEnv: EnvName.default('AWS_SECRET_ACCESS_KEY'),
          })
          .strict()
          .optional(),
      })
      .strict()
      .optional(),
    /** The fleet database's backups (`clawops store backup`, and watch on a schedule). */
    /**
     * The fleet database and its backups. Without `url` (or `urlFile`, a file of mode 0600 holding
     * it), the SQLite file $CLAWOPS_HOME/fleet.db; with it, a PostgreSQL database a team shares.
     * CLAWOPS_DATABASE_URL, when an operator runs clawops, comes first.
     */
    store: z
      .object({
        url: z
          .string()
          .regex(/^postgres(ql)?:\/\/\S+$/i, 'a postgres:// or postgresql:// URL')
          .optional(),
        /** A file (mode 0600) holding that URL, so its password stays out of the config. */
        urlFile: z.string().min(1).optional(),
        backup: z
          .object({
            /** How often watch takes one; 0 turns the schedule off (default 360: every 6 hours). */
            intervalMinutes: z
              .number()
              .int()
              .min(0)
              .max(7 * 24 * 60)
              .optional(),
            /** Where backups go (default: $CLAWOPS_HOME/backups). */
            dir: z.string().min(1).optional(),
            /** How many backups the directory keeps, newest first (default 8). */
            keep: z.number().int().min(1).max(1000).optional(),
          })
          .strict()
          .optional(),
      })
      .strict()
      .refine((s) => !(s.url && s.urlFile), 'set url or urlFile, not both')
      .optional(),
    /**
     * The human who runs clawops from this home, as the audit trail, plans and the team feed name
     * them (CLAWOPS_OPERATOR comes first; the default is the OS user at the host, e.g. ada@laptop).
     */
    operator: z
      .object({
        name: z
          .string()
          .refine(isIdentity, `1 to ${IDENTITY_MAX} characters: letters, digits and . _ @ + -`)
          .optional(),
      })
      .strict()
      .optional(),
    /**
     * Team channels: incidents and operations posted where the engineering team reads them, by
     * `clawops watch` through its outbox (defaults in src/lib/config/team-feeds.ts). The webhook URL
     * is a secret: a file of mode 0600 (`urlFile`) or an environment variable (`urlEnv`), never here.
     */
    team: z
      .object({
        feeds: z
          .record(
            z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, 'a feed name: lowercase letters, digits and -'),
            z
              .object({
                kind: z.enum(['discord']),
                urlFile: z.string().min(1).optional(),
                urlEnv: EnvName.optional(),
                /** Which events it hears (default: incidents opened and resolved, operations started, finished and failed). */
                events: z.array(EventTypeSchema).min(1).optional(),
                /** Events below this severity are not posted (default info: all). */
                minSeverity: z.enum(SEVERITIES).optional(),
                /** The name the messages are posted under (default "clawops"). */
                username: z.string().min(1).max(80).optional(),
              })
              .strict()
              .refine(
                (f) => (f.urlFile === undefined) !== (f.urlEnv === undefined),
                'set urlFile or urlEnv (one of them)',
              ),
          )
          .optional(),
      })
      .strict()
      .optional(),
    /** Present when this home belongs to a lab (`clawops lab up` writes it). */
    lab: z
      .object({ dir: z.string().min(1) })
      .strict()
      .optional(),
    companion: z
      .object({
        webhookUrl: z.string().url(),
        secretEnv: EnvName.default('CLAWOPS_COMPANION_SECRET'),
      })
      .strict()
      .optional(),
    /** `clawops watch`, health, heal and failover; every key optional (defaults in src/lib/watch/settings.ts). */
    watch: WatchSchema.optional(),
    ledger: LedgerSchema.optional(),
    /** `clawops config push` defaults, each overridden by its flag (defaults in src/lib/config-push/settings.ts). */
    configPush: z
      .object({
        batchSize: z.number().int().min(1).max(1000).optional(),
        pauseSeconds: z.number().int().min(0).max(3600).optional(),
        maxFailures: z
          .string()
          .regex(/^(\d+(\.\d+)?%|\d+)$/, 'a share like 2% or a number of instances like 3')
          .optional(),
        concurrency: z.number().int().min(1).max(256).optional(),
      })
      .strict()
      .optional(),
    /**
     * Rolling OpenClaw and gf-clawnode upgrades (`clawops openclaw upgrade`, `clawops clawnode upgrade`);
     * defaults in src/lib/upgrades/settings.ts. `releasesUrl` is the operator's release location: its
     * index.json names each version's file and SHA-256, and nodes fetch from it.
     */
    upgrades: z
      .object({
        releasesUrl: z.string().url().optional(),
        batchSize: z.number().int().min(1).max(1000).optional(),
        pauseSeconds: z.number().int().min(0).max(3600).optional(),
        maxFailures: z
          .string()
          .regex(/^(\d+(\.\d+)?%|\d+)$/, 'a share like 2% or a number of instances like 3')
          .optional(),
        concurrency: z.number().int().min(1).max(256).optional(),
        /** How long a node may take to come back after replacing itself. */
        rejoinTimeoutSeconds: z.number().int().min(10).max(3600).optional(),
      })
      .strict()
      .optional(),
    /** Provider price lists (`clawops provider prices`); defaults in src/lib/pricing/settings.ts. */
    prices: z
      .object({
        maxAgeHours: z
          .number()
          .int()
          .min(1)
          .max(24 * 365)
          .optional(),
        refreshWhenStale: z.boolean().optional(),
        refreshTimeoutSeconds: z.number().int().min(1).max(600).optional(),
        tableMaxAgeDays: z.number().int().min(1).max(3650).optional(),
      })
      .strict()
      .optional(),
    briefer: BrieferSchema.optional(),
    agents: AgentsSchema.optional(),
  })
  .strict()
  .superRefine((c, issue) => {
    const names = [c.gateway?.name ?? 'main', ...(c.gateways ?? []).map((g) => g.name)]
    const twice = [...new Set(names.filter((n, i) => names.indexOf(n) !== i))]
    if (twice.length > 0) {
      issue.addIssue({
        code: 'custom',
        path: ['gateways'],
        message: `gateway names must be unique (the operator's gateway is "${names[0]}"): ${twice.join(', ')}`,
      })
    }
  })

export type Config = z.infer<typeof ConfigSchema>
