import { Flags } from '@oclif/core'
import { ClawopsCommand } from '../../lib/cli/base-command.js'
import { PROVIDERS } from '../../lib/domain/provider.js'
import { formatUsd } from '../../lib/output/money.js'
import { renderTable } from '../../lib/output/table.js'
import { type ProviderPrices, providerPrices } from '../../lib/pricing/prices-view.js'

const age = (h: number) => (h < 48 ? `${h} h` : `${Math.floor(h / 24)} d`)
const minor = (n: number, currency: string) => `${(n / 100).toFixed(2)} ${currency}`

export default class ProviderPricesCommand extends ClawopsCommand<
  typeof ProviderPricesCommand,
  ProviderPrices
> {
  static override summary =
    'Where each provider’s prices come from and how old they are, and what each tier costs; --refresh reads the providers’ APIs first.'
  static override description =
    'Hetzner (/pricing, /server_types), Vultr (/plans), DigitalOcean (/sizes) and Hostinger (its billing catalogue) publish prices: a refresh reads them, with the regions each provider offers, into the fleet store with the time they were read. Contabo publishes none: its prices are a dated table shipped with clawops. A provider never read is priced from the catalogue shipped with clawops. Plans (provision, resize, teardown, reprovision) price with these lists and record where their prices came from; a list older than prices.maxAgeHours (168) is read again when a plan needs it (prices.refreshWhenStale), else the plan warns. Billing segments copy the price they open at. Without --provider, --refresh reads every provider this home has credentials for.'
  static override examples = [
    { description: 'The price sources and tier prices', command: '<%= config.bin %> provider prices' },
    {
      description: 'Read every configured provider’s API again, as JSON',
      command: '<%= config.bin %> provider prices --refresh --json',
    },
    {
      description: 'Read only Hetzner’s prices again',
      command: '<%= config.bin %> provider prices --refresh --provider hetzner',
    },
  ]
  static override flags = {
    refresh: Flags.boolean({
      summary: 'Read the prices from the providers’ APIs now (Contabo: its dated table).',
    }),
    provider: Flags.option({
      options: PROVIDERS,
      multiple: true,
      summary:
        'Only this provider (repeatable); default: every provider (every configured one for --refresh).',
    })(),
  }

  protected async execute(): Promise<ProviderPrices> {
    if (this.flags.refresh) (await this.engine()).permit(this.ctx, 'prices.refresh')
    return providerPrices(this.ctx, { refresh: this.flags.refresh, providers: this.flags.provider })
  }

  protected render(r: ProviderPrices): string {
    const sources = renderTable(
      [
        { header: 'Provider', get: (s: ProviderPrices['sources'][number]) => s.provider },
        { header: 'From', get: (s) => (s.kind === 'api' ? 'API' : s.kind) },
        { header: 'Source', get: (s) => s.source, wide: true },
        { header: 'As of', get: (s) => s.asOf.slice(0, 16).replace('T', ' ') },
        { header: 'Age', get: (s) => `${age(s.ageHours)}${s.stale ? ' (stale)' : ''}` },
        { header: 'Plans', get: (s) => s.plans },
        { header: 'Regions', get: (s) => s.regions },
      ],
      r.sources,
      { wide: this.ctx.format === 'wide' },
    )
    const tiers = renderTable(
      [
        { header: 'Provider', get: (t: ProviderPrices['tiers'][number]) => t.provider },
        { header: 'Tier', get: (t) => t.tier },
        { header: 'Plan', get: (t) => t.plan },
        { header: 'Region', get: (t) => t.region },
        { header: 'Monthly', get: (t) => minor(t.monthlyMinor, t.currency) },
        {
          header: 'Hourly',
          get: (t) => (t.hourlyMicros === null ? '-' : `${(t.hourlyMicros / 1e6).toFixed(4)} ${t.currency}`),
        },
        { header: 'USD/month', get: (t) => formatUsd(t.monthlyUsdCents) },
      ],
      r.tiers,
    )
    const read = r.refreshed
      ? `Read ${r.refreshed.map((x) => `${x.provider} (${x.plans} plans)`).join(', ')}.\n`
      : ''
    return `${read}${sources}\n${tiers}`
  }
}
