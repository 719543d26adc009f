/**
 * `clawops config history` and `clawops config show <version>`: the numbered config versions (pushes
 * and rollbacks), each with its rollout's status and counts; one version with its document, the diff
 * it declares and the diff it actually made on the instances. Read-only; no zod.
 */
import type { Context } from '../context.js'
import { UserError } from '../errors.js'
import { ConfigRollouts, type OutcomeCounts } from '../store/config-rollouts.js'
import { type ConfigVersion, ConfigVersions } from '../store/config-versions.js'
import { type RolloutState, type RolloutView, stateOf, viewRollout } from './view.js'

export interface HistoryEntry {
  version: number
  kind: ConfigVersion['kind']
  rolloutId: string
  status: RolloutState | null
  summary: string
  actor: string
  createdAt: string
  /** A rollback: the version it undid. */
  reverts: number | null
  counts: OutcomeCounts | null
}

export function configHistory(ctx: Context, limit = 20): HistoryEntry[] {
  const rollouts = ctx.store().repo(ConfigRollouts)
  return ctx
    .store()
    .repo(ConfigVersions)
    .list(limit)
    .map((v) => {
      const r = rollouts.get(v.rolloutId)
      return {
        version: v.version,
        kind: v.kind,
        rolloutId: v.rolloutId,
        status: r ? stateOf(ctx, r) : null,
        summary: v.summary,
        actor: v.actor,
        createdAt: v.createdAt,
        reverts: v.reverts,
        counts: r ? viewRollout(ctx, r).counts : null,
      }
    })
}

export interface VersionDetail extends ConfigVersion {
  rollout: Omit<RolloutView, 'instances'> | null
}

export function showVersion(ctx: Context, ref: string): VersionDetail {
  const m = /^v?(\d+)$/.exec(ref.trim())
  if (!m)
    throw new UserError('INVALID_INPUT', `"${ref}" is not a config version`, {
      hint: 'Versions look like 12 or v12.',
    })
  const v = ctx.store().repo(ConfigVersions).get(Number(m[1]))
  if (!v)
    throw new UserError('NOT_FOUND', `no config version ${m[1]}`, { hint: 'See clawops config history.' })
  const r = ctx.store().repo(ConfigRollouts).get(v.rolloutId)
  if (!r) return { ...v, rollout: null }
  const { instances: _instances, ...rollout } = viewRollout(ctx, r)
  return { ...v, rollout }
}
