/** The `prices` config section with its defaults (plain constants: no zod on read paths). */
import type { Config } from '../config/schema.js'

export interface PriceSettings {
  /** A price list read from a provider's API longer ago than this is stale. */
  maxAgeHours: number
  /** A plan that finds a stale (or never read) list reads it again first; false: it warns. */
  refreshWhenStale: boolean
  /**
   * How long a plan waits on that read before it goes on with what it has (a warning): a provider
   * API that is down must not hold every plan for the whole retry budget.
   */
  refreshTimeoutSeconds: number
  /** A dated table (Contabo) last checked longer ago than this is reported stale: update clawops. */
  tableMaxAgeDays: number
}

export const DEFAULT_PRICE_SETTINGS: PriceSettings = {
  maxAgeHours: 168,
  refreshWhenStale: true,
  refreshTimeoutSeconds: 10,
  tableMaxAgeDays: 180,
}

export function priceSettings(config: Config): PriceSettings {
  const p = config.prices ?? {}
  return {
    maxAgeHours: p.maxAgeHours ?? DEFAULT_PRICE_SETTINGS.maxAgeHours,
    refreshWhenStale: p.refreshWhenStale ?? DEFAULT_PRICE_SETTINGS.refreshWhenStale,
    refreshTimeoutSeconds: p.refreshTimeoutSeconds ?? DEFAULT_PRICE_SETTINGS.refreshTimeoutSeconds,
    tableMaxAgeDays: p.tableMaxAgeDays ?? DEFAULT_PRICE_SETTINGS.tableMaxAgeDays,
  }
}
