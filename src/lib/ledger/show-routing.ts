/** `clawops provider routing show`: a routing version (the current one by default) and the history. */
import type { Context } from '../context.js'
import { UserError } from '../errors.js'
import { type RoutingVersion, RoutingVersions } from '../store/routing.js'

export interface RoutingShow {
  current: number
  shown: RoutingVersion
  history: Omit<RoutingVersion, 'config'>[]
}

export function showRouting(ctx: Context, opts: { version?: number; history?: number } = {}): RoutingShow {
  const repo = ctx.store().repo(RoutingVersions)
  const current = repo.current()
  const shown = opts.version === undefined ? current : repo.get(opts.version)
  if (!shown) {
    throw new UserError('NOT_FOUND', `no routing version ${opts.version}`, {
      hint: `Versions run from 0 (the built-in default) to ${current.version}.`,
    })
  }
  return {
    current: current.version,
    shown,
    history: repo.history(opts.history ?? 10).map(({ config: _config, ...meta }) => meta),
  }
}
