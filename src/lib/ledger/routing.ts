/**
 * Changes to the provider routing: applying a requested change to a version's config, the rules every
 * routing must satisfy, and a readable description of what changed. The pipeline kind in
 * ops/routing-set.ts turns a change into a new version.
 */

import type { Provider, RegionGroup } from '../domain/provider.js'
import { UserError } from '../errors.js'
import type { GroupRouting, RoutingConfig } from '../store/routing.js'

export const ROUTING_GROUPS: readonly RegionGroup[] = ['eu', 'us', 'ap']
export const ROUTING_PROVIDERS: readonly Provider[] = [
  'hetzner',
  'vultr',
  'digitalocean',
  'contabo',
  'hostinger',
]

export interface RoutingChange {
  /** The region groups the change applies to. */
  groups: RegionGroup[]
  /** Replace the ordered primary pool. */
  primary?: Provider[]
  /** Replace the ordered standby pool. */
  standby?: Provider[]
  removePrimary?: Provider[]
  removeStandby?: Provider[]
  /** Use these providers for nothing new (they leave both pools). */
  exclude?: Provider[]
  /** Lift an exclusion (the provider joins no pool by itself: name it in --primary/--standby). */
  include?: Provider[]
  reason?: string
}

function applyToGroup(g: GroupRouting, c: RoutingChange): GroupRouting {
  const excluded = new Set(g.excluded)
  for (const p of c.include ?? []) excluded.delete(p)
  for (const p of c.exclude ?? []) excluded.add(p)
  const drop = (pool: Provider[], remove: Provider[] | undefined) =>
    pool.filter((p) => !excluded.has(p) && !(remove ?? []).includes(p))
  return {
    primary: drop(c.primary ?? g.primary, c.removePrimary),
    standby: drop(c.standby ?? g.standby, c.removeStandby),
    excluded: ROUTING_PROVIDERS.filter((p) => excluded.has(p)),
  }
}

/** The rules: pools without duplicates or excluded providers, and a standby for every primary. */
export function validateRouting(config: RoutingConfig): void {
  const problems: string[] = []
  for (const group of ROUTING_GROUPS) {
    const g = config[group]
    for (const [name, pool] of [
      ['primary', g.primary],
      ['standby', g.standby],
    ] as const) {
      if (pool.length === 0) problems.push(`${group}: the ${name} pool is empty`)
      if (new Set(pool).size !== pool.length)
        problems.push(`${group}: the ${name} pool names a provider twice`)
      const bad = pool.filter((p) => g.excluded.includes(p))
      if (bad.length) problems.push(`${group}: ${bad.join(', ')} is excluded but in the ${name} pool`)
    }
    const lonely = g.primary.filter((p) => !g.standby.some((s) => s !== p))
    if (lonely.length) {
      problems.push(`${group}: a ${lonely.join('/')} primary would have no standby on another provider`)
    }
  }
  if (problems.length > 0) {
    throw new UserError(
      'INVALID_INPUT',
      `the routing change would break the routing rules: ${problems.join('; ')}`,
      {
        hint: 'Keep at least one primary and one standby provider per group, a standby provider different from each primary, and no excluded provider in a pool.',
        details: { problems },
      },
    )
  }
}

export function applyRoutingChange(config: RoutingConfig, change: RoutingChange): RoutingConfig {
  const next = structuredClone(config)
  for (const group of change.groups) next[group] = applyToGroup(config[group], change)
  validateRouting(next)
  return next
}

/** What changed between two routings, one line per group and pool. */
export function describeRoutingDiff(from: RoutingConfig, to: RoutingConfig): string[] {
  const lines: string[] = []
  for (const group of ROUTING_GROUPS) {
    for (const key of ['primary', 'standby', 'excluded'] as const) {
      const a = from[group][key]
      const b = to[group][key]
      if (a.join(',') === b.join(',')) continue
      const removed = a.filter((p) => !b.includes(p))
      const added = b.filter((p) => !a.includes(p))
      const parts = [
        ...(removed.length ? [`without ${removed.join(', ')}`] : []),
        ...(added.length ? [`with ${added.join(', ')}`] : []),
      ]
      if (parts.length === 0) parts.push('reordered')
      lines.push(`${group} ${key}: ${parts.join(', ')} → [${b.join(', ')}]`)
    }
  }
  return lines
}
