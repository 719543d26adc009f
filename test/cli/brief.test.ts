/**
 * The Briefer's commands as cron or an agent runs them: the built binary on a lab fleet with a day of
 * seeded events. Every number a briefing states is checked against the command that owns it.
 */

import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { audioInfo } from '../../src/lib/brief/audio-info.js'
import { clawops } from '../support/cli.js'
import { tempHome } from '../support/context.js'
import { voiceToolsPresent } from '../support/voice-tools.js'

interface Envelope<T> {
  ok: boolean
  data: T
  error: { code: string; message: string; details: { reason?: string } }
}
interface Briefing {
  text: string
  markdown: string
  spoken: string
  patterns: string[]
  voice: { path: string; durationSec: number; codec: string } | null
  facts: {
    asOf: string
    fleet: {
      activePairs: number
      pairs: number
      instances: number
      providers: string[]
      degraded: unknown[]
      failed: unknown[]
    }
    cost: {
      actualUsdCents: number
      projectedUsdCents: number
      deltaPct: number | null
      period: { asOf: string; start: string }
    }
    waste: { idle: { count: number }; totalMonthlySavingUsdCents: number }
    capacity: { usersNow: number } | null
  }
}

let home: string
const json = <T>(args: string[], env: Record<string, string> = {}) => {
  const r = clawops([...args, '--json'], { CLAWOPS_HOME: home, ...env })
  return { ...r, env: r.json as Envelope<T> }
}

beforeAll(() => {
  home = tempHome()
  const r = json([
    'lab',
    'seed',
    '--pairs',
    '150',
    '--seed',
    '3',
    '--history-days',
    '14',
    '--briefing-events',
  ])
  expect(r.code, r.stderr).toBe(0)
})

