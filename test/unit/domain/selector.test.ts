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
    // `provider=`: no instance has an empty provider (an empty label value is legal, see below).
    expect(() => parseSelector(sel)).toThrow(UserError)
  })

  it('accepts an empty label value (Hetzner allows them)', () => {
    expect(parseSelector('cohort=')).toEqual([{ key: 'cohort', op: 'eq', value: '' }])
  })

  it('refuses a field value no instance can have, naming the accepted ones', () => {
    for (const [sel, field] of [
      ['tier=huge', 'tier'],
      ['state=FOO', 'state'],
      ['role!=boss', 'role'],
      ['provider in (hetzner,aws)', 'provider'],
      ['region=mars1', 'region'],
    ] as const) {
      let err: unknown
      try {
        parseSelector(sel)
      } catch (e) {
        err = e
      }
      expect(err, sel).toBeInstanceOf(UserError)
      expect((err as UserError).code).toBe('INVALID_INPUT')
      expect((err as UserError).message).toContain(`${field} is one of:`)
      expect((err as UserError).details).toMatchObject({ field })
    }
    expect(
      (() => {
        try {
          parseSelector('state=active')
        } catch (e) {
          return (e as UserError).hint
        }
      })(),
    ).toMatch(/state=ACTIVE/)
    // Labels are free: any value of a key that is not a field is a legal question.
    expect(parseSelector('cohort=huge')).toHaveLength(1)
  })
})
