import { Flags } from '@oclif/core'
import { ClawopsCommand } from '../../lib/cli/base-command.js'
import { INSTANCE_STATES } from '../../lib/domain/instance.js'
import { PROVIDERS } from '../../lib/domain/provider.js'
import type { FleetStatus as Result } from '../../lib/fleet/status.js'
import { fleetStatus, parseFleetFilter } from '../../lib/fleet/status.js'
import { formatUsd } from '../../lib/output/money.js'
import { pageFooter } from '../../lib/output/page.js'
import { paintState } from '../../lib/output/style.js'
import { renderFields, renderTable, wrap } from '../../lib/output/table.js'

export default class FleetStatus extends ClawopsCommand<typeof FleetStatus, Result> {
  static override summary =
    'Fleet overview: counts, trouble, incidents, rollouts, cost against projection, provider scores, watch.'
  static override description =
    "The fleet at a glance, the same snapshot the gateway plugin's clawops.fleet-status returns: counts by state, provider, region and tier; every DEGRADED and FAILED instance; pairs with no ACTIVE member and pairs whose primary is not ACTIVE, each with its condition (degraded, promoting, at-risk: an ACTIVE standby never promoted, unserved, creating); each provider region's health; open incidents with their timelines; silences in force; config rollouts and OpenClaw or gf-clawnode upgrades not finished; the OpenClaw and gf-clawnode versions the instances last reported (openclaw versions asks them anew); month-to-date cost against the projection and the provider scores with a 7-day trend (computed at most hourly, by watch or by this command when none is fresh); the last watch cycle and whether watch is alive. monthlyCost is the monthly list price of all live instances. --provider, --region and --state narrow the counts, lists, regions and incidents; cost, scores, rollouts, silences and watch stay fleet-wide."
  static override examples = [
    { description: 'Overview as tables', command: '<%= config.bin %> fleet status' },
    {
      description: 'The same as one JSON document, for agents',
      command: '<%= config.bin %> fleet status --json',
    },
    {
      description: 'Only Hetzner’s Nuremberg region',
      command: '<%= config.bin %> fleet status --provider hetzner --region nbg1',
    },
  ]
  static override flags = {
    provider: Flags.option({ options: PROVIDERS, summary: 'Only this provider.' })(),
    region: Flags.string({ summary: 'Only this provider region, e.g. nbg1.' }),
    state: Flags.option({ options: INSTANCE_STATES, summary: 'Only instances in this state.' })(),
  }

  protected async execute(): Promise<Result> {
    const f = this.flags
    return fleetStatus(this.ctx, {
      filter: parseFleetFilter({ provider: f.provider, region: f.region, state: f.state }),
    })
  }

