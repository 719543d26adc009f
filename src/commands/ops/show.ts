import { Args } from '@oclif/core'
import { ClawopsCommand } from '../../lib/cli/base-command.js'
import { stepOutcome } from '../../lib/cli/render-operation.js'
import { viewOperation } from '../../lib/engine/execute.js'
import type { OperationView } from '../../lib/engine/types.js'
import { UserError } from '../../lib/errors.js'
import { paintState } from '../../lib/output/style.js'
import { renderTable } from '../../lib/output/table.js'
import { Operations } from '../../lib/store/operations.js'

export default class OpsShow extends ClawopsCommand<typeof OpsShow, OperationView> {
  static override summary = 'One operation with every step: state, attempts, result or error.'
  static override examples = [
    '<%= config.bin %> ops show op-7k2m9x4q1d',
    '<%= config.bin %> ops show op-7k2m9x4q1d --json',
  ]
  static override args = { id: Args.string({ required: true, description: 'Operation id (op-…)' }) }

  protected async execute(): Promise<OperationView> {
    const op = this.ctx.store().repo(Operations).get(this.args.id)
    if (!op)
      throw new UserError('NOT_FOUND', `no operation ${this.args.id}`, { hint: 'See clawops ops list.' })
    return viewOperation(this.ctx, op)
  }

  protected render(v: OperationView): string {
    const who = (w: { actor: string; identity: string | null }) =>
      w.identity ? `${w.identity} as ${w.actor}` : w.actor
    const planned = v.plannedBy ? `; planned by ${who(v.plannedBy)}` : ''
    const confirmed = v.confirmedBy ? `; confirmed by ${who(v.confirmedBy)} at ${v.confirmedBy.at}` : ''
    const head = `${v.id} ${v.kind} ${paintState(v.state)} — ${v.summary} (by ${who(v)}, plan ${v.planId}${planned}${confirmed})\n`
    const steps = renderTable(
      [
        { header: 'Step', get: (s) => s.seq },
        { header: 'Name', get: (s) => s.name },
        { header: 'Target', get: (s) => s.target },
        { header: 'State', get: (s) => paintState(s.state) },
        { header: 'Tries', get: (s) => s.attempts },
        { header: 'Outcome', get: (s) => stepOutcome(s) },
      ],
      v.steps,
    )
    return head + steps
  }
}
