// biome-ignore-all lint/suspicious/noExplicitAny: the tests read JSON envelopes of many shapes
/**
 * Safety rules 2, 4 and 5 on the paths that used to slip past them, through the built CLI as an agent
 * or the operator calls it.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { ERROR_CODES } from '../../src/lib/errors.js'
import { clawops } from '../support/cli.js'
import { tempHome } from '../support/context.js'

let home: string
const env = () => ({ CLAWOPS_HOME: home, OPENCLAW_GATEWAY_TOKEN: '' })
const run = (...args: string[]) => clawops([...args, '--json'], env())

beforeAll(() => {
  home = tempHome()
  expect(run('lab', 'seed', '--pairs', '40', '--seed', '7').code).toBe(0)
})

describe('rule 5 across operations: silences', () => {
  it('refuses a fleet-wide silence to agents and holds it for the operator’s confirmation', () => {
    const bypass = ['silence', 'add', '--event', 'PAIR_FAILED', '--for', '7d', '--reason', 'noisy']
    for (const agent of ['guardian', 'commander']) {
      const r = run(...bypass, '--as', agent)
      expect(r.code).toBe(ERROR_CODES.POLICY_DENIED.exit)
      expect(r.json).toMatchObject({
        error: { code: 'POLICY_DENIED', details: { rules: ['unscoped-silence'] } },
      })
    }
    const ask = run(...bypass)
    expect(ask.code).toBe(ERROR_CODES.CONFIRMATION_REQUIRED.exit)
    const { planId, plan } = (ask.json as any).error.details
    expect(plan.affectedUsers).toBe(40)
    expect((run('silence', 'list').json as any).data.silences).toEqual([])
    const ok = run(...bypass, '--confirm', planId)
    expect(ok.code, ok.stdout).toBe(0)
    expect((ok.json as any).data.silence).toMatchObject({ eventType: 'PAIR_FAILED', provider: null })
  })

  it('asks for a confirmation when a scoped silence hides more than 10 users’ events', () => {
    const r = run(
      'silence',
      'add',
      '--provider',
      'hetzner',
      '--for',
      '30m',
      '--reason',
      'x',
      '--as',
      'guardian',
    )
    expect(r.code).toBe(ERROR_CODES.CONFIRMATION_REQUIRED.exit)
    const { planId, plan } = (r.json as any).error.details
    expect(plan.affectedUsers).toBeGreaterThan(10)
    // Guardian cannot confirm its own plan; Commander can.
    const again = run(
      'silence',
      'add',
      '--provider',
      'hetzner',
      '--for',
      '30m',
      '--reason',
      'x',
      '--as',
      'guardian',
      '--confirm',
      planId,
    )
    expect(again.code).toBe(ERROR_CODES.POLICY_DENIED.exit)
    const confirmed = run(
      'silence',
      'add',
      '--provider',
      'hetzner',
      '--for',
      '30m',
      '--reason',
      'x',
      '--as',
      'commander',
      '--confirm',
      planId,
    )
    expect(confirmed.code, confirmed.stdout).toBe(0)
  })
})
