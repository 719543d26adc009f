/**
 * `clawops incident exposure --provider P [--region R]`: what an outage there means right now, for
 * Triage and Commander: primaries affected (as of the window's start), failovers complete, pairs still
 * promoting, users without an ACTIVE primary now, plans waiting for a confirmation, replacement
 * standbys owed, the silences in force, the open incident, and the provider's own status page fetched
 * now (rule 4), with its outcome: `unknown` when there is no page or it could not be read (then watch
 * declares no incident).
 */
import type { Context } from '../context.js'
import { UserError } from '../errors.js'
import { type ProviderStatus, type ProviderStatusSource, statusKnown } from '../providers/status-page.js'
import { Incidents } from '../store/incidents.js'
import { type Silence, Silences } from '../store/silences.js'
import { type ScopeFacts, scopeFacts } from './scope.js'

export const PROVIDER_NAMES = ['hetzner', 'vultr', 'digitalocean', 'contabo', 'hostinger'] as const

export interface Exposure extends Omit<ScopeFacts, 'failovers' | 'reprovision'> {
  checkedAt: string
  incident: { id: string; title: string; status: string; openedAt: string } | null
  reprovision: Omit<ScopeFacts['reprovision'], 'items'>
  silences: Silence[]
  /** The page read now: which, when, what it said; `outcome` unknown when it said nothing. */
  providerStatus: ProviderStatus & { outcome: 'known' | 'unknown' }
}

const DAY_MS = 24 * 3600_000

export async function incidentExposure(
  ctx: Context,
  status: ProviderStatusSource,
  o: { provider: string; region?: string; since?: string },
): Promise<Exposure> {
  if (!(PROVIDER_NAMES as readonly string[]).includes(o.provider)) {
    throw new UserError('INVALID_INPUT', `unknown provider "${o.provider}"`, {
      hint: `One of: ${PROVIDER_NAMES.join(', ')}.`,
    })
  }
  const store = ctx.store()
  const region = o.region ?? null
  const incident =
    store.repo(Incidents).openFor(o.provider, region) ?? store.repo(Incidents).openFor(o.provider, null)
  const now = ctx.now()
  const since = o.since ?? incident?.openedAt ?? new Date(ctx.clock().getTime() - DAY_MS).toISOString()
  const providerStatus = await status.fetch(o.provider)
  const {
    failovers: _f,
    reprovision,
    ...facts
  } = scopeFacts(store, o.provider, region, since, now, incident?.openedAt ?? now)
  const silences = store
    .repo(Silences)
    .active(now)
    .filter(
      (s) =>
        (s.provider === null || s.provider === o.provider) &&
        (s.region === null || !region || s.region === region),
    )
  return {
    ...facts,
    checkedAt: now,
    incident: incident
      ? { id: incident.id, title: incident.title, status: incident.status, openedAt: incident.openedAt }
      : null,
    reprovision: {
      waiting: reprovision.waiting,
      ready: reprovision.ready,
      claimed: reprovision.claimed,
      done: reprovision.done,
    },
    silences,
    providerStatus: { ...providerStatus, outcome: statusKnown(providerStatus) ? 'known' : 'unknown' },
  }
}
