import { Args } from '@oclif/core'
import { ClawopsCommand } from '../../lib/cli/base-command.js'
import { nodeCall } from '../../lib/instance/live.js'
import { renderFields } from '../../lib/output/table.js'

type Result = Awaited<ReturnType<typeof nodeCall>>

export default class InstanceMetrics extends ClawopsCommand<typeof InstanceMetrics, Result> {
  static override summary =
    'CPU, memory, disk, load and network of one instance, measured now by gf-clawnode.'
  static override examples = [
    '<%= config.bin %> instance metrics i-7k2m9x4q1d',
    '<%= config.bin %> instance metrics i-7k2m9x4q1d --json',
  ]
  static override args = { id: Args.string({ required: true, description: 'Instance id (i-…)' }) }

  protected async execute(): Promise<Result> {
    return nodeCall(this.ctx, this.args.id, 'vps.metrics', {})
  }

  protected render(r: Result): string {
    return `${r.instance.id}\n${renderFields(flatten(r.result))}`
  }
}

/** Nested measurements as `cpu.busyPct  12` lines. */
function flatten(v: unknown, prefix = ''): [string, string | number][] {
  if (v === null || typeof v !== 'object') return [[prefix || 'value', v === null ? '-' : String(v)]]
  if (Array.isArray(v))
    return [[prefix, v.map((x) => (typeof x === 'object' ? JSON.stringify(x) : String(x))).join(', ')]]
  return Object.entries(v).flatMap(([k, x]) => flatten(x, prefix ? `${prefix}.${k}` : k))
}
