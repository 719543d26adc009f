/**
 * When each user was last active in their OpenClaw gateway (a message, a session, a tool call), as
 * gf-clawnode reports it to the health sweep. The waste scan reads it to find idle accounts.
 */
import type { Store } from './store.js'

export interface UserActivityRow {
  userId: string
  lastActiveAt: string
  /** Who reported it, e.g. `clawnode:<instanceId>` or `lab`. */
  source: string
  updatedAt: string
}

export class UserActivity {
  constructor(private readonly store: Store) {}

  /**
   * Records activity; a report older than what is stored never moves the time back (sweeps of the
   * primary and the standby may arrive in any order).
   */
  record(rows: readonly { userId: string; lastActiveAt: string; source: string }[]): void {
    const now = this.store.now()
    this.store.tx(() => {
      const sql = `INSERT INTO user_activity (user_id, last_active_at, source, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (user_id) DO UPDATE SET
           source = CASE WHEN excluded.last_active_at > user_activity.last_active_at THEN excluded.source
                         ELSE user_activity.source END,
           last_active_at = ${this.store.sql.greatest('user_activity.last_active_at', 'excluded.last_active_at')},
           updated_at = excluded.updated_at`
      this.store.db.batch(
        sql,
        rows.map((r) => [r.userId, r.lastActiveAt, r.source, now]),
      )
    })
  }

  get(userId: string): UserActivityRow | undefined {
    return this.store.db
      .prepare(
        'SELECT user_id AS "userId", last_active_at AS "lastActiveAt", source, updated_at AS "updatedAt" FROM user_activity WHERE user_id = ?',
      )
      .get(userId) as UserActivityRow | undefined
  }

  /** Last activity per user. */
  all(): Map<string, { lastActiveAt: string; source: string }> {
    const rows = this.store.db
      .prepare('SELECT user_id AS "userId", last_active_at AS "lastActiveAt", source FROM user_activity')
      .all() as unknown as { userId: string; lastActiveAt: string; source: string }[]
    return new Map(rows.map((r) => [r.userId, { lastActiveAt: r.lastActiveAt, source: r.source }]))
  }
}

/** For the health sweep: record what gf-clawnode reported about a user's gateway activity. */
export function recordUserActivity(
  store: Store,
  rows: readonly { userId: string; lastActiveAt: string; source: string }[],
): void {
  store.repo(UserActivity).record(rows)
}
