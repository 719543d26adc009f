/**
 * Defaults of `clawops config push`: the PRD's rolling push (batches of 50, validate each batch,
 * halt above 2 % failed), overridable in the config's `configPush` section and by flags. Kept free of
 * zod; the config loader validated the section already.
 */
import type { Config } from '../config/schema.js'
import type { FailureBudget } from '../domain/rollout.js'
import { DEFAULT_BUDGET, parseBudget } from '../rollout/budget.js'

export interface ConfigPushSettings {
  batchSize: number
  /** Wait after each batch before its gateways are checked again and the next batch starts. */
  pauseMs: number
  maxFailures: FailureBudget
  /** Instances of one batch in flight at once; null: the batch size, at most 64. */
  concurrency: number | null
}

export function configPushSettings(config: Config): ConfigPushSettings {
  const c = config.configPush
  return {
    batchSize: c?.batchSize ?? 50,
    pauseMs: (c?.pauseSeconds ?? 10) * 1000,
    maxFailures: c?.maxFailures ? parseBudget(c.maxFailures) : DEFAULT_BUDGET,
    concurrency: c?.concurrency ?? null,
  }
}
