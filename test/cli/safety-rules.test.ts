// biome-ignore-all lint/suspicious/noExplicitAny: the tests read JSON envelopes of many shapes
/**
 * Safety rules 2, 4 and 5 on the paths that used to slip past them, through the built CLI as an agent
 * or the operator calls it.
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { ERROR_CODES } from '../../src/lib/errors.js'
import { clawops, clawopsAsync } from '../support/cli.js'
import { tempHome } from '../support/context.js'
import { freePort } from '../support/gateway-process.js'

let home: string
/** A fleet of 70 pairs: 132 ACTIVE instances, enough for rule 2. */
let big: string
const env = (h = home) => ({ CLAWOPS_HOME: h, OPENCLAW_GATEWAY_TOKEN: '' })
const run = (...args: string[]) => clawops([...args, '--json'], env())
const runBig = (...args: string[]) => clawops([...args, '--json'], env(big))

beforeAll(async () => {
  home = tempHome()
  big = tempHome()
  // No provider's status page answers here (a closed port): every status is unknown.
  writeFileSync(
    join(home, 'config.json'),
    JSON.stringify({ watch: { statusPageBase: `http://127.0.0.1:${await freePort()}/_status` } }),
  )
  expect(run('lab', 'seed', '--pairs', '40', '--seed', '7').code).toBe(0)
  expect(runBig('lab', 'seed', '--pairs', '70', '--seed', '7').code).toBe(0)
  writeFileSync(
    join(big, 'kimi.json'),
    JSON.stringify({ agents: { defaults: { model: { primary: 'moonshot/kimi-k2.5' } } } }),
  )
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

describe('rule 2 with teeth: config pushes above 100 instances', () => {
  const push = (...args: string[]) => runBig('config', 'push', '--merge', join(big, 'kimi.json'), ...args)
  const rulesOf = (r: { json: unknown }) =>
    ((r.json as any).error.details.findings as any[]).map((f) => f.rule)

  it('holds batches of half the fleet, no pause and a 100 % budget for the operator or Commander', () => {
    for (const loose of [
      ['--batch-size', '66'],
      ['--pause', '0'],
      ['--max-failures', '100%'],
    ]) {
      const r = push(...loose, '--as', 'commander')
      expect(r.code, r.stdout).toBe(ERROR_CODES.CONFIRMATION_REQUIRED.exit)
      expect(rulesOf(r)).toContain('rollout-limits')
      const op = push(...loose)
      expect(op.code).toBe(ERROR_CODES.CONFIRMATION_REQUIRED.exit)
      expect(rulesOf(op)).toContain('rollout-limits')
    }
    const twoBatches = push('--batch-size', '66', '--dry-run')
    // Standbys first, and never both members of a pair in one batch: 66, 65 and the last one.
    expect((twoBatches.json as any).data.preview.batches.map((b: any) => b.size)).toEqual([66, 65, 1])
    // The defaults keep the limits: batches of 13 (10 % of 132), 10 s, 2 %.
    const plain = push('--dry-run')
    expect(plain.code).toBe(0)
    const preview = (plain.json as any).data.preview
    expect(Math.max(...preview.batches.map((b: any) => b.size))).toBe(13)
    expect(preview.policy.findings.map((f: any) => f.rule)).not.toContain('rollout-limits')
  })
})

describe('rule 4 honest: no incident on an unknown status', () => {
  it('watch asks a human instead of declaring, and exposure says the status is unknown', async () => {
    const r = await clawopsAsync(['watch', '--once', '--json'], env())
    expect(r.code, r.stderr).toBe(0)
    const providers = (r.json as any).data.providers
    expect(providers.degraded.length).toBeGreaterThan(0)
    expect(providers.opened).toEqual([])
    expect([...providers.statusUnknown].sort()).toEqual([...providers.degraded].sort())
    expect((run('incident', 'list').json as any).data.incidents).toEqual([])
    const [provider, region] = (providers.degraded[0] as string).split('/')
    const e = run('incident', 'exposure', '--provider', provider!, ...(region ? ['--region', region] : []))
    expect(e.code).toBe(0)
    expect((e.json as any).data).toMatchObject({
      incident: null,
      providerStatus: { outcome: 'unknown', reachable: false, error: expect.stringMatching(/ECONNREFUSED/) },
    })
  })
})

describe('rule 5 across operations: restarts share the budget of heals', () => {
  it('plans a bulk restart past a region’s budget as one that waits for a confirmation', () => {
    const list = (run('instance', 'list', '-l', 'provider=hetzner').json as any).data.instances as any[]
    const users = new Set(list.map((i) => i.userId)).size
    expect(users).toBeGreaterThan(10)
    const r = run('restart', '-l', 'provider=hetzner', '--dry-run', '--as', 'guardian')
    expect(r.code, r.stdout).toBe(0)
    const { findings } = (r.json as any).data
    expect([...new Set(findings.map((f: any) => f.rule))].sort()).toEqual([
      'confirm-over-10-users',
      'restart-budget',
    ])
    const one = run(
      'restart',
      '-l',
      `pair=${list[0].pairId},provider=hetzner`,
      '--dry-run',
      '--as',
      'guardian',
    )
    expect((one.json as any).data.findings).toEqual([])
  })
})
