import { Flags } from '@oclif/core'
import { ClawopsCommand } from '../../lib/cli/base-command.js'
import { paintState } from '../../lib/output/style.js'
import { renderTable } from '../../lib/output/table.js'
import type { ReprovisionItem, ReprovisionState } from '../../lib/store/reprovision-queue.js'

interface Result {
  depth: number
  items: ReprovisionItem[]
}

const STATES = [
  'waiting',
  'ready',
  'claimed',
  'done',
  'cancelled',
] as const satisfies readonly ReprovisionState[]

export default class ReprovisionList extends ClawopsCommand<typeof ReprovisionList, Result> {
  static override summary =
    'Replacement standbys owed after failovers: waiting for their provider to recover, or ready.'
  static override description =
    "Each failover queues a standby on the old primary's provider and region. Items wait until that provider has recovered (no open incident, live scores back, its status page operational), then become ready and Forge is told (REPROVISION_READY)."
  static override examples = [
    '<%= config.bin %> reprovision list',
    {
      description: 'What Forge can provision now, as JSON',
      command: '<%= config.bin %> reprovision list --state ready --json',
    },
  ]
  static override flags = {
    state: Flags.option({
      options: STATES,
      multiple: true,
      summary: 'Only items in these states (default: not done or cancelled).',
    })(),
    provider: Flags.string({ summary: 'Only this provider.' }),
  }

  protected async execute(): Promise<Result> {
    const { ReprovisionQueue } = await import('../../lib/store/reprovision-queue.js')
    const q = this.ctx.store().repo(ReprovisionQueue)
    return {
      depth: q.depth(),
      items: q.list({
        states: this.flags.state ?? ['waiting', 'ready', 'claimed'],
        ...(this.flags.provider ? { provider: this.flags.provider } : {}),
      }),
    }
  }

  protected render(r: Result): string {
    if (r.items.length === 0) return `Queue depth ${r.depth}; nothing to show.\n`
    return `Queue depth ${r.depth}\n${renderTable(
      [
        { header: 'Item', get: (i) => i.id },
        { header: 'Pair', get: (i) => i.pairId },
        { header: 'Where', get: (i) => `${i.provider}/${i.region}` },
        { header: 'Tier', get: (i) => i.tier },
        { header: 'State', get: (i) => paintState(i.state) },
        { header: 'Replaces', get: (i) => i.replacesInstanceId },
        { header: 'Queued', get: (i) => i.createdAt },
      ],
      r.items,
    )}`
  }
}
