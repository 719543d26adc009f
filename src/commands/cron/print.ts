import { Flags } from '@oclif/core'
import {
  argvFor,
  BRIEFING_JOBS,
  type BriefingJob,
  openclawCronJob,
  systemCrontab,
} from '../../lib/brief/schedules.js'
import { ClawopsCommand } from '../../lib/cli/base-command.js'

interface Result {
  crontab: string
  jobs: (BriefingJob & { argv: string[]; openclaw: ReturnType<typeof openclawCronJob> })[]
}

export default class CronPrint extends ClawopsCommand<typeof CronPrint, Result> {
  static override summary =
    "A system crontab equivalent to the Briefer agent's cron jobs: the daily voice note, the Monday cost report, the monthly capacity report."
  static override description =
    'The same job definitions clawops agents install turns into OpenClaw cron jobs (07:00 UTC daily, Monday 08:00 UTC, the 1st 08:00 UTC), for operators who run clawops without agents. Secrets are read from --env-file at run time, never written into the crontab. JSON also has each job with its argv and its OpenClaw cron.add parameters.'
  static override examples = [
    { description: 'Print the crontab', command: '<%= config.bin %> cron print' },
    { description: 'Install it for the current user', command: '<%= config.bin %> cron print | crontab -' },
    { description: 'The job definitions, as JSON', command: '<%= config.bin %> cron print --json' },
  ]
  static override flags = {
    'env-file': Flags.string({
      summary: 'A file of KEY=value lines sourced before each job (default /etc/clawops/clawops.env).',
    }),
    'log-dir': Flags.string({ summary: 'Where each job appends its output (default $CLAWOPS_HOME/logs).' }),
  }

  protected async execute(): Promise<Result> {
    const home = this.ctx.home
    return {
      crontab: systemCrontab({
        home,
        ...(this.flags['env-file'] ? { envFile: this.flags['env-file'] } : {}),
        ...(this.flags['log-dir'] ? { logDir: this.flags['log-dir'] } : {}),
      }),
      jobs: BRIEFING_JOBS.map((j) => ({
        ...j,
        argv: argvFor(j, home),
        openclaw: openclawCronJob(j, { home }),
      })),
    }
  }

  protected render(r: Result): string {
    return r.crontab
  }
}
