/**
 * A briefing in three renderings from one set of facts: plain text in the PRD's style ("Fleet status:
 * 847 active pairs across 3 providers. 2 degraded (auto-healing in progress), ..."), Markdown for chat
 * channels, and a spoken variant for the voice note (no symbols, ids or codes; numbers a speech engine
 * reads well). Every number comes from the facts; nothing here computes one of its own.
 */
import type { LogEntry } from '../store/briefer-log.js'
import { providerName } from './activity.js'
import type { BriefFacts } from './facts.js'
import { statusPhrase } from './fleet-notes.js'
import type { Pattern } from './incident-log.js'
import {
  dayMonth,
  dollars,
  duration,
  listJoin,
  monthYear,
  plural,
  signedPct,
  spokenDelta,
  spokenDollars,
  spokenDuration,
  utcMinute,
} from './words.js'

export interface Renderings {
  text: string
  markdown: string
  spoken: string
  /** Pattern sentences, also inside the renderings. */
  patterns: string[]
}

type Style = 'text' | 'spoken'

const sentence = (s: string) => `${s[0]!.toUpperCase()}${s.slice(1)}${/[.!?]$/.test(s) ? '' : '.'}`

function greeting(f: BriefFacts): string {
  const hour = new Date(f.asOf).getUTCHours()
  const part = hour < 12 ? 'Good morning' : hour < 18 ? 'Good afternoon' : 'Good evening'
  return f.operatorName ? `${part} ${f.operatorName}.` : `${part}.`
}

function money(style: Style, cents: number): string {
  return style === 'spoken' ? spokenDollars(cents) : dollars(cents)
}

/** "Fleet status: 847 active pairs across 3 providers. 2 degraded (auto-healing in progress), 1 failed (...)." */
function fleetSentences(f: BriefFacts, style: Style): string[] {
  const fl = f.fleet
  const out = [
    `Fleet status: ${plural(fl.activePairs, 'active pair')} across ${plural(fl.providers.length, 'provider')}.`,
  ]
  const trouble: string[] = []
  if (fl.degraded.length) trouble.push(`${fl.degraded.length} degraded (${statusPhrase(fl.degraded)})`)
  if (fl.failed.length) trouble.push(`${fl.failed.length} failed (${statusPhrase(fl.failed)})`)
  if (fl.quarantined.length)
    trouble.push(`${fl.quarantined.length} quarantined after failover (${statusPhrase(fl.quarantined)})`)
  out.push(trouble.length ? sentence(trouble.join(', ')) : 'Nothing degraded or failed.')
  if (fl.atRisk > 0) {
    out.push(
      `${plural(fl.atRisk, 'user')} without a primary although the standby is ready: a failover would serve them.`,
    )
  }
  if (fl.pairsWithoutActivePrimary > fl.atRisk && style === 'text') {
    out.push(`${plural(fl.pairsWithoutActivePrimary, 'pair')} without an ACTIVE primary.`)
  }
  return out
}

/** The cost line's label and value: "Cost this week" and "$1,247 vs $1,190 projected (+4.8%)". */
function costParts(f: BriefFacts, style: Style): { label: string; value: string } {
  const c = f.cost
  const label =
    f.kind === 'daily'
      ? c.period.elapsedPct < 100 / 7
        ? 'Cost this week so far'
        : 'Cost this week'
      : f.kind === 'weekly'
        ? `Cost last week (${dayMonth(c.period.start)} to ${dayMonth(new Date(Date.parse(c.period.end) - 1).toISOString())})`
        : `Cost in ${monthYear(c.period.start)}`
  if (style === 'spoken') {
    return {
      label,
      value: `${money(style, c.actualUsdCents)}, ${spokenDelta(c.deltaPct, `the projected ${money(style, c.projectedUsdCents)}`)}.`,
    }
  }
  const anomaly = c.anomaly ? ` Over the ${c.anomalyThresholdPct}% anomaly threshold.` : ''
  return {
    label,
    value: `${dollars(c.actualUsdCents)} vs ${dollars(c.projectedUsdCents)} projected (${signedPct(c.deltaPct)}).${anomaly}`,
  }
}

function costSentence(f: BriefFacts, style: Style): string {
  const { label, value } = costParts(f, style)
  return `${label}: ${value}`
}

function wasteSentence(f: BriefFacts, style: Style): string {
  const w = f.waste
  const idle = `${plural(w.idle.count, 'idle account')} flagged for review`
  if (f.kind === 'daily') return `${sentence(idle)}`
  const parts = [
    `${plural(w.idle.count, 'idle account')} (${money(style, w.idle.monthlySavingUsdCents)} a month)`,
    `${w.oversized.count} oversized (${money(style, w.oversized.monthlySavingUsdCents)} a month)`,
    `${w.cheaperElsewhere.count} cheaper elsewhere (${money(style, w.cheaperElsewhere.monthlySavingUsdCents)} a month)`,
  ]
  return `Waste flagged: ${listJoin(parts)}; ${money(style, w.totalMonthlySavingUsdCents)} a month recoverable.`
}

