import { Flags } from '@oclif/core'
import { ClawopsCommand } from '../../lib/cli/base-command.js'
import { renderFields } from '../../lib/output/table.js'
import type { Exposure } from '../../lib/watch/exposure.js'

export default class IncidentExposure extends ClawopsCommand<typeof IncidentExposure, Exposure> {
  static override summary =
    'What an outage at a provider (or one region) means now: affected pairs, failovers, users without a gateway.'
  static override description =
    "Counts from the fleet store and the provider's own status page, fetched now (watch.statusPages, else watch.statusPageBase, else the provider's public Statuspage where it has one: DigitalOcean, Hostinger). No page, an unreachable or an unreadable one is reported as status unknown (providerStatus.outcome), and watch declares no incident on it. The window starts when the open incident was declared, else 24 h ago. The primaries counted are those that ran here when the window began (failed over since or not), so the numbers do not shrink as failovers finish; pairs is every pair whose primary ran here then or runs here now, and every other count is part of it: primaries affected, failovers complete, pairs still STANDBY_PROMOTING, users without an ACTIVE primary now (down and not yet failed over included, each with its condition), failover plans waiting for a confirmation, replacement standbys owed, silences in force."
  static override examples = [
    '<%= config.bin %> incident exposure --provider hetzner --region nbg1',
    {
      description: 'For Triage, as JSON',
      command: '<%= config.bin %> incident exposure --provider hetzner --json',
    },
  ]
  static override flags = {
    provider: Flags.string({
      required: true,
      summary: 'hetzner, vultr, digitalocean, contabo or hostinger.',
    }),
    region: Flags.string({ summary: 'One region of the provider, e.g. nbg1.' }),
    since: Flags.string({
      summary: 'Start of the window (ISO time or an age such as 2h); default: the incident start or 24 h.',
    }),
  }

  protected async execute(): Promise<Exposure> {
    const [{ incidentExposure }, { parseSince }] = await Promise.all([
      import('../../lib/watch/exposure.js'),
      import('../../lib/domain/time.js'),
    ])
    return incidentExposure(this.ctx, await this.ctx.statusPages(), {
      provider: this.flags.provider,
      ...(this.flags.region ? { region: this.flags.region } : {}),
      ...(this.flags.since ? { since: parseSince(this.flags.since, this.ctx.clock()) } : {}),
    })
  }

  protected render(e: Exposure): string {
    const s = e.providerStatus
    const page =
      s.outcome === 'known'
        ? `${s.description || s.indicator}${e.region && s.regions[e.region] ? ` (${e.region}: ${s.regions[e.region]})` : ''}${s.incidents.length ? `; ${s.incidents.map((i) => `"${i.name}" ${i.status}`).join(', ')}` : ''}`
        : `UNKNOWN (${s.error ?? `indicator ${s.indicator}`})`
    return renderFields([
      ['Scope', e.region ? `${e.provider}/${e.region}` : e.provider],
      ['Since', e.since],
      ['Incident', e.incident ? `${e.incident.id} ${e.incident.status}: ${e.incident.title}` : 'none open'],
      ['Pairs', e.pairs],
      [
        'Primaries here at the start',
        `${e.primaries.total} (now ${e.primaries.active} active, ${e.primaries.degraded} degraded, ${e.primaries.failed} failed, ${e.primaries.failedOver} failed over)`,
      ],
      ['Primaries affected', e.primariesAffected],
      ['Failovers complete', e.failoversComplete],
      ['Still promoting', e.stillPromoting.length],
      ['Users without an ACTIVE primary', e.usersWithoutActiveGateway.length],
      [
        'Awaiting confirmation',
        e.awaitingConfirmation.map((p) => `${p.planId} (${p.pairs.length} pairs)`).join(', ') || 'none',
      ],
      ['Standbys owed', `${e.reprovision.waiting} waiting, ${e.reprovision.ready} ready`],
      ['Silences', e.silences.map((x) => `${x.id} until ${x.expiresAt}`).join(', ') || 'none'],
      ['Provider status page', `${page}${s.url ? ` — ${s.url} at ${s.checkedAt}` : ''}`],
    ])
  }
}
