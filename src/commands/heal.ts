import { Args, Flags } from '@oclif/core'
import ms from 'ms'
import { ClawopsCommand } from '../lib/cli/base-command.js'
import { mutationFlags } from '../lib/cli/flags.js'
import { stepOutcome } from '../lib/cli/render-operation.js'
import type { MutationResult, OperationView } from '../lib/engine/types.js'
import { UserError } from '../lib/errors.js'
import { paintState } from '../lib/output/style.js'
import { renderTable } from '../lib/output/table.js'

interface Result {
  outcome: string | null
  instance: string
  status: MutationResult['status']
  plan: MutationResult['plan']
  policy: MutationResult['policy']
  operation: OperationView | null
}

export default class Heal extends ClawopsCommand<typeof Heal, Result> {
  static override summary =
    'Run the auto-heal decision tree on one instance: verify, restart, wait, fail over or escalate.'
  static override description =
    'verify (score above 70: done) → restart OpenClaw through gf-clawnode → wait (90 s by default; ends early once OpenClaw answers) and probe → still failing and a primary: standby ACTIVE → fail over (the failover policy applies, blast radius included), otherwise CRITICAL: Commander is told and nothing more is done. Every step is journaled and audited. It never deletes a VPS and never touches an instance outside the pair. The outcome is one of recovered, healed, failed-over, awaiting-confirmation, critical, standby-failed.'
  static override examples = [
    '<%= config.bin %> heal i-7k2m9x4q1d',
    {
      description: 'As Guardian, as JSON',
      command: '<%= config.bin %> heal i-7k2m9x4q1d --as guardian --json',
    },
    {
      description: 'Wait at most 30 s for OpenClaw after the restart',
      command: '<%= config.bin %> heal i-7k2m9x4q1d --wait 30s',
    },
    { description: 'Show the plan only', command: '<%= config.bin %> heal i-7k2m9x4q1d --dry-run' },
  ]
  static override args = {
    instance: Args.string({ required: true, description: 'Instance id (i-…)' }),
  }
  static override flags = {
    ...mutationFlags,
    wait: Flags.string({
      summary:
        'How long to wait for OpenClaw after the restart, e.g. 90s, 2m (default watch.heal.waitSeconds).',
    }),
  }

  protected async execute(): Promise<Result> {
    let waitMs: number | undefined
    if (this.flags.wait !== undefined) {
      const v = ms(this.flags.wait as ms.StringValue)
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
        throw new UserError('INVALID_INPUT', `cannot read --wait "${this.flags.wait}"`, {
          hint: 'Use 30s, 90s, 2m.',
        })
      }
      waitMs = Math.round(v)
    }
    const { default: healKind, healOutcome } = await import('../lib/heal/heal.js')
    const r = await this.mutate(healKind, {
      instance: this.args.instance,
      ...(waitMs !== undefined ? { waitMs } : {}),
    })
    const operation = r.status === 'dry-run' ? null : r.operation
    return {
      outcome: operation ? healOutcome(operation.steps) : null,
      instance: this.args.instance,
      status: r.status,
      plan: r.plan,
      policy: r.policy,
      operation,
    }
  }

  protected render(r: Result): string {
    if (!r.operation)
      return `Plan: ${r.plan.summary}\n${r.plan.steps.map((s) => `  ${s.name} ${s.target ?? ''}`).join('\n')}\n`
    return `${r.instance}: ${r.outcome ?? r.status} (operation ${r.operation.id})\n${renderTable(
      [
        { header: 'Step', get: (s) => s.name },
        { header: 'State', get: (s) => paintState(s.state) },
        { header: 'Outcome', get: (s) => stepOutcome(s) },
      ],
      r.operation.steps,
    )}`
  }
}