function slaSentence(f: BriefFacts, style: Style): string {
  const s = f.sla
  if (s.breaches.length === 0) {
    return style === 'spoken'
      ? `No user was without a gateway for more than ${plural(s.maxUnservedMinutes, 'minute')}.`
      : 'No SLA breaches.'
  }
  const ongoing = s.breaches.filter((b) => b.ongoing).length
  const longest = Math.max(...s.breaches.map((b) => b.minutes))
  const len = style === 'spoken' ? spokenDuration(longest) : duration(longest)
  const head =
    style === 'spoken'
      ? `${plural(s.breaches.length, 'user')} went without a gateway for more than ${plural(s.maxUnservedMinutes, 'minute')}`
      : `${plural(s.breaches.length, 'SLA breach', 'SLA breaches')} (users without a gateway over ${s.maxUnservedMinutes} min)`
  return `${head}${ongoing ? `, ${ongoing} still ongoing` : ''}; the longest ${len}.`
}

function incidentPattern(entries: readonly LogEntry[], patterns: readonly Pattern[], incidentId: string) {
  const e = entries.find((x) => x.source === 'incident' && x.sourceId === incidentId)
  return e ? patterns.find((p) => p.entryId === e.id)?.text : undefined
}

/** The window's activity: heals, failovers, incidents, provisioning, cost anomalies, in sentences. */
function activitySentences(
  f: BriefFacts,
  style: Style,
  entries: readonly LogEntry[],
  patterns: readonly Pattern[],
): string[] {
  const a = f.activity
  const out: string[] = []
  const heals = a.heals.healed + a.heals.escalated
  if (heals > 0) {
    const parts = []
    if (a.heals.healed) parts.push(`${a.heals.healed} healed by a restart`)
    if (a.heals.escalated) parts.push(`${a.heals.escalated} escalated to Commander`)
    out.push(`${plural(heals, 'heal')} (${listJoin(parts)}).`)
  } else out.push('No heals were needed.')
  if (a.failovers.total > 0) {
    const where = a.failovers.byScope.map((s) => `${s.count} out of ${providerName(s.provider)} ${s.place}`)
    if (where.length === 1) where[0] = where[0]!.replace(/^\d+ out of/, 'all out of')
    const extra = [
      a.failovers.failed ? `${a.failovers.failed} failed` : '',
      a.failovers.inProgress ? `${a.failovers.inProgress} in progress` : '',
    ].filter(Boolean)
    out.push(
      `${plural(a.failovers.complete, 'failover')} complete${where.length ? ` (${listJoin(where)})` : ''}${extra.length ? `, ${listJoin(extra)}` : ''}.`,
    )
  }
  const owed = a.reprovision.waiting + a.reprovision.ready + a.reprovision.claimed
  if (owed > 0) {
    const ready = a.reprovision.ready + a.reprovision.claimed
    const parts = [
      a.reprovision.waiting ? `${a.reprovision.waiting} waiting for their provider to recover` : '',
      ready ? `${ready} ready to provision` : '',
    ].filter(Boolean)
    out.push(`${plural(owed, 'replacement standby', 'replacement standbys')} owed (${parts.join(', ')}).`)
  }
  if (a.incidents.length > 0) {
    const items = a.incidents.map((i) => {
      const place = i.region ? `${providerName(i.provider)} ${i.place}` : providerName(i.provider)
      const state =
        i.status === 'resolved'
          ? `resolved after ${style === 'spoken' ? spokenDuration(i.minutes) : duration(i.minutes)}`
          : `${i.status} for ${style === 'spoken' ? spokenDuration(i.minutes) : duration(i.minutes)}`
      const pattern = incidentPattern(entries, patterns, i.id)
      return `${place}, ${state}${pattern ? `, ${pattern}` : ''}`
    })
    out.push(`${plural(a.incidents.length, 'provider incident')}: ${items.join('; ')}.`)
  }
  const p = a.provisioning
  if (p.attempts > 0) {
    const retried = p.retried ? ` (${p.retried} after retries)` : ''
    const failures = p.failures.map(
      (x) => `${x.count} at ${providerName(x.provider)} ${x.place} after ${plural(x.attempts, 'attempt')}`,
    )
    out.push(
      `Provisioning: ${p.ok} of ${plural(p.attempts, 'server')} came up${retried}${failures.length ? `; failed: ${listJoin(failures)}` : ''}.`,
    )
  }
  if (a.costAnomalies.length > 0) {
    out.push(
      `${plural(a.costAnomalies.length, 'cost anomaly', 'cost anomalies')} flagged: ${a.costAnomalies
        .map(
          (c) =>
            `this ${c.period ?? 'period'} ${c.overPct === null ? '' : `${style === 'spoken' ? `${c.overPct} percent` : `${c.overPct}%`} `}over projection`,
        )
        .join('; ')}.`,
    )
  }
  return out
}

