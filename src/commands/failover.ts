import { Args, Flags } from '@oclif/core'
import { ClawopsCommand } from '../lib/cli/base-command.js'
import { mutationFlags, selectorFlag } from '../lib/cli/flags.js'
import type { MutationResult, OperationView } from '../lib/engine/types.js'
import { UserError } from '../lib/errors.js'
import { paintState } from '../lib/output/style.js'
import { renderTable } from '../lib/output/table.js'

interface Result {
  status: MutationResult['status']
  plan: MutationResult['plan']
  policy: MutationResult['policy']
  operation: OperationView | null
}

export default class Failover extends ClawopsCommand<typeof Failover, Result> {
  static override summary =
    'Promote the standby of a pair, quarantine the old primary, queue a replacement standby.'
  static override description =
    "The standby must be ACTIVE (policy denies otherwise). It becomes STANDBY_PROMOTING, its OpenClaw is checked (and started if needed), then it is the ACTIVE primary; the old primary is stopped if it still answers and QUARANTINED (never deleted); a replacement standby is queued on the old primary's provider and fires when that provider has recovered. Blast radius: when more than the configured share (watch.blastRadius, 20 %) of a provider's or region's pairs would have failed over within the window (15 min), the plan waits for a confirmation. With -l, every pair of the selected instances fails over in one plan."
  static override examples = [
    '<%= config.bin %> failover p-7k2m9x4q1d',
    {
      description: 'Guardian, as JSON',
      command: '<%= config.bin %> failover p-7k2m9x4q1d --as guardian --json',
    },
    {
      description: 'A regional outage, one confirmed plan for all its failed primaries',
      command:
        '<%= config.bin %> failover -l "provider=hetzner,region=nbg1,role=primary,state in (DEGRADED,FAILED)" --reason "nbg1 outage"',
    },
    {
      description: 'Run a plan that waited for confirmation',
      command: '<%= config.bin %> failover p-7k2m9x4q1d --confirm plan-3fz8k1qa2b',
    },
  ]
  static override args = {
    pair: Args.string({ required: false, description: 'Pair id (p-…)' }),
  }
  static override flags = {
    ...mutationFlags,
    selector: selectorFlag,
    reason: Flags.string({ summary: 'Why (kept in the journal, the audit trail and the queue item).' }),
  }

  protected async execute(): Promise<Result> {
    const [{ default: failoverKind }, { selectInstances }] = await Promise.all([
      import('../lib/heal/failover.js'),
      import('../lib/fleet/instance-query.js'),
    ])
    const pairs = new Set<string>(this.args.pair ? [this.args.pair] : [])
    if (this.flags.selector)
      for (const i of selectInstances(this.ctx, { selector: this.flags.selector })) pairs.add(i.pairId)
    if (pairs.size === 0) {
      throw new UserError('INVALID_INPUT', 'name a pair, or select instances with -l', {
        hint: this.flags.selector ? 'The selector matched no instance.' : 'clawops failover p-7k2m9x4q1d',
      })
    }
    const r = await this.mutate(failoverKind, {
      pairs: [...pairs],
      ...(this.flags.reason ? { reason: this.flags.reason } : {}),
    })
    return {
      status: r.status,
      plan: r.plan,
      policy: r.policy,
      operation: r.status === 'dry-run' ? null : r.operation,
    }
  }

  protected render(r: Result): string {
    const findings = r.policy.findings.map((f) => `  ${f.rule}: ${f.message}\n`).join('')
    if (!r.operation) return `Plan: ${r.plan.summary} (${r.policy.decision})\n${findings}`
    return `${r.plan.summary}: ${paintState(r.operation.state)} (operation ${r.operation.id})\n${renderTable(
      [
        { header: 'Pair', get: (s) => s.target },
        { header: 'State', get: (s) => paintState(s.state) },
        { header: 'Primary now', get: (s) => (s.result as { primary?: string } | null)?.primary ?? '' },
        {
          header: 'Quarantined',
          get: (s) => (s.result as { quarantined?: string } | null)?.quarantined ?? '',
        },
        {
          header: 'Queued',
          get: (s) => (s.result as { reprovision?: { id: string } } | null)?.reprovision?.id ?? '',
        },
      ],
      r.operation.steps,
    )}`
  }
}
