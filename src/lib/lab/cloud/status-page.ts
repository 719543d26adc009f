/**
 * Provider status pages of the lab cloud, `GET /_status/<provider>`, modelled on the Statuspage
 * summary most providers publish (status.hetzner.com, status.digitalocean.com, status.vultr.com):
 * an overall indicator, one component per region plus the API, and an incident per active fault.
 * clawops checks these before declaring a provider-wide incident (safety rule 4).
 *
 * Shape: { provider, page: {name, updated_at}, status: {indicator: none|minor|major|critical,
 * description}, components: [{name, region|null, status: operational|degraded_performance|
 * partial_outage|major_outage}], incidents: [{id, name, status, impact, regions, started_at}] }
 */
import type { Provider } from '../../domain/provider.js'
import { labRegions } from './lab-catalog.js'
import type { FaultRule } from './model.js'

type ComponentStatus = 'operational' | 'degraded_performance' | 'partial_outage' | 'major_outage'
type Impact = 'none' | 'minor' | 'major' | 'critical'

const SEVERITY: Record<ComponentStatus, number> = {
  operational: 0,
  degraded_performance: 1,
  partial_outage: 2,
  major_outage: 3,
}

const NAMES: Record<Provider, string> = {
  hetzner: 'Hetzner Cloud',
  vultr: 'Vultr',
  digitalocean: 'DigitalOcean',
  contabo: 'Contabo',
  hostinger: 'Hostinger',
}

function effect(r: FaultRule): { status: ComponentStatus; impact: Impact; what: string } {
  if (r.outage) return { status: 'major_outage', impact: 'major', what: 'outage' }
  if (r.errorRate >= 0.5)
    return { status: 'partial_outage', impact: 'major', what: 'elevated API error rates' }
  if (r.errorRate > 0)
    return { status: 'degraded_performance', impact: 'minor', what: 'increased API error rates' }
  if (r.hangBoot)
    return { status: 'degraded_performance', impact: 'minor', what: 'delayed server provisioning' }
  if (r.malformedRate > 0)
    return { status: 'degraded_performance', impact: 'minor', what: 'API responses degraded' }
  return { status: 'degraded_performance', impact: 'minor', what: 'increased API latency' }
}

export function statusPage(provider: Provider, rules: FaultRule[], now: string) {
  const mine = rules.filter((r) => r.provider === null || r.provider === provider)
  const components = [
    { name: 'API', region: null as string | null, status: 'operational' as ComponentStatus },
    ...labRegions(provider).map((r) => ({
      name: `${r.city} (${r.code})`,
      region: r.code as string | null,
      status: 'operational' as ComponentStatus,
    })),
  ]
  const incidents = mine.map((r) => {
    const e = effect(r)
    for (const c of components) {
      const hit = r.region === null ? c.region === null : c.region === r.region
      if (hit && SEVERITY[e.status] > SEVERITY[c.status]) c.status = e.status
    }
    return {
      id: r.id,
      name: `${NAMES[provider]}: ${e.what}${r.region ? ` in ${r.region}` : ''}`,
      status: 'investigating',
      impact: e.impact,
      regions: r.region ? [r.region] : [],
      started_at: r.createdAt,
    }
  })
  const majors = components.filter((c) => c.status === 'major_outage').length
  const worst = Math.max(0, ...components.map((c) => SEVERITY[c.status]))
  const indicator: Impact = majors >= 2 ? 'critical' : worst >= 2 ? 'major' : worst === 1 ? 'minor' : 'none'
  const description =
    indicator === 'none'
      ? 'All Systems Operational'
      : indicator === 'minor'
        ? 'Minor Service Outage'
        : indicator === 'major'
          ? 'Partial System Outage'
          : 'Major System Outage'
  return {
    provider,
    page: { name: `${NAMES[provider]} (lab)`, updated_at: now },
    status: { indicator, description },
    components,
    incidents,
  }
}
