import { Args, Flags } from '@oclif/core'
import { ClawopsCommand } from '../../lib/cli/base-command.js'
import { selectorFlag } from '../../lib/cli/flags.js'
import type { SweepResult } from '../../lib/health/sweep.js'
import { paintState } from '../../lib/output/style.js'
import { renderTable } from '../../lib/output/table.js'

export default class HealthSweep extends ClawopsCommand<typeof HealthSweep, SweepResult> {
  static override summary = 'Probe instances through gf-clawnode, score them 0–100 and move their states.'
  static override description =
    'Runs vps.health, vps.metrics and openclaw.health (one vps.probe call per node) on every ACTIVE, DEGRADED and FAILED instance matching the selector (bounded concurrency), scores each (100 minus deductions; the reasons are listed), records the health history, and moves states: below 50 or a heartbeat missing over 3 min is DEGRADED, bad for 10 min is FAILED, above 70 is ACTIVE again. State changes are audited and queued as events for the agents. When the gateway cannot be reached nothing changes (GATEWAY_UNREACHABLE).'
  static override examples = [
    { description: 'Sweep the whole fleet', command: '<%= config.bin %> health sweep' },
    {
      description: 'One provider and region, as JSON',
      command: '<%= config.bin %> health sweep "provider=hetzner,region=nbg1" --json',
    },
    {
      description: 'Only degraded instances',
      command: '<%= config.bin %> health sweep -l state=DEGRADED --concurrency 8',
    },
  ]
  static override args = {
    selector: Args.string({
      required: false,
      description: 'Selector of the instances to sweep (same syntax as -l)',
    }),
  }
  static override flags = {
    selector: selectorFlag,
    concurrency: Flags.integer({
      summary: 'Instances probed at a time (default: watch.concurrency, 32).',
      min: 1,
      max: 512,
    }),
    stream: Flags.boolean({ summary: 'With --json: stream NDJSON progress events before the final result.' }),
  }

  protected async execute(): Promise<SweepResult> {
    const selector = [this.args.selector, this.flags.selector].filter(Boolean).join(',') || undefined
    const [{ sweepHealth }, engine] = await Promise.all([import('../../lib/health/sweep.js'), this.engine()])
    engine.permit(this.ctx, 'health.sweep', { target: selector ?? null })
    const progress = await this.progress()
    try {
      return await sweepHealth(this.ctx, this.ctx.watchSettings(), {
        selector,
        concurrency: this.flags.concurrency,
        onProgress: (m, d) => progress.update(m, d),
      })
    } finally {
      progress.stop()
    }
  }

  protected render(r: SweepResult): string {
    const wide = this.ctx.format === 'wide'
    const rows = wide ? r.results : r.results.filter((x) => x.changed || x.state !== 'ACTIVE')
    const states = Object.entries(r.byState)
      .map(([s, n]) => `${n} ${s}`)
      .join(', ')
    const head = `Swept ${r.swept} instances in ${(r.durationMs / 1000).toFixed(1)} s: ${states || 'none'}; ${r.transitions.length} state change(s).\n`
    if (rows.length === 0) return `${head}Every swept instance is ACTIVE.\n`
    return (
      head +
      renderTable(
        [
          { header: 'Instance', get: (x) => x.instanceId },
          { header: 'Role', get: (x) => x.role },
          { header: 'Where', get: (x) => `${x.provider}/${x.region}` },
          { header: 'Score', get: (x) => x.score },
          {
            header: 'State',
            get: (x) => (x.changed ? `${x.previousState} → ${paintState(x.state)}` : paintState(x.state)),
          },
          { header: 'Why', get: (x) => x.reasons.join('; ') },
        ],
        rows,
      )
    )
  }
}
