/**
 * Defaults of `clawops openclaw upgrade` and `clawops clawnode upgrade`, overridable in the config's
 * `upgrades` section and by flags: batches of 50 within rule 2's limits, a pause of 10 s after each,
 * halt above 2 % failed; a node replacing itself has 3 minutes to come back.
 */
import type { Config } from '../config/schema.js'
import type { FailureBudget } from '../domain/rollout.js'
import { DEFAULT_BUDGET, parseBudget } from '../rollout/budget.js'

export interface UpgradeSettings {
  releasesUrl: string | null
  batchSize: number
  pauseMs: number
  maxFailures: FailureBudget
  /** Instances of one batch in flight at once; null: the batch size, at most 32. */
  concurrency: number | null
  rejoinTimeoutMs: number
}

export function upgradeSettings(config: Config): UpgradeSettings {
  const u = config.upgrades
  return {
    releasesUrl: u?.releasesUrl ?? null,
    batchSize: u?.batchSize ?? 50,
    pauseMs: (u?.pauseSeconds ?? 10) * 1000,
    maxFailures: u?.maxFailures ? parseBudget(u.maxFailures) : DEFAULT_BUDGET,
    concurrency: u?.concurrency ?? null,
    rejoinTimeoutMs: (u?.rejoinTimeoutSeconds ?? 180) * 1000,
  }
}
