import { Args } from '@oclif/core'
import { ClawopsCommand } from '../../lib/cli/base-command.js'
import { type PairStatus, pairStatus } from '../../lib/fleet/instance-query.js'
import { paintState } from '../../lib/output/style.js'
import { renderTable } from '../../lib/output/table.js'

interface Result {
  pairs: PairStatus[]
}

export default class PairStatusCommand extends ClawopsCommand<typeof PairStatusCommand, Result> {
  static override summary =
    'A pair (by pair id) or all pairs of a user (by user id): members, states, its condition, failover readiness.'
  static override description =
    'The condition says what the pair means for its user: serving (the primary is ACTIVE), degraded (the primary is DEGRADED; the heal tree is on it), promoting (a failover is under way), at-risk (no ACTIVE primary while an ACTIVE standby was never promoted: fail over), unserved (no ACTIVE member), creating, retired.'
  static override examples = [
    '<%= config.bin %> pair status p-7k2m9x4q1d',
    {
      description: 'Every pair of one user, as JSON',
      command: '<%= config.bin %> pair status u-3fz8k1qa --json',
    },
  ]
  static override args = {
    ref: Args.string({ required: true, description: 'Pair id (p-…) or user id (u-…)' }),
  }

  protected async execute(): Promise<Result> {
    return { pairs: pairStatus(this.ctx, this.args.ref) }
  }

  protected render(r: Result): string {
    return renderTable(
      [
        { header: 'Pair', get: (p) => p.pair.id },
        { header: 'User', get: (p) => p.pair.userId },
        {
          header: 'Primary',
          get: (p) =>
            p.primary
              ? `${p.primary.id} ${p.primary.provider}/${p.primary.region} ${paintState(p.primary.state)}`
              : '-',
        },
        {
          header: 'Standby',
          get: (p) =>
            p.standby
              ? `${p.standby.id} ${p.standby.provider}/${p.standby.region} ${paintState(p.standby.state)}`
              : '-',
        },
        { header: 'Condition', get: (p) => paintState(p.condition) },
        { header: 'Standby ready', get: (p) => (p.standbyReady ? 'yes' : 'no') },
      ],
      r.pairs,
    )
  }
}
