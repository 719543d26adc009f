import { ClawopsCommand } from '../../lib/cli/base-command.js'
import { type WatchStatus, watchStatus } from '../../lib/fleet/status.js'
import { type WatchLeadership, watchLeadership } from '../../lib/watch/leadership.js'

type Result = WatchLeadership & { lastRun: WatchStatus }

export default class WatchStatusCommand extends ClawopsCommand<typeof WatchStatusCommand, Result> {
  static override summary =
    'Which clawops watch leads this fleet, which stand by, and how its last cycle went.'
  static override description =
    'Read from the store the watches share: the leader holds the watch lease (renewed every 4 s, lapsing 12 s after its last renewal), each --standby watch holds a lease of its own while it waits. lastRun is the last run recorded and its last cycle, as in fleet status.'
  static override examples = ['<%= config.bin %> watch status', '<%= config.bin %> watch status --json']

  protected async execute(): Promise<Result> {
    const now = this.ctx.clock().getTime()
    return {
      ...watchLeadership(this.ctx),
      lastRun: watchStatus(this.ctx.store(), now, this.ctx.watchSettings().intervalMs),
    }
  }

  protected render(r: Result): string {
    const lines = [
      r.leader
        ? `Leader    ${r.leader.holder}, since ${r.leader.since} (lease until ${r.leader.until})`
        : 'Leader    none',
      ...(r.standbys.length
        ? r.standbys.map((s, i) => `${i === 0 ? 'Standby' : '       '}   ${s.holder}, since ${s.since}`)
        : ['Standby   none']),
      `Last run  ${r.lastRun.status}${r.lastRun.lastCycle ? `, last cycle ${r.lastRun.lastCycle.at}` : ''}`,
    ]
    return `${lines.join('\n')}\n`
  }
}
