// Briefings on a lab fleet with a day of seeded events: every number is the one the read commands
// compute (fleet status, cost report, cost waste, capacity plan), the text reads like the PRD, the
// incident log names the pattern, and the same store gives the same briefing.
import { describe, expect, it } from 'vitest'
import { runBriefing } from '../../../src/lib/brief/run.js'
import { dollars, signedPct } from '../../../src/lib/brief/words.js'
import { DEFAULT_CONFIG } from '../../../src/lib/config/defaults.js'
import type { Config } from '../../../src/lib/config/schema.js'
import type { Context } from '../../../src/lib/context.js'
import { fleetStatus } from '../../../src/lib/fleet/status.js'
import { type SeedResult, seedFleet } from '../../../src/lib/lab/seed.js'
import { capacityPlan } from '../../../src/lib/ledger/capacity.js'
import { costReport } from '../../../src/lib/ledger/cost-report.js'
import { wasteReport } from '../../../src/lib/ledger/waste.js'
import { BrieferLog } from '../../../src/lib/store/briefer-log.js'
import { Briefings } from '../../../src/lib/store/briefings.js'
import { testContext } from '../../support/context.js'

const AT = '2026-11-26T07:00:00.000Z'
const config: Config = { ...structuredClone(DEFAULT_CONFIG), briefer: { operatorName: 'Omar' } }

function lab(seed = 5): { ctx: Context; seeded: SeedResult } {
  const ctx = testContext({ clock: () => new Date(AT), config })
  const seeded = seedFleet(ctx, { pairs: 150, seed, historyDays: 14, briefingEvents: true })
  return { ctx, seeded }
}

describe('the daily briefing', () => {
  const { ctx, seeded } = lab()
  const events = seeded.briefingEvents!

  it('reports exactly what fleet status, cost report and cost waste say, in the PRD style', async () => {
    const b = await runBriefing(ctx, { kind: 'daily' })
    const s = fleetStatus(ctx)
    const cost = costReport(ctx, { period: 'week', at: new Date(AT) })
    const waste = wasteReport(ctx, { at: new Date(AT) })
    const f = b.facts
    expect(f.fleet).toMatchObject({
      pairs: s.pairs,
      instances: s.instances,
      activePairs: s.pairs - s.pairsWithoutActivePrimary.length,
      providers: Object.keys(s.byProvider).sort(),
      byState: s.byState,
      pairsWithoutActivePrimary: s.pairsWithoutActivePrimary.filter((g) => g.condition !== 'creating').length,
      atRisk: s.pairsWithoutActivePrimary.filter((g) => g.condition === 'at-risk').length,
    })
    expect(f.fleet.degraded.map((i) => i.id)).toEqual(s.degraded.map((i) => i.id))
    expect(f.fleet.failed.map((i) => i.id)).toEqual(s.failed.map((i) => i.id))
    expect(f.cost).toMatchObject({
      actualUsdCents: cost.actualUsdCents,
      projectedUsdCents: cost.projection.toDateUsdCents,
      deltaPct: cost.deltaPct,
      forecastUsdCents: cost.forecastUsdCents,
    })
    expect(f.waste.idle.count).toBe(waste.idle.count)
    expect(f.waste.totalMonthlySavingUsdCents).toBe(waste.totalMonthlySavingUsdCents)

    expect(b.text).toMatch(
      new RegExp(
        `^Good morning Omar\\. Fleet status: ${f.fleet.activePairs} active pairs across ${f.fleet.providers.length} providers\\. ${s.degraded.length} degraded \\(auto-healing in progress\\), ${s.failed.length} failed \\(`,
      ),
    )
    expect(b.text).toContain(
      `Cost this week: ${dollars(cost.actualUsdCents)} vs ${dollars(cost.projection.toDateUsdCents)} projected (${signedPct(cost.deltaPct)}).`,
    )
    expect(b.text).toContain(`${waste.idle.count} idle accounts flagged for review.`)
  })

  it('tells the day: heals, the failovers of the incident, provisioning, the SLA breach, the pattern', async () => {
    const b = await runBriefing(ctx, { kind: 'daily' })
    const a = b.facts.activity
    expect(a.failovers).toMatchObject({
      total: events.failedOverPairs.length,
      complete: events.failedOverPairs.length,
    })
    expect(a.heals.healed).toBe(events.healed.length + 1) // and the restart that ended the SLA breach
    expect(a.provisioning).toMatchObject({ attempts: 12, ok: 11, failed: 1, retried: 2 })
    expect(a.incidents.map((i) => i.id)).toEqual([events.incident!.id])
    expect(b.text).toContain(
      `${events.failedOverPairs.length} failovers complete (all out of Hetzner Nuremberg)`,
    )
    expect(b.text).toContain(
      'Provisioning: 11 of 12 servers came up (2 after retries); failed: 1 at Hostinger Boston after 3 attempts.',
    )
    const breach = b.facts.sla.breaches.find((x) => x.pairId === events.slaBreachPair)
    expect(breach).toMatchObject({ minutes: 18, ongoing: false, startSource: 'event' })
    // History has an nbg1 incident 10-13 days back and the events one 6 days back: today's is the third.
    expect(seeded.history!.manifest.incidents).toContain('inc-lab-hetzner-nbg1')
    expect(b.patterns).toContain('the third Hetzner Nuremberg incident in 30 days')
    expect(b.text).toContain(
      'Hetzner Nuremberg, resolved after 40 min, the third Hetzner Nuremberg incident in 30 days',
    )
  })

  it('has a Markdown rendering for chat and a spoken one without symbols', async () => {
    const b = await runBriefing(ctx, { kind: 'daily' })
    expect(b.markdown).toMatch(/^\*\*Daily briefing, 2026-11-26 07:00 UTC\*\*\n/)
    expect(b.markdown).toContain(`**Cost this week**: ${dollars(b.facts.cost.actualUsdCents)} vs`)
    expect(b.markdown).toContain('**Patterns**\n- The third Hetzner Nuremberg incident in 30 days.')
    expect(b.spoken).toMatch(/^Good morning Omar\. Fleet status:/)
    expect(b.spoken).not.toMatch(/[$%*]|SLA|\bi-[a-z0-9]{10}\b/)
    expect(b.spoken).toContain(
      `${Math.round(b.facts.cost.actualUsdCents / 100).toLocaleString('en-US')} dollars`,
    )
  })

  it('keeps each briefing and logs each incident once however often it runs', async () => {
    const before = ctx.store().repo(BrieferLog).between('2000-01-01', '2100-01-01').length
    const b = await runBriefing(ctx, { kind: 'daily' })
    expect(ctx.store().repo(BrieferLog).between('2000-01-01', '2100-01-01')).toHaveLength(before)
    expect(ctx.store().repo(Briefings).get(b.id)).toMatchObject({
      kind: 'daily',
      text: b.text,
      windowEnd: AT,
    })
    expect(b.log.map((e) => e.kind).sort()).toEqual(
      ['failovers', 'incident', 'provision-failures', 'sla-breach', 'sla-breach'].sort(),
    )
  })

  it('is the same briefing for the same store', async () => {
    const again = lab()
    const [x, y] = [
      await runBriefing(ctx, { kind: 'daily' }),
      await runBriefing(again.ctx, { kind: 'daily' }),
    ]
    expect(y.text).toBe(x.text)
    expect(y.spoken).toBe(x.spoken)
  })
})

