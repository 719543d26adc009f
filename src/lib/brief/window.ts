/**
 * What a briefing covers. Events (heals, failovers, incidents, provisioning, SLA) come from a window
 * ending at the briefing's time: the last 24 hours, 7 days or 30 days by default, or from `--since`.
 * Cost comes from the Ledger's own periods, so the numbers are exactly what `clawops cost report`
 * says: the daily briefing reports this week so far; the weekly (run Monday 08:00) the last complete
 * week; the monthly (run on the 1st) the last complete month.
 */
import { parseSince } from '../domain/time.js'
import { UserError } from '../errors.js'
import type { BriefingKind } from './settings.js'

const HOUR = 3_600_000

export interface BriefWindow {
  kind: BriefingKind
  since: string
  until: string
  hours: number
  /** The label humans read: "last 24 hours", "last 7 days", "since 2026-11-20 07:00 UTC". */
  label: string
}

export const DEFAULT_WINDOW_HOURS: Record<BriefingKind, number> = {
  daily: 24,
  weekly: 7 * 24,
  monthly: 30 * 24,
}

export const COST_PERIOD: Record<BriefingKind, { period: 'week' | 'month'; previous: boolean }> = {
  daily: { period: 'week', previous: false },
  weekly: { period: 'week', previous: true },
  monthly: { period: 'month', previous: true },
}

export function briefingWindow(kind: BriefingKind, now: Date, since?: string): BriefWindow {
  const until = now.toISOString()
  if (since === undefined) {
    const hours = DEFAULT_WINDOW_HOURS[kind]
    return {
      kind,
      since: new Date(now.getTime() - hours * HOUR).toISOString(),
      until,
      hours,
      label: hours <= 48 ? `last ${hours} hours` : `last ${hours / 24} days`,
    }
  }
  const from = parseSince(since, now)
  if (from >= until) {
    throw new UserError('INVALID_INPUT', `--since ${since} is not in the past`, {
      hint: 'Use an earlier ISO time or an age such as 24h or 7d.',
    })
  }
  const hours = Math.round(((Date.parse(until) - Date.parse(from)) / HOUR) * 10) / 10
  return { kind, since: from, until, hours, label: `since ${from.slice(0, 16).replace('T', ' ')} UTC` }
}
