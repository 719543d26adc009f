/**
 * The Ledger's settings: the optional `ledger` section of the config file over these defaults. Plain
 * constants (no zod) so read commands stay fast; config/schema.ts validates a file's values.
 */
import type { Config } from '../config/schema.js'
import type { Provider } from '../domain/provider.js'

export interface LedgerSettings {
  /** Budget per report period in USD cents; null: the projection is the fleet as it was at the period start. */
  budgetUsdCents: { week: number | null; month: number | null }
  /** COST_ANOMALY: spend more than this percentage above the projection. */
  anomalyPct: number
  waste: {
    /** An account is idle after this many days without user activity. */
    idleDays: number
    /** Oversized: CPU and RAM stayed below this percentage... */
    oversizedPct: number
    /** ...over this many days... */
    oversizedDays: number
    /** ...with health samples covering at least this share of the hours. */
    minCoverage: number
    /** A smaller tier fits when the observed peaks would stay at or below this percentage of it. */
    targetPeakPct: number
    /** Cheaper elsewhere: report only savings of at least this many cents a month... */
    minSavingUsdCents: number
    /** ...and at least this percentage of what the instance costs now. */
    minSavingPct: number
  }
  providerHealth: {
    /** Below this score a provider should leave the primary pools (PROVIDER_DEGRADED uses it too). */
    leavePrimaryBelow: number
    /** Provisioning is scored only with at least this many attempts in the window. */
    minProvisions: number
    /** Median provisioning time scoring 100, and the one scoring 0 (linear between). */
    fastProvisionMs: number
    slowProvisionMs: number
  }
  /** Provider account limits: instances per provider, optionally per region. */
  quotas: Partial<Record<Provider, { instances?: number; regions?: Record<string, number> }>>
}

export const LEDGER_DEFAULTS: LedgerSettings = {
  budgetUsdCents: { week: null, month: null },
  anomalyPct: 15,
  waste: {
    idleDays: 14,
    oversizedPct: 20,
    oversizedDays: 7,
    minCoverage: 0.9,
    targetPeakPct: 60,
    minSavingUsdCents: 50,
    minSavingPct: 5,
  },
  providerHealth: {
    leavePrimaryBelow: 75,
    minProvisions: 3,
    fastProvisionMs: 4 * 60_000,
    slowProvisionMs: 12 * 60_000,
  },
  quotas: {},
}

const cents = (usd: number | undefined): number | null => (usd === undefined ? null : Math.round(usd * 100))

export function ledgerSettings(config: Config): LedgerSettings {
  const l = config.ledger
  const d = LEDGER_DEFAULTS
  if (!l) return structuredClone(d)
  const ph = l.providerHealth
  return {
    budgetUsdCents: { week: cents(l.budgetUsd?.week), month: cents(l.budgetUsd?.month) },
    anomalyPct: l.anomalyPct ?? d.anomalyPct,
    waste: {
      idleDays: l.waste?.idleDays ?? d.waste.idleDays,
      oversizedPct: l.waste?.oversizedPct ?? d.waste.oversizedPct,
      oversizedDays: l.waste?.oversizedDays ?? d.waste.oversizedDays,
      minCoverage: l.waste?.minCoverage ?? d.waste.minCoverage,
      targetPeakPct: l.waste?.targetPeakPct ?? d.waste.targetPeakPct,
      minSavingUsdCents: cents(l.waste?.minSavingUsd) ?? d.waste.minSavingUsdCents,
      minSavingPct: l.waste?.minSavingPct ?? d.waste.minSavingPct,
    },
    providerHealth: {
      leavePrimaryBelow: ph?.leavePrimaryBelow ?? d.providerHealth.leavePrimaryBelow,
      minProvisions: ph?.minProvisions ?? d.providerHealth.minProvisions,
      fastProvisionMs:
        ph?.fastProvisionMinutes === undefined
          ? d.providerHealth.fastProvisionMs
          : ph.fastProvisionMinutes * 60_000,
      slowProvisionMs:
        ph?.slowProvisionMinutes === undefined
          ? d.providerHealth.slowProvisionMs
          : ph.slowProvisionMinutes * 60_000,
    },
    quotas: l.quotas ?? {},
  }
}
