/** A Context on a fresh temporary home, for tests that drive src/lib directly. */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Context, type ContextOptions } from '../../src/lib/context.js'

export function tempHome(): string {
  return mkdtempSync(join(tmpdir(), 'clawops-test-'))
}

export function testContext(opts: ContextOptions = {}): Context {
  return new Context({ home: opts.home ?? tempHome(), env: {}, ...opts })
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
