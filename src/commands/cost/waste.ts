import { Flags } from '@oclif/core'
import { ClawopsCommand } from '../../lib/cli/base-command.js'
import { type WasteReport, wasteReport } from '../../lib/ledger/waste.js'
import { formatUsd } from '../../lib/output/money.js'
import { pageFooter } from '../../lib/output/page.js'
import { renderTable } from '../../lib/output/table.js'

export default class CostWaste extends ClawopsCommand<typeof CostWaste, WasteReport> {
  static override summary =
    'What the fleet pays for and does not need: idle accounts, oversized tiers, instances cheaper elsewhere; with evidence, monthly savings and the command for each.'
  static override description =
    'Idle: no user activity for ledger.waste.idleDays (14) days. Oversized: the primary stayed below ledger.waste.oversizedPct (20 %) CPU and RAM at every sample of the last 7 days; the target is the smallest tier its peaks fit. Cheaper elsewhere: a Contabo or Hostinger contract whose locked price is above what another provider the routing allows for that slot charges per month now. Each finding names the clawops command that would act on it (teardown, resize); those commands plan first and wait for confirmation (always, when Ledger runs them).'
  static override examples = [
    { description: 'The waste report', command: '<%= config.bin %> cost waste' },
    {
      description: 'Only idle accounts, as JSON',
      command: '<%= config.bin %> cost waste --category idle --json',
    },
    { description: 'Five findings per category', command: '<%= config.bin %> cost waste --limit 5' },
    { description: 'Every finding, as JSON', command: '<%= config.bin %> cost waste --all --json' },
  ]
  static override flags = {
    category: Flags.option({
      options: ['idle', 'oversized', 'cheaper-elsewhere'] as const,
      summary: 'Only this category.',
    })(),
    limit: Flags.integer({
      min: 1,
      max: 100_000,
      summary: 'Findings listed per category (default 25; counts, savings and bulk commands cover all).',
    }),
    all: Flags.boolean({ summary: 'List every finding.', exclusive: ['limit'] }),
  }

  protected async execute(): Promise<WasteReport> {
    return wasteReport(this.ctx, {
      category: this.flags.category,
      limit: this.flags.all ? undefined : (this.flags.limit ?? 25),
    })
  }

  /** Under a category's table: how many of its findings it lists. */
  private more(c: { items: unknown[]; count: number }): string {
    return this.footer(pageFooter(c.items.length, c.count, 'findings'))
  }

  protected render(r: WasteReport): string {
    const out: string[] = []
    const n = (c: { count: number; monthlySavingUsdCents: number }) =>
      `${c.count} (${formatUsd(c.monthlySavingUsdCents)}/month)`
    out.push(
      `Waste as of ${r.asOf.slice(0, 16).replace('T', ' ')} UTC: idle ${n(r.idle)}, oversized ${n(r.oversized)}, cheaper elsewhere ${n(r.cheaperElsewhere)}. Total recoverable: ${formatUsd(r.totalMonthlySavingUsdCents)}/month.\n`,
    )
    if (r.idle.items.length) {
      out.push(`\nIdle accounts (no activity for ${r.thresholds.idleDays}+ days): teardown\n`)
      out.push(
        renderTable(
          [
            { header: 'Pair', get: (i) => i.pairId },
            { header: 'User', get: (i) => i.userId },
            { header: 'Where', get: (i) => i.providers.join('+') },
            { header: 'Tier', get: (i) => i.tier },
            { header: 'Idle days', get: (i) => i.evidence.idleDays },
            { header: 'Saving/month', get: (i) => formatUsd(i.monthlySavingUsdCents) },
            { header: 'Command', get: (i) => i.command },
          ],
          r.idle.items,
        ),
        this.more(r.idle),
      )
    }
    if (r.oversized.items.length) {
      out.push(
        `\nOversized (< ${r.thresholds.oversizedPct}% CPU and RAM for ${r.thresholds.oversizedDays} days): resize\n`,
      )
      out.push(
        renderTable(
          [
            { header: 'Pair', get: (i) => i.pairId },
            { header: 'Tier', get: (i) => `${i.tier} → ${i.targetTier}` },
            { header: 'CPU max', get: (i) => `${i.evidence.cpuMaxPct}%` },
            { header: 'RAM max', get: (i) => `${i.evidence.memMaxPct}%` },
            { header: 'Saving/month', get: (i) => formatUsd(i.monthlySavingUsdCents) },
            { header: 'Command', get: (i) => i.command },
          ],
          r.oversized.items,
        ),
        this.more(r.oversized),
      )
    }
    if (r.cheaperElsewhere.items.length) {
      out.push('\nCheaper elsewhere (contract price above another allowed provider): move at renewal\n')
      out.push(
        renderTable(
          [
            { header: 'Instance', get: (i) => i.instanceId },
            {
              header: 'Now',
              get: (i) => `${i.provider} ${i.evidence.plan} ${formatUsd(i.evidence.monthlyUsdCents)}`,
            },
            {
              header: 'Instead',
              get: (i) => `${i.targetProvider} ${formatUsd(i.evidence.alternative.monthlyUsdCents)}`,
            },
            { header: 'Tenure', get: (i) => `${i.evidence.tenureDays} d` },
            { header: 'From', get: (i) => i.savingStartsAt?.slice(0, 10) ?? 'now' },
            { header: 'Saving/month', get: (i) => formatUsd(i.monthlySavingUsdCents) },
            { header: 'Command', get: (i) => i.command },
          ],
          r.cheaperElsewhere.items,
        ),
        this.more(r.cheaperElsewhere),
      )
    }
    out.push(`\n${r.note}\n`)
    return out.join('')
  }
}
