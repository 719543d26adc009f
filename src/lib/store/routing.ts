/**
 * Provider routing, versioned: per region group, the ordered pool of providers new primaries are
 * placed on, the ordered standby pool, and providers excluded outright. Provisioning reads the current
 * version (`currentRouting`) and records it with what it creates; `clawops provider routing set`
 * appends a version through the plan/policy/audit pipeline. Versions are never edited.
 */
import type { Provider, RegionGroup } from '../domain/provider.js'
import type { Store } from './store.js'

export interface GroupRouting {
  /** Providers for new primaries, in order of preference. */
  primary: Provider[]
  /** Providers for new standbys, in order of preference (never the pair's primary provider). */
  standby: Provider[]
  /** Providers used for nothing new in this group. */
  excluded: Provider[]
}

export type RoutingConfig = Record<RegionGroup, GroupRouting>

export interface RoutingVersion {
  /** 0 is the built-in default, in force until the first `routing set`. */
  version: number
  config: RoutingConfig
  actor: string
  reason: string | null
  opId: string | null
  planId: string | null
  createdAt: string | null
}

/**
 * The built-in routing: Hetzner first for EU and AP primaries, Hostinger first in the US (the
 * cheapest there), standbys preferring hourly providers; every provider is in some pool so that
 * standbys can always avoid the primary's provider.
 */
export const DEFAULT_ROUTING: RoutingConfig = {
  eu: {
    primary: ['hetzner', 'vultr', 'digitalocean', 'contabo', 'hostinger'],
    standby: ['vultr', 'digitalocean', 'hetzner', 'contabo', 'hostinger'],
    excluded: [],
  },
  us: {
    primary: ['hostinger', 'vultr', 'hetzner', 'digitalocean', 'contabo'],
    standby: ['contabo', 'digitalocean', 'vultr', 'hetzner', 'hostinger'],
    excluded: [],
  },
  ap: {
    primary: ['hetzner', 'vultr', 'digitalocean', 'contabo', 'hostinger'],
    standby: ['vultr', 'digitalocean', 'contabo', 'hetzner', 'hostinger'],
    excluded: [],
  },
}

interface Row {
  version: number
  config: string
  actor: string
  reason: string | null
  op_id: string | null
  plan_id: string | null
  created_at: string
}

function fromRow(r: Row): RoutingVersion {
  return {
    version: r.version,
    config: JSON.parse(r.config) as RoutingConfig,
    actor: r.actor,
    reason: r.reason,
    opId: r.op_id,
    planId: r.plan_id,
    createdAt: r.created_at,
  }
}

const DEFAULT_VERSION: RoutingVersion = {
  version: 0,
  config: DEFAULT_ROUTING,
  actor: 'default',
  reason: 'built-in default',
  opId: null,
  planId: null,
  createdAt: null,
}

export class RoutingVersions {
  constructor(private readonly store: Store) {}

  current(): RoutingVersion {
    const row = this.store.db.prepare('SELECT * FROM routing_versions ORDER BY version DESC LIMIT 1').get() as
      | Row
      | undefined
    return row ? fromRow(row) : structuredClone(DEFAULT_VERSION)
  }

  get(version: number): RoutingVersion | undefined {
    if (version === 0) return structuredClone(DEFAULT_VERSION)
    const row = this.store.db.prepare('SELECT * FROM routing_versions WHERE version = ?').get(version) as
      | Row
      | undefined
    return row && fromRow(row)
  }

  byOp(opId: string): RoutingVersion | undefined {
    const row = this.store.db.prepare('SELECT * FROM routing_versions WHERE op_id = ?').get(opId) as
      | Row
      | undefined
    return row && fromRow(row)
  }

  /** Newest first. */
  history(limit = 20): RoutingVersion[] {
    return (
      this.store.db
        .prepare('SELECT * FROM routing_versions ORDER BY version DESC LIMIT ?')
        .all(limit) as unknown as Row[]
    ).map(fromRow)
  }

  /**
   * Appends version `base + 1`. Refuses (returns null) when the current version is no longer `base`:
   * two changes planned from the same version must not both land.
   */
  append(
    base: number,
    config: RoutingConfig,
    meta: { actor: string; reason: string | null; opId: string | null; planId: string | null },
  ): RoutingVersion | null {
    return this.store.tx(() => {
      if (this.current().version !== base) return null
      const row = this.store.db
        .prepare(
          `INSERT INTO routing_versions (version, config, actor, reason, op_id, plan_id, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING *`,
        )
        .get(
          base + 1,
          JSON.stringify(config),
          meta.actor,
          meta.reason,
          meta.opId,
          meta.planId,
          this.store.now(),
        ) as unknown as Row
      return fromRow(row)
    })
  }
}

/** For provisioning: the routing in force now (version and pools). */
export function currentRouting(store: Store): RoutingVersion {
  return store.repo(RoutingVersions).current()
}

/**
 * The providers to try for a new pair in `group`, in order: primaries, and standbys that are not the
 * chosen primary's provider. `primaryProvider` narrows the standby list for a given primary.
 */
export function poolsFor(
  routing: RoutingConfig,
  group: RegionGroup,
  primaryProvider?: Provider,
): { primary: Provider[]; standby: Provider[] } {
  const g = routing[group]
  const usable = (p: Provider) => !g.excluded.includes(p)
  return {
    primary: g.primary.filter(usable),
    standby: g.standby.filter((p) => usable(p) && p !== primaryProvider),
  }
}
