import { describe, expect, it } from 'vitest'
import type { InstanceState, Role } from '../../../src/lib/domain/instance.js'
import { type PairCondition, pairView, userAffected, userUnserved } from '../../../src/lib/domain/pair.js'
import { pairStatus } from '../../../src/lib/fleet/instance-query.js'
import { Instances } from '../../../src/lib/store/instances.js'
import { testContext } from '../../support/context.js'
import { addPair } from '../../support/watch-fakes.js'

const m = (role: Role, state: InstanceState) => ({ role, state })
const p = (
  primary: InstanceState | null,
  standby: InstanceState | null,
  ...more: [Role, InstanceState][]
) => [
  ...(primary ? [m('primary', primary)] : []),
  ...(standby ? [m('standby', standby)] : []),
  ...more.map(([r, s]) => m(r, s)),
]

describe('what a pair means for its user', () => {
  const cases: [string, ReturnType<typeof p>, PairCondition, boolean][] = [
    ['both ACTIVE', p('ACTIVE', 'ACTIVE'), 'serving', true],
    ['the standby down', p('ACTIVE', 'FAILED'), 'serving', false],
    ['a replacement standby on its way', p('ACTIVE', 'CREATING'), 'serving', false],
    [
      'a quarantined old primary next to the new one',
      p('ACTIVE', null, ['primary', 'QUARANTINED']),
      'serving',
      false,
    ],
    ['a new pair booting', p('CREATING', 'BOOTSTRAPPING'), 'creating', false],
    ['a failover under way', p('QUARANTINED', 'STANDBY_PROMOTING'), 'promoting', false],
    ['the primary FAILED for hours, the standby never promoted', p('FAILED', 'ACTIVE'), 'at-risk', true],
    ['the primary torn down, the standby left a standby', p('DELETED', 'ACTIVE'), 'at-risk', true],
    ['no primary row at all', p(null, 'ACTIVE'), 'at-risk', true],
    ['the primary changing while the standby waits', p('RESIZING', 'ACTIVE'), 'at-risk', true],
    ['the primary DEGRADED (the heal tree owns it)', p('DEGRADED', 'ACTIVE'), 'degraded', true],
    ['nothing ACTIVE', p('FAILED', 'FAILED'), 'unserved', false],
    ['a DEGRADED primary and no standby to go to', p('DEGRADED', 'FAILED'), 'unserved', false],
    [
      'the primary FAILED while its replacement standby is created',
      p('FAILED', 'CREATING'),
      'unserved',
      false,
    ],
    ['everything deleted', p('DELETED', 'DELETED'), 'retired', false],
  ]
  for (const [what, members, condition, failoverReady] of cases) {
    it(`${what}: ${condition}`, () => {
      const v = pairView(members)
      expect(v.condition).toBe(condition)
      expect(v.serving).toBe(condition === 'serving')
      expect(v.failoverReady).toBe(failoverReady)
    })
  }

  it('counts users who lost their gateway (exposure) and users with none working (SLA)', () => {
    expect(['serving', 'creating', 'retired'].map((c) => userAffected(c as PairCondition))).toEqual([
      false,
      false,
      false,
    ])
    expect(
      ['degraded', 'promoting', 'at-risk', 'unserved'].every((c) => userAffected(c as PairCondition)),
    ).toBe(true)
    expect(['at-risk', 'unserved', 'promoting'].every((c) => userUnserved(c as PairCondition))).toBe(true)
    expect(userUnserved('degraded')).toBe(false)
  })

  it('pair status says serving: false and at-risk for a FAILED primary whose ACTIVE standby was never promoted', () => {
    const ctx = testContext()
    const pair = addPair(ctx)
    ctx.store().repo(Instances).update(pair.primary.id, { state: 'FAILED' })
    const [s] = pairStatus(ctx, pair.pairId)
    expect(s).toMatchObject({ condition: 'at-risk', serving: false, standbyReady: true })
    expect(s!.primary!.id).toBe(pair.primary.id)
  })
})
