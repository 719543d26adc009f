/**
 * A provider's status page, fetched over HTTP (safety rule 4: check it before declaring a
 * provider-wide incident). Pages come from `watch.statusPages.<provider>` or
 * `watch.statusPageBase` + provider (the lab serves `/_status/<provider>`). A missing page, a timeout
 * or a malformed answer is reported as `reachable: false` with the reason, never guessed.
 */

import type { WatchSettings } from '../config/watch-settings.js'
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

export function statusPageUrl(
  settings: Pick<WatchSettings, 'statusPages' | 'statusPageBase'>,
  provider: string,
) {
  const own = settings.statusPages[provider]
  if (own) return own
  if (settings.statusPageBase) return `${settings.statusPageBase.replace(/\/+$/, '')}/${provider}`
  return null
}

/** The region code of a component: its `region` field, else a trailing "(code)" in its name. */
function regionOf(c: { name: string; region?: string | null }): string | null {
  if (c.region) return c.region
  return /\(([a-z0-9-]+)\)\s*$/i.exec(c.name)?.[1] ?? null
}

export class HttpProviderStatus implements ProviderStatusSource {
  constructor(
    private readonly settings: Pick<WatchSettings, 'statusPages' | 'statusPageBase'>,
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
    if (!url)
      return { ...base, error: 'no status page configured (watch.statusPages or watch.statusPageBase)' }
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
  if (!s.reachable) return null
  if (region) {
    const c = s.regions[region]
    const hit = s.incidents.some((i) => i.regions.includes(region))
    if (c === undefined) return s.indicator === 'none' && !hit
    return c === 'operational' && !hit
  }
  return s.indicator === 'none'
}
