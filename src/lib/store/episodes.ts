/**
 * Open conditions of the monitor ("hetzner degraded", "provision backlog"), each with the time it
 * began. An event's dedupe key names its episode, so one episode is announced once however many
 * cycles it lasts, and the next episode of the same condition is announced again.
 */
import type { Store } from './store.js'

export class Episodes {
  constructor(private readonly store: Store) {}

  /** The start of the open episode for `key`, opening it at `now` when there is none. */
  open(key: string, now: string, detail: unknown = null): { startedAt: string; opened: boolean } {
    const res = this.store.db
      .prepare(
        'INSERT INTO watch_episodes (key, started_at, detail) VALUES (?, ?, ?) ON CONFLICT (key) DO NOTHING',
      )
      .run(key, now, JSON.stringify(detail))
    const row = this.store.db.prepare('SELECT started_at FROM watch_episodes WHERE key = ?').get(key) as {
      started_at: string
    }
    return { startedAt: row.started_at, opened: Number(res.changes) > 0 }
  }

  get(key: string): string | null {
    const row = this.store.db.prepare('SELECT started_at FROM watch_episodes WHERE key = ?').get(key) as
      | { started_at: string }
      | undefined
    return row?.started_at ?? null
  }

  /** Closes the episode; true when one was open. */
  close(key: string): boolean {
    return Number(this.store.db.prepare('DELETE FROM watch_episodes WHERE key = ?').run(key).changes) > 0
  }

  openWithPrefix(prefix: string): { key: string; startedAt: string }[] {
    return (
      this.store.db
        .prepare("SELECT key, started_at FROM watch_episodes WHERE key LIKE ? ESCAPE '\\' ORDER BY key")
        .all(`${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`) as { key: string; started_at: string }[]
    ).map((r) => ({ key: r.key, startedAt: r.started_at }))
  }
}
