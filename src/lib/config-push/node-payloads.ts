/**
 * The payloads of gf-clawnode's config.* and openclaw.health commands as clawops reads them (see
 * clawnode/commands/gateway-config.ts and openclaw.ts for the producing side).
 */
import type { Change, Json } from '../gateway/config-diff.js'

export interface ConfigGetResult {
  path: string
  exists: boolean
  hash: string | null
  /** Secrets already replaced by the placeholder; null when missing or malformed. */
  config: Record<string, Json> | null
  /** Why the file is not a usable config, when it is not. */
  malformed?: string
  previous: { exists: boolean; hash: string | null }
}

export interface ConfigPushResult {
  path: string
  changed: boolean
  hash: string | null
  previousHash?: string | null
  changes: Change[]
  validators: string[]
  restarted?: boolean
  healthy?: boolean
  /** The restarted gateway did not come up and the node put the previous file back. */
  rolledBack?: boolean
  healthyAfterRollback?: boolean
}

export interface ConfigRollbackResult {
  path: string
  hash: string | null
  replacedHash: string | null
  malformed?: string
  healthy?: boolean
}

export interface OpenclawHealthResult {
  healthy: boolean
  live: boolean
  ready: boolean
}
