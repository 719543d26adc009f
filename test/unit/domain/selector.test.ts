import { describe, expect, it } from 'vitest'
import { matches, parseSelector } from '../../../src/lib/domain/selector.js'
import { UserError } from '../../../src/lib/errors.js'

const labels = { provider: 'hetzner', region: 'nbg1', role: 'primary', cohort: 'beta', 'clawops/op': 'op-1' }

describe('label selectors', () => {
  it.each([
    ['provider=hetzner', true],
    ['provider==hetzner', true],
    ['provider!=hetzner', false],
    ['region in (nbg1,fsn1)', true],
    ['region notin (nbg1, fsn1)', false],
    ['cohort', true],
    ['!cohort', false],
    ['!lab', true],
    ['clawops/op=op-1', true],
    ['provider=hetzner,role=standby', false],
    ['provider=hetzner, region in (nbg1,hel1), !lab', true],
    ['', true],
  ])('%s → %s', (sel, want) => {
    expect(matches(parseSelector(sel), labels)).toBe(want)
  })

  it.each(['provider=', '=x', 'a=b=c', 'region in (a', 'x,,y', 'bad key=1', 'k=v!'])('rejects %j', (sel) => {
    if (sel === 'provider=') {
      // An empty value is legal (Hetzner allows empty label values).
      expect(parseSelector(sel)).toEqual([{ key: 'provider', op: 'eq', value: '' }])
      return
    }
    expect(() => parseSelector(sel)).toThrow(UserError)
  })
})