describe('clawops brief', () => {
  it('daily: one JSON document whose numbers are those of fleet status, cost report and cost waste', () => {
    const r = json<Briefing>(['brief', 'daily'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout.trim().split('\n')).toHaveLength(1)
    const f = r.env.data.facts
    const status = json<{
      pairs: number
      instances: number
      byProvider: Record<string, number>
      degraded: unknown[]
      failed: unknown[]
      pairsWithoutActivePrimary: unknown[]
    }>(['fleet', 'status']).env.data
    expect(f.fleet).toMatchObject({
      pairs: status.pairs,
      instances: status.instances,
      activePairs: status.pairs - status.pairsWithoutActivePrimary.length,
      providers: Object.keys(status.byProvider).sort(),
    })
    expect(f.fleet.degraded).toHaveLength(status.degraded.length)
    expect(f.fleet.failed).toHaveLength(status.failed.length)
    const cost = json<{
      actualUsdCents: number
      projection: { toDateUsdCents: number }
      deltaPct: number | null
    }>(['cost', 'report', '--period', 'week', '--at', f.cost.period.asOf]).env.data
    expect(f.cost).toMatchObject({
      actualUsdCents: cost.actualUsdCents,
      projectedUsdCents: cost.projection.toDateUsdCents,
      deltaPct: cost.deltaPct,
    })
    const waste = json<{ idle: { count: number }; totalMonthlySavingUsdCents: number }>(['cost', 'waste']).env
      .data
    expect(f.waste.idle.count).toBe(waste.idle.count)
    expect(f.waste.totalMonthlySavingUsdCents).toBe(waste.totalMonthlySavingUsdCents)
    const t = r.env.data.text
    expect(t).toMatch(
      /^Good (morning|afternoon|evening)\. Fleet status: \d+ active pairs across \d+ providers\./,
    )
    expect(t).toContain(`${waste.idle.count} idle accounts flagged for review.`)
    expect(r.env.data.patterns).toContain('the third Hetzner Nuremberg incident in 30 days')
  })

  it('weekly and monthly: last week and last month as cost report --previous says, and the capacity plan', () => {
    const w = json<Briefing>(['brief', 'weekly'])
    expect(w.code, w.stderr).toBe(0)
    const week = json<{ actualUsdCents: number; period: { start: string } }>([
      'cost',
      'report',
      '--period',
      'week',
      '--previous',
      '--at',
      w.env.data.facts.asOf,
    ]).env.data
    expect(w.env.data.facts.cost.actualUsdCents).toBe(week.actualUsdCents)
    expect(w.env.data.facts.cost.period.start).toBe(week.period.start)
    const m = json<Briefing>(['brief', 'monthly'])
    expect(m.code, m.stderr).toBe(0)
    const month = json<{ actualUsdCents: number }>([
      'cost',
      'report',
      '--period',
      'month',
      '--previous',
      '--at',
      m.env.data.facts.asOf,
    ]).env.data
    expect(m.env.data.facts.cost.actualUsdCents).toBe(month.actualUsdCents)
    const plan = json<{ users: { now: number } }>(['capacity', 'plan']).env.data
    expect(m.env.data.facts.capacity!.usersNow).toBe(plan.users.now)
  })

  it('prints the text for a human, the Markdown or the spoken variant on request', () => {
    const text = clawops(['brief', 'daily'], { CLAWOPS_HOME: home })
    expect(text.code, text.stderr).toBe(0)
    expect(text.stdout).toMatch(/^Good (morning|afternoon|evening)\. Fleet status:/)
    expect(text.stdout).toMatch(/Briefing brf-\w+; the facts behind every number: --json\n$/)
    const md = clawops(['brief', 'weekly', '--variant', 'markdown'], { CLAWOPS_HOME: home })
    expect(md.stdout).toMatch(/^\*\*Weekly cost report, /)
    const spoken = clawops(['brief', 'daily', '--variant', 'spoken'], { CLAWOPS_HOME: home })
    expect(spoken.stdout.split('\n')[0]).not.toMatch(/[$%]/)
  })

  it.runIf(voiceToolsPresent)('speaks the briefing into a valid WAV offline', () => {
    const out = join(home, 'voice', 'daily.wav')
    const r = json<Briefing>(['brief', 'daily', '--voice', out])
    expect(r.code, r.stderr).toBe(0)
    const info = audioInfo(readFileSync(out))
    expect(r.env.data.voice).toMatchObject({ path: out, codec: 'pcm' })
    expect(info.durationSec).toBeCloseTo(r.env.data.voice!.durationSec, 1)
    // The spoken text at 165 words a minute, give or take how espeak-ng reads numbers.
    const words = r.env.data.spoken.split(/\s+/).length
    expect(info.durationSec).toBeGreaterThan((words / 165) * 60 * 0.6)
    expect(info.durationSec).toBeLessThan((words / 165) * 60 * 2.5)
  })

  it('refuses what it cannot do with a stable code, never silently', () => {
    const noTarget = json(['brief', 'daily', '--deliver'])
    expect(noTarget.code).toBe(3)
    expect(noTarget.env.error).toMatchObject({
      code: 'CONFIG_INVALID',
      details: { reason: 'CHANNEL_NOT_CONFIGURED' },
    })
    expect(noTarget.env.error.message).toMatch(/briefer\.channels\.whatsapp\.to/)
    expect(json(['brief', 'daily', '--deliver', '--as', 'triage']).code).toBe(6)
    expect(json(['brief', 'daily', '--channel', 'telegram']).code).toBe(2)
    expect(json(['brief', 'daily', '--voice', join(home, 'x.mp3')]).env.error.code).toBe('INVALID_INPUT')
    expect(json(['brief', 'daily', '--since', 'tomorrow-ish']).env.error.code).toBe('INVALID_INPUT')
  })

  it('says GATEWAY_UNREACHABLE when the channel is configured but no gateway answers', () => {
    const other = tempHome()
    writeFileSync(
      join(other, 'config.json'),
      JSON.stringify({
        gateway: { url: 'ws://127.0.0.1:9' },
        briefer: { channels: { whatsapp: { to: '+15551234567' } } },
      }),
    )
    const r = clawops(['brief', 'daily', '--deliver', '--json'], {
      CLAWOPS_HOME: other,
      OPENCLAW_GATEWAY_TOKEN: 't',
    })
    expect(r.code).toBe(7)
    expect((r.json as Envelope<unknown>).error).toMatchObject({
      code: 'GATEWAY_UNREACHABLE',
      details: { reason: 'GATEWAY_UNREACHABLE' },
    })
  })
})

describe('clawops cron print', () => {
  it('prints a crontab of the three briefings, and the job definitions as JSON', () => {
    const r = clawops(['cron', 'print'], { CLAWOPS_HOME: home })
    expect(r.code, r.stderr).toBe(0)
    const jobs = r.stdout.split('\n').filter((l) => /^\d/.test(l))
    expect(jobs.map((l) => l.split(' ').slice(0, 5).join(' '))).toEqual([
      '0 7 * * *',
      '0 8 * * 1',
      '0 8 1 * *',
    ])
    expect(jobs[0]).toContain(`brief daily --voice ${home}/briefings/daily.ogg --deliver --as briefer --json`)
    const j = json<{ jobs: { id: string; argv: string[]; openclaw: { schedule: { expr: string } } }[] }>([
      'cron',
      'print',
    ])
    expect(j.env.data.jobs.map((x) => [x.id, x.openclaw.schedule.expr])).toEqual([
      ['daily-briefing', '0 7 * * *'],
      ['weekly-cost-report', '0 8 * * 1'],
      ['monthly-capacity-report', '0 8 1 * *'],
    ])
  })
})
