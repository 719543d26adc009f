/** The pure pieces under the adapters: money, tags, names, backoff, the token bucket. */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { backoffDelay, DEFAULT_RETRY, parseRetryAfter } from '../../../src/lib/providers/backoff.js'
import type { Clock } from '../../../src/lib/providers/clock.js'
import {
  centsPerMonth,
  decimalToCents,
  decimalToScaled,
  numberToDecimal,
  scaledToDecimal,
} from '../../../src/lib/providers/decimal.js'
import { opMarker, serverName, shortOpId, withOpLabel } from '../../../src/lib/providers/names.js'
import { labelSelector, labelToTag, tagsToLabels, tagToLabel } from '../../../src/lib/providers/tags.js'
import { TokenBucket } from '../../../src/lib/providers/token-bucket.js'

describe('decimal money', () => {
  it('converts decimal strings to cents exactly, half-up', () => {
    expect(decimalToCents('4.4900000000')).toBe(449)
    expect(decimalToCents('5.3431000000')).toBe(534)
    expect(decimalToCents('0.005')).toBe(1)
    expect(decimalToCents('0.0049999')).toBe(0)
    expect(decimalToCents('12')).toBe(1200)
    expect(() => decimalToCents('1e3')).toThrow()
    // Where binary floats go wrong: 1.005 * 100 = 100.49999999999999.
    expect(decimalToCents('1.005')).toBe(101)
  })

  it('round-trips scaled values', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n }),
        fc.integer({ min: 0, max: 10 }),
        (v, scale) => {
          expect(decimalToScaled(scaledToDecimal(v, scale), scale)).toBe(v)
        },
      ),
    )
  })

  it('keeps JSON numbers as the decimals they were written as', () => {
    expect(numberToDecimal(0.01786)).toBe('0.01786')
    expect(numberToDecimal(12)).toBe('12')
    expect(numberToDecimal(1e-7)).toBe('0.0000001')
  })

  it('spreads a term price over its months', () => {
    expect(centsPerMonth(649, 1)).toBe('6.4900')
    expect(centsPerMonth(6230, 12)).toBe('5.1917')
    expect(centsPerMonth(1000, 3)).toBe('3.3333')
  })
})

describe('labels as tags', () => {
  it('encodes clawops labels readably and other keys reversibly', () => {
    expect(labelToTag('clawops/role', 'primary')).toBe('clawops:role:primary')
    expect(labelToTag('app.example.com/x_y', '1.2')).toBe('clawops:_xapp_dexample_dcom_sx__y:1_d2')
    expect(tagToLabel('clawops:_xapp_dexample_dcom_sx__y:1_d2')).toEqual(['app.example.com/x_y', '1.2'])
    expect(tagToLabel('unrelated')).toBeNull()
    expect(tagToLabel('clawops:bad_qescape:v')).toBeNull()
  })

  it('round-trips any valid label into a DigitalOcean-legal tag', () => {
    const part = fc.stringMatching(/^[a-z0-9]([a-z0-9._-]{0,20}[a-z0-9])?$/)
    const dns = fc.stringMatching(/^[a-z0-9]([a-z0-9.-]{0,20}[a-z0-9])?$/)
    fc.assert(
      fc.property(
        fc.option(dns, { nil: undefined }),
        part,
        fc.oneof(fc.constant(''), part),
        (prefix, name, value) => {
          const key = prefix ? `${prefix}/${name}` : name
          const tag = labelToTag(key, value)
          expect(tag).toMatch(/^[a-zA-Z0-9_\-:]+$/)
          expect(tagsToLabels([tag, 'other-tag'])).toEqual({ [key]: value })
        },
      ),
    )
  })

  it('builds Hetzner label selectors', () => {
    expect(labelSelector({ 'clawops/fleet': 'f1', 'clawops/role': 'primary' })).toBe(
      'clawops/fleet==f1,clawops/role==primary',
    )
  })
})

