import { describe, expect, it } from 'vitest'
import {
  argvFor,
  BRIEFING_JOBS,
  commandLineFor,
  openclawCronJob,
  systemCrontab,
} from '../../../src/lib/brief/schedules.js'

const HOME = '/srv/clawops home'

describe('the Briefer schedules', () => {
  it('are the PRD times in UTC, each a clawops brief command run as briefer', () => {
    expect(BRIEFING_JOBS.map((j) => [j.id, j.cron, j.tz])).toEqual([
      ['daily-briefing', '0 7 * * *', 'UTC'],
      ['weekly-cost-report', '0 8 * * 1', 'UTC'],
      ['monthly-capacity-report', '0 8 1 * *', 'UTC'],
    ])
    expect(argvFor(BRIEFING_JOBS[0]!, HOME)).toEqual([
      'brief',
      'daily',
      '--voice',
      `${HOME}/briefings/daily.ogg`,
      '--deliver',
      '--as',
      'briefer',
      '--json',
    ])
    expect(commandLineFor(BRIEFING_JOBS[1]!, HOME)).toBe('clawops brief weekly --deliver --as briefer --json')
  })

  it('become OpenClaw cron.add params: cron schedule in UTC, isolated agent turn, no second delivery', () => {
    const job = openclawCronJob(BRIEFING_JOBS[0]!, { home: HOME })
    expect(job).toMatchObject({
      name: 'clawops-daily-briefing',
      agentId: 'briefer',
      schedule: { kind: 'cron', expr: '0 7 * * *', tz: 'UTC' },
      sessionTarget: 'isolated',
      wakeMode: 'now',
      payload: { kind: 'agentTurn', toolsAllow: ['exec'] },
      delivery: { mode: 'none' },
    })
    expect(job.payload.message).toContain(
      `clawops brief daily --voice '${HOME}/briefings/daily.ogg' --deliver --as briefer --json`,
    )
  })

  it('print as a system crontab: UTC, secrets from the env file, one line per job, % escaped', () => {
    const tab = systemCrontab({
      home: '/var/lib/clawops',
      node: '/usr/bin/node',
      bin: '/opt/clawops/bin/clawops.js',
      envFile: '/etc/clawops/clawops.env',
      logDir: '/var/log/clawops 100%',
    })
    const jobs = tab.split('\n').filter((l) => /^\d/.test(l))
    expect(jobs).toHaveLength(3)
    expect(tab).toMatch(/^CRON_TZ=UTC$/m)
    expect(tab).toMatch(/^CLAWOPS_HOME=\/var\/lib\/clawops$/m)
    expect(jobs[0]).toBe(
      "0 7 * * * [ -r /etc/clawops/clawops.env ] && . /etc/clawops/clawops.env; /usr/bin/node /opt/clawops/bin/clawops.js brief daily --voice /var/lib/clawops/briefings/daily.ogg --deliver --as briefer --json >> '/var/log/clawops 100\\%/cron-daily-briefing.log' 2>&1",
    )
    expect(jobs[1]).toMatch(/^0 8 \* \* 1 .* brief weekly --deliver --as briefer --json >> /)
    expect(jobs[2]).toMatch(/^0 8 1 \* \* .* brief monthly --deliver --as briefer --json >> /)
    expect(tab).not.toMatch(/TOKEN=|API_KEY=/)
  })
})
