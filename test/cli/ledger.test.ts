/**
 * The Ledger's commands as an agent or an operator runs them: the built binary on a lab fleet with
 * 30 days of history, in JSON and human mode.
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { ERROR_CODES } from '../../src/lib/errors.js'
import { clawops } from '../support/cli.js'
import { tempHome } from '../support/context.js'

interface Envelope<T> {
  ok: boolean
  data: T
  error: { code: string; details: { planId: string } }
  warnings: string[]
}

let home: string
let manifest: { idlePairs: string[]; oversizedPairs: string[]; cheaperElsewhere: string[] }
const env = () => ({ CLAWOPS_HOME: home })
const json = <T>(args: string[], extra: Record<string, string> = {}) => {
  const r = clawops([...args, '--json'], { ...env(), ...extra })
  return { ...r, env: r.json as Envelope<T> }
}

beforeAll(() => {
  home = tempHome()
  const r = json<{ history: { manifest: typeof manifest } }>([
    'lab',
    'seed',
    '--pairs',
    '150',
    '--seed',
    '3',
    '--history-days',
    '30',
  ])
  expect(r.code, r.stderr).toBe(0)
  manifest = r.env.data.history.manifest
})

describe('clawops cost report', () => {
  it('answers with actual, forecast, projection and groups that add up', () => {
    const r = json<{
      actualUsdCents: number
      forecastUsdCents: number
      projection: { source: string }
      groups: { key: string; actualUsdCents: number }[]
      period: { kind: string }
    }>(['cost', 'report', '--period', 'week', '--by', 'tier'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout.trim().split('\n')).toHaveLength(1)
    const d = r.env.data
    expect(d.period.kind).toBe('week')
    expect(d.projection.source).toBe('baseline')
    expect(d.forecastUsdCents).toBeGreaterThanOrEqual(d.actualUsdCents)
    expect(d.groups.map((g) => g.key).sort()).toEqual(['nano', 'pro', 'standard'])
    expect(d.groups.reduce((s, g) => s + g.actualUsdCents, 0)).toBe(d.actualUsdCents)
  })

  it('prints a table for humans', () => {
    const r = clawops(['cost', 'report'], env())
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/^Month \d{4}-\d\d-01 to/)
    expect(r.stdout).toMatch(/Actual: +\$[\d,]+\.\d\d vs \$[\d,]+\.\d\d projected to date/)
    expect(r.stdout).toContain('PROVIDER\tINSTANCES\tACTUAL')
  })

  it('reads budgets from the config, and refuses a bad ledger config', () => {
    const cfgHome = tempHome()
    clawops(['lab', 'seed', '--pairs', '10'], { CLAWOPS_HOME: cfgHome })
    writeFileSync(join(cfgHome, 'config.json'), JSON.stringify({ ledger: { budgetUsd: { month: 50 } } }))
    const ok = clawops(['cost', 'report', '--json'], { CLAWOPS_HOME: cfgHome }).json as Envelope<{
      projection: { source: string; periodUsdCents: number }
    }>
    expect(ok.data.projection).toMatchObject({ source: 'budget', periodUsdCents: 5000 })
    writeFileSync(join(cfgHome, 'config.json'), JSON.stringify({ ledger: { anomalyPct: -1 } }))
    const bad = clawops(['cost', 'report', '--json'], { CLAWOPS_HOME: cfgHome })
    expect(bad.code).toBe(ERROR_CODES.CONFIG_INVALID.exit)
    expect(bad.stdout).toContain('ledger.anomalyPct')
  })

  it('rejects an unreadable --at', () => {
    const r = json(['cost', 'report', '--at', 'yesterday-ish'])
    expect(r.code).toBe(ERROR_CODES.INVALID_INPUT.exit)
  })
})

describe('clawops cost waste', () => {
  it('finds the planted waste, each with its command', () => {
    const r = json<{
      idle: { items: { pairId: string; command: string }[] }
      oversized: { items: { pairId: string; command: string }[] }
      cheaperElsewhere: { items: { instanceId: string }[] }
      note: string
    }>(['cost', 'waste', '--all'])
    expect(r.code, r.stderr).toBe(0)
    const d = r.env.data
    expect(d.idle.items.map((i) => i.pairId).sort()).toEqual(manifest.idlePairs)
    expect(d.oversized.items.map((i) => i.pairId).sort()).toEqual(manifest.oversizedPairs)
    expect(d.cheaperElsewhere.items.map((i) => i.instanceId).sort()).toEqual(manifest.cheaperElsewhere)
    expect(d.idle.items[0]!.command).toMatch(/^clawops teardown -l pair=p-/)
    expect(d.note).toMatch(/plans first/)
    const short = json<{ cheaperElsewhere: { count: number; items: unknown[]; bulkCommands: string[] } }>([
      'cost',
      'waste',
    ])
    expect(short.env.data.cheaperElsewhere.count).toBe(manifest.cheaperElsewhere.length)
    expect(short.env.data.cheaperElsewhere.items.length).toBeLessThanOrEqual(25)
    expect(
      short.env.data.cheaperElsewhere.bulkCommands.every((c) => c.startsWith('clawops resize --tier')),
    ).toBe(true)
  })

  it('prints the findings for humans', () => {
    const r = clawops(['cost', 'waste', '--limit', '2'], env())
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/Total recoverable: \$[\d,]+\.\d\d\/month/)
    expect(r.stdout).toContain('clawops resize --tier')
  })
})

describe('clawops provider health', () => {
  it('scores all five providers with their inputs', () => {
    const r = json<{ providers: { provider: string; score: number | null; inputs: object }[] }>([
      'provider',
      'health',
      '--days',
      '7',
    ])
    expect(r.code, r.stderr).toBe(0)
    expect(r.env.data.providers.map((p) => p.provider)).toEqual([
      'hetzner',
      'vultr',
      'digitalocean',
      'contabo',
      'hostinger',
    ])
    const human = clawops(['provider', 'health'], env())
    expect(human.stdout).toMatch(/^Provider health over 7 days/)
  })
})

describe('clawops provider routing', () => {
  it('versions a change Ledger proposes and Commander confirms, with an audit trail', () => {
    const show = json<{ current: number }>(['provider', 'routing', 'show'])
    expect(show.env.data.current).toBe(0)
    const args = [
      'provider',
      'routing',
      'set',
      '--group',
      'us',
      '--remove-primary',
      'hostinger',
      '--reason',
      'slow',
    ]
    const proposed = json(args, { CLAWOPS_ACTOR: 'ledger' })
    expect(proposed.code).toBe(ERROR_CODES.CONFIRMATION_REQUIRED.exit)
    expect(proposed.env.error.code).toBe('CONFIRMATION_REQUIRED')
    const planId = proposed.env.error.details.planId
    const triage = json([...args, '--confirm', planId], { CLAWOPS_ACTOR: 'triage' })
    expect(triage.code).toBe(ERROR_CODES.POLICY_DENIED.exit)
    const done = json<{ version: number; config: { us: { primary: string[] } } }>(
      [...args, '--confirm', planId],
      {
        CLAWOPS_ACTOR: 'commander',
      },
    )
    expect(done.code, done.stderr).toBe(0)
    expect(done.env.data.version).toBe(1)
    expect(done.env.data.config.us.primary).not.toContain('hostinger')
    expect(json<{ current: number }>(['provider', 'routing', 'show']).env.data.current).toBe(1)
    const log = json<{ entries: { action: string; actor: string }[] }>([
      'audit',
      'log',
      '--action',
      'routing.version',
    ])
    expect(log.env.data.entries.map((e) => e.actor)).toEqual(['commander'])
    expect(json<{ ok: boolean }>(['audit', 'verify']).env.data.ok).toBe(true)
    const human = clawops(['provider', 'routing', 'show'], env())
    expect(human.stdout).toMatch(/^Routing v1 \(current\): slow/)
  })

  it('refuses a routing that breaks the rules', () => {
    const r = json([
      'provider',
      'routing',
      'set',
      '--group',
      'eu',
      '--primary',
      'vultr',
      '--standby',
      'vultr',
    ])
    expect(r.code).toBe(ERROR_CODES.INVALID_INPUT.exit)
  })
})

describe('clawops capacity plan', () => {
  it('projects users month by month with headroom per provider and region', () => {
    const r = json<{ users: { projected: unknown[] }; providers: unknown[]; regions: unknown[] }>([
      'capacity',
      'plan',
      '--months',
      '2',
    ])
    expect(r.code, r.stderr).toBe(0)
    expect(r.env.data.users.projected).toHaveLength(2)
    expect(r.env.data.providers.length).toBeGreaterThan(0)
    const human = clawops(['capacity', 'plan', '-o', 'wide'], env())
    expect(human.stdout).toMatch(/^Users now 150/)
    expect(human.stdout).toContain('REGION')
  })
})
