import { Flags } from '@oclif/core'
import { ClawopsCommand } from '../../lib/cli/base-command.js'
import { type SeedResult, seedFleet } from '../../lib/lab/seed.js'
import { renderTable } from '../../lib/output/table.js'

export default class LabSeed extends ClawopsCommand<typeof LabSeed, SeedResult> {
  static override summary =
    'Fill the store with a deterministic synthetic fleet (labelled lab=true) for demos and benchmarks.'
  static override description =
    'Pairs spread over the five providers and three region groups (EU, US, AP), standby on another provider than the primary, with a few degraded, failed and bootstrapping members. The same --seed always gives the same fleet. No server exists behind these rows: use `clawops lab up` and `clawops provision` for a fleet of real lab nodes.'
  static override examples = [
    '<%= config.bin %> lab seed --pairs 50',
    {
      description: 'A benchmark fleet, replacing earlier lab data',
      command: '<%= config.bin %> lab seed --pairs 10000 --seed 7 --replace',
    },
    {
      description: 'With 30 days of history for the cost, waste and provider-health commands',
      command: '<%= config.bin %> lab seed --pairs 500 --history-days 30',
    },
    {
      description: 'With a day of heals, failovers, an incident and provisioning for the briefings',
      command: '<%= config.bin %> lab seed --pairs 200 --history-days 14 --briefing-events',
    },
  ]
  static override flags = {
    pairs: Flags.integer({ required: true, min: 1, max: 100_000, summary: 'How many pairs to create.' }),
    seed: Flags.integer({
      default: 1,
      min: 0,
      max: 2 ** 31 - 1,
      summary: 'Random seed; the same seed gives the same fleet.',
    }),
    replace: Flags.boolean({ summary: 'Remove existing lab rows (labelled lab=true) first.' }),
    'history-days': Flags.integer({
      min: 1,
      max: 30,
      summary:
        'Also write this many days of synthetic history: health roll-ups, user activity, provisioning, churn, incidents, with known waste for the Ledger.',
    }),
    'briefing-events': Flags.boolean({
      summary:
        'Also write a day of fleet events for briefings: heals, failovers during a provider incident, an SLA breach, provisioning with a failure.',
    }),
  }

  protected async execute(): Promise<SeedResult> {
    // Human-only (see command-rules.ts): refused to every agent here, not only by its exec allowlist.
    const engine = await this.engine()
    engine.permit(this.ctx, 'lab.manage')
    return seedFleet(this.ctx, {
      pairs: this.flags.pairs,
      seed: this.flags.seed,
      replace: this.flags.replace,
      historyDays: this.flags['history-days'],
      briefingEvents: this.flags['briefing-events'],
    })
  }

  protected render(r: SeedResult): string {
    const h = r.history
    const head =
      `Seeded ${r.pairs} pairs (${r.instances} instances) with seed ${r.seed}${r.replaced ? `, replacing ${r.replaced} lab pairs` : ''}.\n` +
      (h
        ? `History: ${h.days} days, ${h.rollups} health roll-ups, ${h.provisions} provisioning attempts, ${h.manifest.churnedPairs.length} churned pairs; planted waste: ${h.manifest.idlePairs.length} idle pairs, ${h.manifest.oversizedPairs.length} oversized pairs, ${h.manifest.cheaperElsewhere.length} instances cheaper elsewhere.\n`
        : '') +
      (r.briefingEvents
        ? `Briefing events: ${r.briefingEvents.events} events; Hetzner ${r.briefingEvents.incident?.region} incident with ${r.briefingEvents.failedOverPairs.length} failovers, ${r.briefingEvents.healed.length} heals, ${r.briefingEvents.healing.length} heals in progress, ${r.briefingEvents.slaBreachPair ? '1 SLA breach' : 'no SLA breach'}.\n`
        : '')
    return (
      head +
      renderTable(
        [
          { header: 'State', get: (e: [string, number]) => e[0] },
          { header: 'Instances', get: (e: [string, number]) => e[1] },
        ],
        Object.entries(r.byState),
      )
    )
  }
}
