/**
 * Config versions: every pushed change and every rollback, numbered in order, with the document and
 * its diff (`clawops config history`, `clawops config show <version>`). Rows are never edited.
 */
import type { RolloutKind } from './config-rollouts.js'
import type { Store } from './store.js'

export interface ConfigVersion {
  version: number
  rolloutId: string
  kind: RolloutKind
  format: string | null
  document: unknown
  /** The document's changes (push) or what is restored (rollback), values redacted. */
  diff: unknown
  reverts: number | null
  summary: string
  actor: string
  createdAt: string
}

interface VersionRow {
  version: number
  rollout_id: string
  kind: RolloutKind
  format: string | null
  document: string | null
  diff: string
  reverts: number | null
  summary: string
  actor: string
  created_at: string
}

function versionFromRow(r: VersionRow): ConfigVersion {
  return {
    version: r.version,
    rolloutId: r.rollout_id,
    kind: r.kind,
    format: r.format,
    document: r.document === null ? null : JSON.parse(r.document),
    diff: JSON.parse(r.diff),
    reverts: r.reverts,
    summary: r.summary,
    actor: r.actor,
    createdAt: r.created_at,
  }
}

export class ConfigVersions {
  constructor(private readonly store: Store) {}

  /** Appends the next version (in the caller's transaction) and returns it. */
  append(v: Omit<ConfigVersion, 'version' | 'createdAt'>): ConfigVersion {
    const next =
      (
        this.store.db.prepare('SELECT coalesce(max(version), 0) AS v FROM config_versions').get() as {
          v: number
        }
      ).v + 1
    this.store.db
      .prepare(
        `INSERT INTO config_versions (version, rollout_id, kind, format, document, diff, reverts, summary, actor,
           created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        next,
        v.rolloutId,
        v.kind,
        v.format,
        v.document === null ? null : JSON.stringify(v.document),
        JSON.stringify(v.diff),
        v.reverts,
        v.summary,
        v.actor,
        this.store.now(),
      )
    const row = this.get(next)
    if (!row) throw new Error(`config version ${next} vanished`)
    return row
  }

  get(version: number): ConfigVersion | undefined {
    const row = this.store.db.prepare('SELECT * FROM config_versions WHERE version = ?').get(version) as
      | VersionRow
      | undefined
    return row && versionFromRow(row)
  }

  byRollout(rolloutId: string): ConfigVersion | undefined {
    const row = this.store.db.prepare('SELECT * FROM config_versions WHERE rollout_id = ?').get(rolloutId) as
      | VersionRow
      | undefined
    return row && versionFromRow(row)
  }

  list(limit = 50): ConfigVersion[] {
    return (
      this.store.db
        .prepare('SELECT * FROM config_versions ORDER BY version DESC LIMIT ?')
        .all(limit) as unknown as VersionRow[]
    ).map(versionFromRow)
  }
}
