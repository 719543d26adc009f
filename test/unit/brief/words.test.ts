import { describe, expect, it } from 'vitest'
import {
  dollars,
  duration,
  listJoin,
  ordinal,
  signedPct,
  spokenDelta,
  spokenDollars,
} from '../../../src/lib/brief/words.js'

describe('briefing words', () => {
  it('rounds cents to whole dollars half up', () => {
    expect(dollars(124_749)).toBe('$1,247')
    expect(dollars(124_750)).toBe('$1,248')
    expect(dollars(-4_950)).toBe('-$50')
    expect(spokenDollars(100)).toBe('1 dollar')
    expect(spokenDollars(119_000)).toBe('1,190 dollars')
  })

  it('signs percentages and says them without symbols', () => {
    expect(signedPct(4.8)).toBe('+4.8%')
    expect(signedPct(-1.25)).toBe('-1.3%')
    expect(signedPct(null)).toBe('n/a')
    expect(spokenDelta(4.8)).toBe('4.8 percent above projection')
    expect(spokenDelta(-2)).toBe('2.0 percent below projection')
  })

  it('counts in words and joins lists', () => {
    expect([1, 2, 3, 10, 11, 12, 13, 21, 22, 23, 101].map(ordinal)).toEqual([
      'first',
      'second',
      'third',
      'tenth',
      '11th',
      '12th',
      '13th',
      '21st',
      '22nd',
      '23rd',
      '101st',
    ])
    expect(listJoin(['a'])).toBe('a')
    expect(listJoin(['a', 'b', 'c'])).toBe('a, b and c')
    expect(duration(40)).toBe('40 min')
    expect(duration(185)).toBe('3 h 5 min')
    expect(duration(3000)).toBe('2 d 2 h')
  })
})
