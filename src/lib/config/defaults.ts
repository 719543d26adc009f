/**
 * The config clawops runs with when there is no config file. Kept free of zod so that commands on
 * the hot path (agents call `fleet status` hundreds of times a day) do not load the validator when
 * there is nothing to validate; schema.ts applies the same defaults to a file's missing keys.
 */
import {
  DEFAULT_CONFIRMATION_TTL_MINUTES,
  DEFAULT_LOCK_WAIT_SECONDS,
  DEFAULT_PLAN_TTL_MINUTES,
  DEFAULT_RATES,
} from './constants.js'
import type { Config } from './schema.js'

export const DEFAULT_CONFIG: Config = {
  currency: { rates: { ...DEFAULT_RATES } },
  policy: {
    planTtlMinutes: DEFAULT_PLAN_TTL_MINUTES,
    confirmationTtlMinutes: DEFAULT_CONFIRMATION_TTL_MINUTES,
    lockWaitSeconds: DEFAULT_LOCK_WAIT_SECONDS,
  },
}
