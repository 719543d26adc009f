import { Flags } from '@oclif/core'
import { ClawopsCommand } from '../../../lib/cli/base-command.js'
import { mutationFlags } from '../../../lib/cli/flags.js'
import { planPrompt } from '../../../lib/cli/prompt.js'
import { UserError } from '../../../lib/errors.js'
import { type RoutingSetResult, setRouting } from '../../../lib/ledger/set-routing.js'
import { renderTable } from '../../../lib/output/table.js'

const list = (v: string | undefined) =>
  v === undefined
    ? undefined
    : v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)

export default class ProviderRoutingSet extends ClawopsCommand<typeof ProviderRoutingSet, RoutingSetResult> {
  static override summary =
    'Change the provider routing for new pairs: pools per region group, exclusions. Writes the next version, audited, through plan and policy.'
  static override description =
    'Existing pairs are not moved. Ledger may propose a change (it waits for Commander or the operator to --confirm the plan id); Triage and Guardian may not. A routing must keep, per group, a primary and a standby pool, a standby provider different from each primary, and no excluded provider in a pool.'
  static override examples = [
    {
      description: 'Stop placing new US primaries on Hostinger (it stays a standby)',
      command:
        "<%= config.bin %> provider routing set --group us --remove-primary hostinger --reason 'health 71/100'",
    },
    {
      description: 'Set the EU pools in order',
      command:
        '<%= config.bin %> provider routing set --group eu --primary hetzner,vultr --standby vultr,digitalocean,contabo',
    },
    {
      description: 'As Ledger: propose (CONFIRMATION_REQUIRED), then Commander confirms the plan id',
      command:
        '<%= config.bin %> provider routing set --group ap --remove-primary contabo --as ledger --json',
    },
    {
      description: 'See the plan only',
      command: '<%= config.bin %> provider routing set --group all --exclude hostinger --dry-run',
    },
  ]
  static override flags = {
    group: Flags.option({
      options: ['eu', 'us', 'ap', 'all'] as const,
      multiple: true,
      required: true,
      summary: 'Region group(s) the change applies to (repeatable; all = every group).',
    })(),
    primary: Flags.string({
      summary: 'Replace the primary pool: providers in order of preference, comma-separated.',
    }),
    standby: Flags.string({
      summary: 'Replace the standby pool: providers in order of preference, comma-separated.',
    }),
    'remove-primary': Flags.string({
      summary: 'Take these providers (comma-separated) out of the primary pool.',
    }),
    'remove-standby': Flags.string({
      summary: 'Take these providers (comma-separated) out of the standby pool.',
    }),
    exclude: Flags.string({ summary: 'Use these providers (comma-separated) for nothing new in the group.' }),
    include: Flags.string({
      summary: 'Lift an exclusion (name the provider in --primary/--standby to pool it again).',
    }),
    reason: Flags.string({ summary: 'Why; kept with the version and in the audit trail.' }),
    ...mutationFlags,
  }

  protected async execute(): Promise<RoutingSetResult> {
    const f = this.flags
    const groups = f.group.includes('all') ? ['eu', 'us', 'ap'] : f.group
    const change = Object.fromEntries(
      Object.entries({
        groups,
        primary: list(f.primary),
        standby: list(f.standby),
        removePrimary: list(f['remove-primary']),
        removeStandby: list(f['remove-standby']),
        exclude: list(f.exclude),
        include: list(f.include),
        reason: f.reason,
      }).filter(([, v]) => v !== undefined),
    )
    const r = await setRouting(this.ctx, await this.engine(), change, {
      dryRun: f['dry-run'],
      confirm: f.confirm,
      yes: f.yes,
      prompt: planPrompt(this.humanPrompt()),
    })
    if (r.status !== 'done' && r.status !== 'dry-run') {
      throw new UserError(
        'PARTIAL_FAILURE',
        `routing change ended ${r.status} (operation ${r.operationId})`,
        {
          hint: `See clawops ops show ${r.operationId}.`,
          details: r,
        },
      )
    }
    return r
  }

  protected render(r: RoutingSetResult): string {
    const head =
      r.status === 'dry-run'
        ? `Dry run: would write routing v${r.version} (from v${r.fromVersion}); policy: ${r.policy.decision}.\n`
        : `Routing v${r.version} written (from v${r.fromVersion}), operation ${r.operationId}.\n`
    const groups = renderTable(
      [
        { header: 'Group', get: (g: [string, RoutingSetResult['config']['eu']]) => g[0] },
        { header: 'Primary pool', get: (g) => g[1].primary.join(' > ') },
        { header: 'Standby pool', get: (g) => g[1].standby.join(' > ') },
        { header: 'Excluded', get: (g) => g[1].excluded.join(', ') },
      ],
      Object.entries(r.config),
    )
    return `${head}${r.changes.map((c) => `- ${c}\n`).join('')}${groups}`
  }
}