function capacitySentences(f: BriefFacts, style: Style): string[] {
  const c = f.capacity
  if (!c) return []
  const growth = `${c.netPairsPerMonth >= 0 ? '+' : ''}${c.netPairsPerMonth} users a month`
  const out = [
    `Capacity: ${plural(c.usersNow, 'user')} now, ${c.usersProjected.toLocaleString('en-US')} projected in ${plural(c.months, 'month')} (${style === 'spoken' ? growth.replace('+', 'plus ') : growth}).`,
  ]
  if (c.exhausting.length) {
    out.push(
      `Quota runs out: ${listJoin(
        c.exhausting
          .slice(0, 4)
          .map(
            (x) =>
              `${providerName(x.provider)}${x.region ? ` ${x.region}` : ''} ${x.exhaustsIn === 'now' ? 'already' : `in ${x.exhaustsIn}`}`,
          ),
      )}.`,
    )
  } else out.push(`No provider quota runs out within ${plural(c.months, 'month')}.`)
  const budget =
    c.budgetMonthlyUsdCents === null
      ? 'no monthly budget set'
      : c.budgetExceededIn
        ? `the budget of ${money(style, c.budgetMonthlyUsdCents)} is exceeded ${c.budgetExceededIn === 'now' ? 'already' : `from ${c.budgetExceededIn}`}`
        : `within the budget of ${money(style, c.budgetMonthlyUsdCents)}`
  out.push(`Run rate ${money(style, c.runRateMonthlyUsdCents)} a month, ${budget}.`)
  return out
}

function heading(f: BriefFacts): string {
  switch (f.kind) {
    case 'daily':
      return `Daily briefing, ${utcMinute(f.asOf)}`
    case 'weekly':
      return `Weekly cost report, ${utcMinute(f.asOf)}`
    case 'monthly':
      return `Monthly capacity report, ${monthYear(f.asOf)}`
  }
}

function paragraphs(f: BriefFacts, style: Style, entries: readonly LogEntry[], patterns: readonly Pattern[]) {
  const window = f.window.label[0]!.toUpperCase() + f.window.label.slice(1)
  const head =
    f.kind === 'daily'
      ? [
          greeting(f),
          ...fleetSentences(f, style),
          costSentence(f, style),
          wasteSentence(f, style),
          slaSentence(f, style),
        ]
      : f.kind === 'weekly'
        ? [
            `Weekly cost report.`,
            costSentence(f, style),
            wasteSentence(f, style),
            ...fleetSentences(f, style),
            slaSentence(f, style),
          ]
        : [
            `Monthly capacity report for ${monthYear(f.asOf)}.`,
            ...capacitySentences(f, style),
            costSentence(f, style),
            wasteSentence(f, style),
            ...fleetSentences(f, style),
            slaSentence(f, style),
          ]
  return { head, window, activity: activitySentences(f, style, entries, patterns) }
}

export function composeBriefing(
  f: BriefFacts,
  entries: readonly LogEntry[],
  patterns: readonly Pattern[],
): Renderings {
  const t = paragraphs(f, 'text', entries, patterns)
  const text = `${t.head.join(' ')}\n\n${t.window}: ${t.activity.join(' ')}`

  const s = paragraphs(f, 'spoken', entries, patterns)
  const spoken =
    `${s.head.join(' ')} In the ${f.window.label.replace(/^last /, 'last ')}: ${s.activity.join(' ')}`
      .replace(/\bSLA\b/g, 'service level')
      .replace(/\s+/g, ' ')
      .trim()

  const md: string[] = [`**${heading(f)}**`, '']
  if (f.kind === 'daily') md.push(greeting(f), '')
  md.push(
    `**Fleet**: ${t.head
      .filter((x) => x.startsWith('Fleet status'))
      .join(' ')
      .replace('Fleet status: ', '')}`,
  )
  const fl = f.fleet
  if (fl.degraded.length) md.push(`- ${fl.degraded.length} degraded: ${statusPhrase(fl.degraded)}`)
  if (fl.failed.length) md.push(`- ${fl.failed.length} failed: ${statusPhrase(fl.failed)}`)
  if (fl.quarantined.length)
    md.push(`- ${fl.quarantined.length} quarantined after failover: ${statusPhrase(fl.quarantined)}`)
  md.push('')
  if (f.capacity) md.push(...capacitySentences(f, 'text').map((x) => `- ${x}`), '')
  const cost = costParts(f, 'text')
  md.push(`**${cost.label}**: ${cost.value}`)
  md.push(`**Waste**: ${wasteSentence(f, 'text')}`)
  if (f.kind !== 'daily' && f.cost.byProvider.length) {
    md.push(
      `**By provider**: ${f.cost.byProvider.map((g) => `${providerName(g.key)} ${dollars(g.actualUsdCents)}`).join(', ')}`,
    )
  }
  if (f.kind === 'weekly' && f.waste.recommendations.length) {
    md.push('', '**Recommendations** (each plans first and waits for confirmation):')
    md.push(...f.waste.recommendations.slice(0, 6).map((r) => `- \`${r}\``))
  }
  md.push(`**SLA**: ${slaSentence(f, 'text')}`, '', `**${t.window}**`, ...t.activity.map((x) => `- ${x}`))
  if (patterns.length) md.push('', '**Patterns**', ...patterns.map((p) => `- ${sentence(p.text)}`))

  return { text, markdown: `${md.join('\n')}\n`, spoken, patterns: patterns.map((p) => p.text) }
}
