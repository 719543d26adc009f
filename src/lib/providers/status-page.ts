/**
 * A provider's status page, fetched over HTTP (safety rule 4: check it before declaring a
 * provider-wide incident). Pages come from `watch.statusPages.<provider>`, else
 * `watch.statusPageBase` + provider (the lab serves `/_status/<provider>`), else the provider's own
 * public Statuspage (DEFAULT_STATUS_PAGES). No page, a timeout or a malformed answer is reported as
 * `reachable: false` with the reason, never guessed: the status is then unknown (`statusKnown`).
 */

import type { StatusPageDefault, WatchSettings } from '../config/watch-settings.js'
import { networkReason } from '../net-error.js'

export const STATUS_INDICATORS = ['none', 'minor', 'major', 'critical', 'unknown'] as const
export type StatusIndicator = (typeof STATUS_INDICATORS)[number]
export type ComponentStatus =
  | 'operational'
  | 'degraded_performance'
  | 'partial_outage'
  | 'major_outage'
  | 'unknown'

/** A provider's own status page, as fetched (Statuspage summary shape; the lab serves the same). */
export interface ProviderStatus {
  provider: string
  checkedAt: string
  /** The summary that was read (or tried). */
  url: string | null
  /** False when there is no page configured or it could not be fetched; `error` says why. */
  reachable: boolean
  indicator: StatusIndicator
  description: string
  regions: Record<string, ComponentStatus>
  incidents: {
    id: string
    name: string
    status: string
    impact: string
    regions: string[]
    startedAt: string | null
  }[]
  error?: string
}

export interface ProviderStatusSource {
  fetch(provider: string): Promise<ProviderStatus>
}

const TIMEOUT_MS = 5_000
const INDICATORS: readonly StatusIndicator[] = ['none', 'minor', 'major', 'critical']
const COMPONENT_STATUSES: readonly ComponentStatus[] = [
  'operational',
  'degraded_performance',
  'partial_outage',
  'major_outage',
]
const RESOLVED = new Set(['resolved', 'postmortem', 'completed'])

export type StatusPageSettings = Pick<WatchSettings, 'statusPages' | 'statusPageBase'> & {
  statusPageDefaults?: Record<string, StatusPageDefault>
}

export function statusPageUrl(settings: StatusPageSettings, provider: string) {
  const own = settings.statusPages[provider]
  if (own) return own
  if (settings.statusPageBase) return `${settings.statusPageBase.replace(/\/+$/, '')}/${provider}`
  return settings.statusPageDefaults?.[provider]?.summary ?? null
}

/** Why a provider has no page to read: its own page serves no Statuspage summary, or none is known. */
function noPageReason(settings: StatusPageSettings, provider: string): string {
  const known = settings.statusPageDefaults?.[provider]
  return known
    ? `${provider} publishes no Statuspage summary clawops can read (its page: ${known.page}); name one in watch.statusPages.${provider}`
    : 'no status page configured (watch.statusPages or watch.statusPageBase)'
}

/**
 * Did the check learn the provider's status? No page, an unreachable or unreadable page, or an
 * indicator clawops does not know: unknown, a distinct outcome (rule 4 then wants a human).
 */
export function statusKnown(s: ProviderStatus): boolean {
  return s.reachable && s.indicator !== 'unknown'
}

/** The region code of a component: its `region` field, else a trailing "(code)" in its name. */
function regionOf(c: { name: string; region?: string | null }): string | null {
  if (c.region) return c.region
  return /\(([a-z0-9-]+)\)\s*$/i.exec(c.name)?.[1] ?? null
}

export class HttpProviderStatus implements ProviderStatusSource {
  constructor(
    private readonly settings: StatusPageSettings,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  async fetch(provider: string): Promise<ProviderStatus> {
    const url = statusPageUrl(this.settings, provider)
    const base: ProviderStatus = {
      provider,
      checkedAt: this.clock().toISOString(),
      url,
      reachable: false,
      indicator: 'unknown',
      description: '',
      regions: {},
      incidents: [],
    }
    if (!url) return { ...base, error: noPageReason(this.settings, provider) }
    let body: unknown
    try {
      const res = await fetch(url, {
        signal: AbortSignal.timeout(TIMEOUT_MS),
        headers: { accept: 'application/json' },
      })
      if (!res.ok) return { ...base, error: `status page answered HTTP ${res.status}` }
      body = await res.json()
    } catch (err) {
      return { ...base, error: networkReason(err, TIMEOUT_MS) }
    }
    const { StatusSummarySchema } = await import('./status-page-schema.js')
    const parsed = StatusSummarySchema.safeParse(body)
    if (!parsed.success) return { ...base, error: 'status page is not a Statuspage summary' }
    const s = parsed.data
    const regions: Record<string, ComponentStatus> = {}
    for (const c of s.components) {
      const r = regionOf(c)
      if (r)
        regions[r] = (COMPONENT_STATUSES as readonly string[]).includes(c.status)
          ? (c.status as ComponentStatus)
          : 'unknown'
    }
    return {
      ...base,
      reachable: true,
      indicator: (INDICATORS as readonly string[]).includes(s.status.indicator)
        ? (s.status.indicator as StatusIndicator)
        : 'unknown',
      description: s.status.description,
      regions,
      incidents: s.incidents
        .filter((i) => !RESOLVED.has(i.status))
        .map((i) => ({
          id: i.id,
          name: i.name,
          status: i.status,
          impact: i.impact,
          regions: i.regions ?? [],
          startedAt: i.started_at ?? i.created_at ?? null,
        })),
    }
  }
}

/** Is the provider (or one region of it) operating normally according to its page? null: unknown. */
export function statusOperational(s: ProviderStatus, region?: string | null): boolean | null {
  if (!statusKnown(s)) return null
  if (region) {
    const c = s.regions[region]
    const hit = s.incidents.some((i) => i.regions.includes(region))
    if (c === undefined) return s.indicator === 'none' && !hit
    return c === 'operational' && !hit
  }
  return s.indicator === 'none'
}