describe('the weekly and monthly briefings', () => {
  const { ctx } = lab(9)

  it('weekly: the last complete week, as cost report --period week --previous', async () => {
    const b = await runBriefing(ctx, { kind: 'weekly' })
    const cost = costReport(ctx, { period: 'week', previous: true, at: new Date(AT) })
    expect(b.facts.cost).toMatchObject({
      actualUsdCents: cost.actualUsdCents,
      projectedUsdCents: cost.projection.toDateUsdCents,
      deltaPct: cost.deltaPct,
      period: { start: cost.period.start, end: cost.period.end, complete: true },
    })
    expect(b.facts.cost.byProvider.map((g) => [g.key, g.actualUsdCents])).toEqual(
      cost.groups.map((g) => [g.key, g.actualUsdCents]),
    )
    expect(b.facts.window.hours).toBe(168)
    expect(b.text).toMatch(/^Weekly cost report\. Cost last week \(16 November to 22 November\): \$/)
    expect(b.markdown).toContain('**Recommendations**')
  })

  it('monthly: the capacity plan and last month', async () => {
    const b = await runBriefing(ctx, { kind: 'monthly' })
    const plan = capacityPlan(ctx, { months: 3, at: new Date(AT) })
    const cost = costReport(ctx, { period: 'month', previous: true, at: new Date(AT) })
    expect(b.facts.capacity).toMatchObject({
      usersNow: plan.users.now,
      usersProjected: plan.users.projected.at(-1)!.users,
      runRateMonthlyUsdCents: plan.cost.runRateMonthlyUsdCents,
    })
    expect(b.facts.cost.actualUsdCents).toBe(cost.actualUsdCents)
    expect(b.text).toMatch(/^Monthly capacity report for November 2026\. Capacity: \d+ users now/)
    expect(b.text).toContain(`Cost in October 2026: ${dollars(cost.actualUsdCents)}`)
  })

  it('reads --since as the window start', async () => {
    const b = await runBriefing(ctx, { kind: 'daily', since: '2026-11-25T19:00:00Z' })
    expect(b.facts.window).toMatchObject({ since: '2026-11-25T19:00:00.000Z', until: AT, hours: 12 })
    await expect(runBriefing(ctx, { kind: 'daily', since: '2026-12-01' })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    })
  })
})
