import { Args } from '@oclif/core'
import { ClawopsCommand } from '../../lib/cli/base-command.js'
import { type InstanceHealth, instanceHealth } from '../../lib/instance/live.js'
import { renderFields } from '../../lib/output/table.js'

export default class InstanceHealthCommand extends ClawopsCommand<
  typeof InstanceHealthCommand,
  InstanceHealth
> {
  static override summary =
    'Probe one instance now through gf-clawnode: VPS health, metrics, OpenClaw health and the score.'
  static override description =
    'Runs vps.health, vps.metrics and openclaw.health on the node in parallel (one vps.probe call) and scores the result 0–100 with the reasons. Read-only: the fleet store is not changed (clawops health sweep records and acts).'
  static override examples = [
    '<%= config.bin %> instance health i-7k2m9x4q1d',
    '<%= config.bin %> instance health i-7k2m9x4q1d --json',
  ]
  static override args = { id: Args.string({ required: true, description: 'Instance id (i-…)' }) }

  protected async execute(): Promise<InstanceHealth> {
    return instanceHealth(this.ctx, this.args.id)
  }

  protected render(h: InstanceHealth): string {
    const p = h.probe
    return renderFields([
      ['instance', `${h.instance.id} (${h.instance.role}, ${h.instance.state})`],
      ['score', h.score.score],
      ['reasons', h.score.reasons.join('; ') || 'none'],
      ['node reached', p.reached ? 'yes' : 'no'],
      [
        'vps',
        p.vps ? `${p.vps.status}${p.vps.problems.length ? `: ${p.vps.problems.join(', ')}` : ''}` : '-',
      ],
      ['cpu busy %', p.metrics?.cpuBusyPct ?? '-'],
      ['memory %', p.metrics?.memPct ?? p.vps?.memPct ?? '-'],
      ['disk %', p.vps?.diskPct ?? '-'],
      ['openclaw', p.openclaw ? `live=${p.openclaw.live} ready=${p.openclaw.ready}` : '-'],
      ['errors', p.errors.map((e) => `${e.command}: ${e.code} ${e.message}`).join('; ') || 'none'],
    ])
  }
}
