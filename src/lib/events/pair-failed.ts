/**
 * PAIR_FAILED: a user without a working gateway, announced once per episode. Heal, failover and
 * watch's detector all raise it through here, so the episode and its dedupe key are one.
 */
import type { WatchSettings } from '../config/watch-settings.js'
import { Episodes } from '../store/episodes.js'
import type { Store } from '../store/store.js'
import { emitEvent } from './emit.js'

export interface PairFailure {
  pairId: string
  userId: string
  primaryId: string | null
  provider: string | null
  region: string | null
  summary: string
}

/** Announces a pair without a working gateway, once per episode (heal, failover and the detector share it). */
export function announcePairFailed(
  store: Store,
  settings: WatchSettings,
  f: PairFailure,
  now: string,
  data = {},
) {
  const { startedAt } = store.repo(Episodes).open(`pair-failed:${f.pairId}`, now)
  return emitEvent(
    store,
    settings,
    {
      type: 'PAIR_FAILED',
      severity: 'critical',
      instanceId: f.primaryId,
      pairId: f.pairId,
      provider: f.provider,
      region: f.region,
      summary: f.summary,
      suggest: [
        `clawops pair status ${f.pairId} --json`,
        `clawops heal ${f.primaryId ?? '<instance>'} --json`,
      ],
      data: { userId: f.userId, ...data },
      dedupeKey: `PAIR_FAILED:${f.pairId}@${startedAt}`,
    },
    now,
  )
}
