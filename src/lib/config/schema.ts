/**
 * The operator's config file ($CLAWOPS_HOME/config.json, or $CLAWOPS_CONFIG). Every section is
 * optional with defaults, so a fresh install works with no file at all. Secrets are not written here
 * in clear: a `*Env` key names the environment variable that holds the secret.
 */
import { z } from 'zod'
import { DEFAULT_PLAN_TTL_MINUTES, DEFAULT_RATES } from './defaults.js'

const EnvName = z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'an environment variable name')

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
  })
  .strict()

export type Config = z.infer<typeof ConfigSchema>
