import { describe, expect, it } from 'vitest'
import { UserError } from '../../../src/lib/errors.js'
import { describeBudget, judgeBudget, parseBudget } from '../../../src/lib/rollout/budget.js'

describe('failure budget', () => {
  it('reads a share or a count, and refuses anything else', () => {
    expect(parseBudget('2%')).toEqual({ kind: 'pct', value: 2 })
    expect(parseBudget(' 0.5% ')).toEqual({ kind: 'pct', value: 0.5 })
    expect(parseBudget('3')).toEqual({ kind: 'count', value: 3 })
    for (const bad of ['', '2 %', '-1', '101%', 'two', '1.5'])
      expect(() => parseBudget(bad), bad).toThrow(UserError)
    expect(describeBudget({ kind: 'count', value: 1 })).toBe('1 instance')
  })

  it('halts above 2 % failed, not at 2 %', () => {
    const b = parseBudget('2%')
    expect(judgeBudget(b, { processed: 50, failed: 1 }, null).exceeded).toBe(false)
    expect(judgeBudget(b, { processed: 50, failed: 2 }, null).exceeded).toBe(true)
    expect(judgeBudget(b, { processed: 100, failed: 2 }, null).exceeded).toBe(false)
    expect(judgeBudget(b, { processed: 0, failed: 0 }, null).exceeded).toBe(false)
    expect(judgeBudget(b, { processed: 50, failed: 2 }, null).message).toBe('2 of 50 failed (4% > 2%)')
  })

  it('a 0 % budget halts on the first failure; a count budget on one more than allowed', () => {
    expect(judgeBudget(parseBudget('0%'), { processed: 500, failed: 1 }, null).exceeded).toBe(true)
    expect(judgeBudget(parseBudget('0%'), { processed: 500, failed: 0 }, null).exceeded).toBe(false)
    expect(judgeBudget(parseBudget('3'), { processed: 10, failed: 3 }, null).exceeded).toBe(false)
    expect(judgeBudget(parseBudget('3'), { processed: 10, failed: 4 }, null).exceeded).toBe(true)
  })

  it('after a resume, only failures since then count, over what was processed since then', () => {
    const b = parseBudget('2%')
    const accepted = { processed: 50, failed: 5 }
    expect(judgeBudget(b, { processed: 50, failed: 5 }, accepted).exceeded).toBe(false)
    expect(judgeBudget(b, { processed: 100, failed: 6 }, accepted).exceeded).toBe(false)
    const v = judgeBudget(b, { processed: 100, failed: 7 }, accepted)
    expect(v.exceeded).toBe(true)
    expect(v.window).toEqual({ processed: 50, failed: 2 })
  })
})
