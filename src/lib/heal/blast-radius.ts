/**
 * The facts of the blast-radius rule for a set of primaries about to fail over: per provider and per
 * region of a provider, how many pairs had their primary there at the start of the window and how
 * many would have failed over by the end of this plan. The rule itself is in policy/rules.ts.
 */

import type { WatchSettings } from '../config/watch-settings.js'
import type { Instance } from '../domain/instance.js'
import type { BlastRadiusFact, BlastRadiusScope } from '../policy/rules.js'
import { Failovers } from '../store/failovers.js'
import { Instances } from '../store/instances.js'
import type { Store } from '../store/store.js'

export function blastRadiusFor(
  store: Store,
  settings: WatchSettings,
  primaries: readonly Pick<Instance, 'provider' | 'region'>[],
  now: Date,
  excludeOp?: string,
): BlastRadiusFact {
  const since = new Date(now.getTime() - settings.blastRadius.windowMs).toISOString()
  const failovers = store.repo(Failovers)
  const groups = new Map<
    string,
    { scope: 'provider' | 'region'; provider: string; region?: string; n: number }
  >()
  for (const p of primaries) {
    for (const [key, g] of [
      [`p:${p.provider}`, { scope: 'provider' as const, provider: p.provider }],
      [`r:${p.provider}/${p.region}`, { scope: 'region' as const, provider: p.provider, region: p.region }],
    ] as const) {
      const cur = groups.get(key) ?? { ...g, n: 0 }
      cur.n++
      groups.set(key, cur)
    }
  }
  const scopes: BlastRadiusScope[] = [...groups.values()].map((g) => {
    const recent = failovers.countSince(since, { provider: g.provider, region: g.region }, excludeOp)
    return {
      scope: g.scope,
      name: g.region ? `${g.provider}/${g.region}` : g.provider,
      // Primaries that already failed over in the window became standbys; they were pairs of this scope.
      pairs: store.repo(Instances).primariesIn(g.provider, g.region) + recent,
      wouldFailOver: recent + g.n,
    }
  })
  return {
    maxShare: settings.blastRadius.maxShare,
    minFailovers: settings.blastRadius.minFailovers,
    windowMinutes: Math.round(settings.blastRadius.windowMs / 60_000),
    scopes,
  }
}
