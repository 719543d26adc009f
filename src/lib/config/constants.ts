/** Default values shared by the config schema and the zod-free default config. */
export const DEFAULT_RATES = { USD: 1, EUR: 1.08 } as const
export const DEFAULT_PLAN_TTL_MINUTES = 60
export const DEFAULT_CONFIRMATION_TTL_MINUTES = 60
export const DEFAULT_LOCK_WAIT_SECONDS = 30