describe('names and op ids', () => {
  it('makes deterministic hostnames that end with the op marker', () => {
    const a = serverName({ fleet: 'Prod EU', pair: 'pair-0042', role: 'standby', opId: 'op-7k2m9x4q1d' })
    expect(a).toBe(
      serverName({ fleet: 'Prod EU', pair: 'pair-0042', role: 'standby', opId: 'op-7k2m9x4q1d' }),
    )
    expect(a).toMatch(/^claw-prod-eu-pair-0042-standby-[0-9a-f]{10}$/)
    expect(a.endsWith(opMarker('op-7k2m9x4q1d'))).toBe(true)
    expect(shortOpId('a')).not.toBe(shortOpId('b'))
    const long = serverName({ fleet: 'f'.repeat(80), pair: 'p'.repeat(80), role: 'primary', opId: 'x' })
    expect(long.length).toBeLessThanOrEqual(63)
    expect(long.endsWith(`-primary${opMarker('x')}`)).toBe(true)
  })

  it('cuts the fleet before the pair: a resize replacement stays findable by its pair key', () => {
    // The longest fleet the config allows, a resize replacement's name key, its highest try.
    const key = 'p-7k2m9x4q1d-ab3z'
    const name = serverName({ fleet: 'f'.repeat(16), pair: key, role: 'standby', opId: 'op-x', attempt: 99 })
    expect(name).toBe(`claw-${'f'.repeat(16)}-${key}-standby99${opMarker('op-x')}`)
    // A pair key longer than the config could ever make: the fleet gives way, the key is whole.
    const longKey = `imported-pair-${'k'.repeat(20)}`
    const cut = serverName({ fleet: 'f'.repeat(16), pair: longKey, role: 'standby', opId: 'op-x' })
    expect(cut.length).toBeLessThanOrEqual(63)
    expect(cut).toContain(longKey)
    expect(cut).toMatch(/^claw-f+-imported-pair-/)
  })

  it('adds the op label and refuses op ids that cannot be label values', () => {
    expect(withOpLabel({ a: 'b' }, 'op-1')).toEqual({ a: 'b', 'clawops/op': 'op-1' })
    expect(() => withOpLabel({}, 'op with spaces')).toThrow(/operation id/)
  })
})

describe('backoff', () => {
  it('grows exponentially within [d/2, d] and stops at the cap', () => {
    const p = { ...DEFAULT_RETRY, baseMs: 100, capMs: 1000 }
    expect(backoffDelay(0, p, () => 0)).toBe(50)
    expect(backoffDelay(0, p, () => 1)).toBe(100)
    expect(backoffDelay(3, p, () => 1)).toBe(800)
    expect(backoffDelay(10, p, () => 1)).toBe(1000)
    expect(backoffDelay(10, p, () => 0)).toBe(500)
  })

  it('reads Retry-After as seconds or a date', () => {
    expect(parseRetryAfter('3', 0)).toBe(3000)
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4000)).toBe(6000)
    expect(parseRetryAfter('soon', 0)).toBeNull()
    expect(parseRetryAfter(undefined, 0)).toBeNull()
  })
})

describe('token bucket', () => {
  function fakeClock(): Clock & { t: number; waited: number[] } {
    const c = {
      t: 0,
      waited: [] as number[],
      now: () => c.t,
      sleep: async (ms: number) => {
        c.waited.push(ms)
        c.t += ms
      },
    }
    return c
  }

  it('lets a burst through, then paces at the refill rate', async () => {
    const clock = fakeClock()
    const b = new TokenBucket({ capacity: 3, refillPerSec: 2 }, clock)
    for (let i = 0; i < 3; i++) expect(await b.take()).toBe(0)
    expect(await b.take()).toBe(500)
    expect(await b.take()).toBe(500)
  })

  it('queues concurrent callers in order', async () => {
    const clock = { now: () => 0, sleep: async () => {} }
    const b = new TokenBucket({ capacity: 1, refillPerSec: 10 }, clock)
    const waits = await Promise.all([b.take(), b.take(), b.take()])
    expect(waits).toEqual([0, 100, 200])
  })

  it('believes the server about what remains and when it resets', async () => {
    const clock = fakeClock()
    const b = new TokenBucket({ capacity: 100, refillPerSec: 1 }, clock)
    b.observe({ remaining: 0, blockedUntil: 5000 })
    expect(await b.take()).toBe(5000)
    b.observe({ remaining: 2 })
    expect(b.available()).toBeLessThanOrEqual(2)
  })
})
