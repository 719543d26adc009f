import { describe, expect, it } from 'vitest'
import { parseSelector } from '../../../src/lib/lab/cloud/label-selector.js'

const labels = { 'clawops/fleet': 'f1', 'clawops/role': 'primary', env: 'prod' }

describe('hetzner label selector (lab)', () => {
  it.each([
    ['', true],
    ['clawops/fleet==f1', true],
    ['clawops/fleet=f1', true],
    ['clawops/fleet==f2', false],
    ['clawops/role!=standby', true],
    ['env', true],
    ['!env', false],
    ['!missing', true],
    ['env in (prod,staging)', true],
    ['env notin (prod, staging)', false],
    ['clawops/fleet==f1,clawops/role==primary,env in (prod)', true],
    ['clawops/fleet==f1,clawops/role==standby', false],
  ])('%s → %s', (selector, expected) => {
    expect(parseSelector(selector)!(labels)).toBe(expected)
  })

  it('refuses what does not parse', () => {
    expect(parseSelector('a b c')).toBeNull()
    expect(parseSelector('env in prod')).toBeNull()
  })
})
