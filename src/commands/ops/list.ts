import { Flags } from '@oclif/core'
import { ClawopsCommand } from '../../lib/cli/base-command.js'
import { pageFlags } from '../../lib/cli/flags.js'
import { OPERATION_STATES, type Operation } from '../../lib/domain/operation.js'
import { type PageInfo, pageFooter, pageSize } from '../../lib/output/page.js'
import { paintState } from '../../lib/output/style.js'
import { renderTable } from '../../lib/output/table.js'
import { Operations } from '../../lib/store/operations.js'

type Listed = Operation & {
  /** Rows a failed or partial operation left in a transitional state. */
  unsettled?: string[]
  /** The command that continues it, for an operation that is not done. */
  next?: string
}

interface Result extends PageInfo {
  operations: Listed[]
}

export default class OpsList extends ClawopsCommand<typeof OpsList, Result> {
  static override summary = 'List journaled operations, newest first.'
  static override description =
    'An operation that is not done says what continues it: `ops resume <id>` for one a crash or an interrupt left running, or one that failed with rows still in a transitional state (named under unsettled); `ops resume <id> --retry-failed` for one that failed cleanly.'
  static override examples = [
    '<%= config.bin %> ops list',
    {
      description: 'Operations a crash left unfinished',
      command: '<%= config.bin %> ops list --state running --json',
    },
  ]
  static override flags = {
    state: Flags.option({
      options: OPERATION_STATES,
      multiple: true,
      summary: 'Only operations in these states.',
    })(),
    kind: Flags.string({ summary: 'Only operations of this kind, e.g. provision.' }),
    ...pageFlags(50, 'operations'),
  }

  protected async execute(): Promise<Result> {
    const f = this.flags
    const filter = { states: f.state, kind: f.kind }
    const repo = this.ctx.store().repo(Operations)
    const ops = repo.list({ ...filter, limit: pageSize(f, 50) ?? Number.MAX_SAFE_INTEGER })
    const total = repo.count(filter)
    const engine = ops.some((o) => o.state === 'failed' || o.state === 'partial') ? await this.engine() : null
    const operations: Listed[] = []
    for (const o of ops) {
      if (o.state === 'done') {
        operations.push(o)
        continue
      }
      const unsettled = engine ? await engine.unsettled(this.ctx, o) : []
      // Running: a crash or an interrupt. Rows left transitional: a plain resume settles them.
      const plain = o.state === 'running' || unsettled.length > 0
      operations.push({
        ...o,
        ...(unsettled.length ? { unsettled } : {}),
        next: `clawops ops resume ${o.id}${plain ? '' : ' --retry-failed'}`,
      })
    }
    return { operations, total, truncated: operations.length < total }
  }

  protected render(r: Result): string {
    if (r.operations.length === 0) return 'No operations.\n'
    const table = renderTable(
      [
        { header: 'Op', get: (o) => o.id },
        { header: 'Kind', get: (o) => o.kind },
        { header: 'State', get: (o) => paintState(o.state) },
        { header: 'Actor', get: (o) => o.actor },
        { header: 'Identity', get: (o) => o.identity },
        { header: 'Summary', get: (o) => o.summary },
        { header: 'Created', get: (o) => o.createdAt },
        {
          header: 'Next',
          get: (o) => (o.next ? `${o.next}${o.unsettled ? ` (settles ${o.unsettled.join(', ')})` : ''}` : ''),
        },
        { header: 'Plan', get: (o) => o.planId, wide: true },
        { header: 'Finished', get: (o) => o.finishedAt, wide: true },
      ],
      r.operations,
      { wide: this.ctx.format === 'wide' },
    )
    return table + this.footer(pageFooter(r.operations.length, r.total, 'operations (the newest)'))
  }
}
