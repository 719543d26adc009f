/**
 * The operator's config file ($CLAWOPS_HOME/config.json, or $CLAWOPS_CONFIG). Every section is
 * optional with defaults, so a fresh install works with no file at all. Secrets are not written here
 * in clear: a `*Env` key names the environment variable that holds the secret.
 */
import { z } from 'zod'
import { ProviderSchema } from '../domain/provider.js'
import { DEFAULT_PLAN_TTL_MINUTES, DEFAULT_RATES } from './defaults.js'

const EnvName = z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'an environment variable name')

const Seconds = z.number().int().min(1)
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
      })
      .strict()
      .default({ planTtlMinutes: DEFAULT_PLAN_TTL_MINUTES }),
    gateway: z
      .object({
        url: z.string().url().default('ws://127.0.0.1:18789'),
        tokenEnv: EnvName.default('OPENCLAW_GATEWAY_TOKEN'),
        hooksTokenEnv: EnvName.default('CLAWOPS_HOOKS_TOKEN'),
      })
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
  })
  .strict()

export type Config = z.infer<typeof ConfigSchema>