  protected render(s: Result): string {
    const n = (v: number) => v.toLocaleString('en-US')
    const counts = (m: Record<string, number>, word: (k: string) => string = (k) => k) =>
      Object.entries(m)
        .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
        .map(([k, v]) => `${word(k)} ${n(v)}`)
        .join(' · ')
    const state = (k: string) => (k === 'BOOTSTRAPPING' ? `${paintState(k)} (warming up)` : paintState(k))
    const summary = renderFields([
      ['State', counts(s.byState, state)],
      ['Provider', counts(s.byProvider)],
      ['Region', counts(s.byRegion)],
      ['Tier', counts(s.byTier)],
    ])
    const trouble = [...s.degraded, ...s.failed]
    const lines = [
      `${n(s.pairs)} pairs, ${n(s.instances)} instances, ${formatUsd(s.monthlyCost.usdCents)}/month\n`,
      summary,
    ]
    if (trouble.length > 0) {
      const shown = this.ctx.format === 'wide' ? trouble : trouble.slice(0, TROUBLE_ROWS)
      lines.push(
        `\nDegraded and failed (${n(trouble.length)}):\n`,
        renderTable(
          [
            { header: 'Instance', get: (i) => i.id },
            { header: 'Pair', get: (i) => i.pairId },
            { header: 'Role', get: (i) => i.role },
            { header: 'Where', get: (i) => `${i.provider}/${i.region}` },
            { header: 'State', get: (i) => paintState(i.state) },
            { header: 'Health', get: (i) => i.healthScore },
          ],
          shown,
        ),
        this.footer(
          pageFooter(shown.length, trouble.length, 'degraded and failed instances').replace(
            '(use --limit N or --all)',
            '(all: clawops instance list --state DEGRADED --state FAILED --all, or -o wide)',
          ),
        ),
      )
    }
    const gaps = s.pairsWithoutActivePrimary
    lines.push(
      s.pairsWithoutActive.length === 0
        ? 'Every pair has an ACTIVE member.\n'
        : `${n(s.pairsWithoutActive.length)} pair(s) without an ACTIVE member (users without a gateway):\n${wrap(
            s.pairsWithoutActive.map((p) => p.pairId).join(' '),
            (process.stdout.columns || 80) - 2,
          )
            .map((l) => `  ${l}\n`)
            .join('')}`,
    )
    if (gaps.length > 0)
      lines.push(
        `${n(gaps.length)} pair(s) without an ACTIVE primary:\n${wrap(
          gaps.map((p) => `${p.pairId} (${paintState(p.condition)})`).join(' '),
          (process.stdout.columns || 80) - 2,
        )
          .map((l) => `  ${l}\n`)
          .join('')}`,
      )
    for (const i of s.incidents)
      lines.push(`Incident ${i.id} (${i.severity}, ${i.status}): ${i.title} since ${i.openedAt}\n`)
    if (s.silences.length > 0) lines.push(`${s.silences.length} silence(s) in force.\n`)
    for (const r of s.rollouts)
      lines.push(
        `Rollout ${r.id} (${r.kind}, ${r.status}): batch ${r.currentBatch + 1}/${r.batches}, ${r.targets.total - r.targets.pending - r.targets.inFlight}/${r.targets.total} instances done\n`,
      )
    for (const u of s.upgrades)
      lines.push(
        `Upgrade ${u.id} (${u.kind} → ${u.targetVersion}, ${u.status}): batch ${Math.min(u.currentBatch + 1, u.batches)}/${u.batches}\n`,
      )
    const v = s.versions
    if (v.openclaw.length > 0 || v.clawnode.length > 0) {
      const list = (g: { version: string; instances: number }[]) =>
        g.map((x) => `${x.version} ×${x.instances}`).join(', ') || '–'
      lines.push(
        `Versions last reported: OpenClaw ${list(v.openclaw)}; gf-clawnode ${list(v.clawnode)}${v.unknown ? `; ${v.unknown} never reported` : ''}\n`,
      )
    }
    if (s.cost) {
      const delta = s.cost.deltaPct === null ? '' : ` (${s.cost.deltaPct > 0 ? '+' : ''}${s.cost.deltaPct}%)`
      lines.push(
        `Cost this month: ${formatUsd(s.cost.actualUsdCents)} vs ${formatUsd(s.cost.projection.toDateUsdCents)} projected to date${delta}; forecast ${formatUsd(s.cost.forecastUsdCents)} of ${formatUsd(s.cost.projection.periodUsdCents)}\n`,
      )
    }
    if (s.providerScores) {
      const scores = s.providerScores.providers.map((p) => `${p.provider} ${p.score ?? '–'}`).join(', ')
      lines.push(`Provider scores (${s.providerScores.window.days} days): ${scores}\n`)
    }
    const w = s.watch
    lines.push(
      w.status === 'never'
        ? 'watch has never run on this store.\n'
        : `watch: ${w.status}${w.lastCycle ? `, last cycle ${w.lastCycle.at}` : ', no cycle yet'}\n`,
    )
    return lines.join('')
  }
}

/** Trouble rows shown by default; the rest is one command away. */
const TROUBLE_ROWS = 20
