/**
 * The `instant` boot driver: a server is "up" a fixed delay after it powers on, nothing runs. Used
 * for provider-API tests, benchmarks and synthetic fleets; seeded servers always use it.
 */
import type { BootDriver, BootServer, BootSignals } from './boot-driver.js'

export function instantBootDriver(opts: { delayMs: number }): BootDriver {
  const timers = new Map<string, NodeJS.Timeout>()
  const key = (s: BootServer) => `${s.provider}:${s.id}`
  return {
    name: 'instant',
    start(server: BootServer, signals: BootSignals) {
      const k = key(server)
      clearTimeout(timers.get(k))
      const t = setTimeout(() => {
        timers.delete(k)
        signals.ready()
      }, opts.delayMs)
      // A pending boot must not keep a finished test or lab process alive.
      t.unref()
      timers.set(k, t)
    },
    stop(server: BootServer) {
      const k = key(server)
      clearTimeout(timers.get(k))
      timers.delete(k)
    },
    async close() {
      for (const t of timers.values()) clearTimeout(t)
      timers.clear()
    },
  }
}
