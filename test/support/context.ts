/** A Context on a fresh temporary home, for tests that drive src/lib directly. */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DEFAULT_CONFIG } from '../../src/lib/config/defaults.js'
import { Context, type ContextOptions } from '../../src/lib/context.js'
import { onPostgres, storeLocation } from './store-engine.js'

export function tempHome(): string {
  return mkdtempSync(join(tmpdir(), 'clawops-test-'))
}

/** A Context on `opts.home` (or a new one), whose store is on the engine the test project runs on. */
export function testContext(opts: ContextOptions = {}): Context {
  const home = opts.home ?? tempHome()
  const config = onPostgres()
    ? { ...(opts.config ?? structuredClone(DEFAULT_CONFIG)), store: { url: storeLocation(home) } }
    : opts.config
  return new Context({ env: {}, ...opts, home, ...(config ? { config } : {}) })
}

/** A clock tests move by hand. */
export function manualClock(start = '2026-11-26T07:00:00.000Z') {
  let t = new Date(start).getTime()
  const clock = () => new Date(t)
  clock.advance = (ms: number) => {
    t += ms
  }
  return clock
}
