import { Args, Flags } from '@oclif/core'
import { ClawopsCommand } from '../lib/cli/base-command.js'
import { mutationFlags, selectorFlag } from '../lib/cli/flags.js'
import { type OperationResult, operationResult, renderOperation } from '../lib/cli/render-operation.js'
import { PROVIDERS } from '../lib/domain/provider.js'
import { TIERS } from '../lib/domain/tier.js'
import { UserError } from '../lib/errors.js'

export default class Resize extends ClawopsCommand<typeof Resize, OperationResult> {
  static override summary = 'Change instances to another tier (or provider) with zero user downtime.'
  static override description =
    'Per pair the standby changes first. In place where the provider allows (Hetzner, DigitalOcean; Vultr upward only; a primary first hands the user to its ACTIVE standby, since its server goes down while resized), otherwise by replacement: a new server, whose row is written only once the provider has confirmed it, the user’s state moved through the two nodes, a primary’s role moved to it once it serves, then the old server deleted (audited first). The plan checks credentials, the gateway token, prices and capacity first; a member whose change fails is put back as it was (the tier label changes last). Tier changes by agents wait for a confirmation (Commander or the operator).'
  static override examples = [
    {
      description: 'Downsize one user’s pair',
      command: '<%= config.bin %> resize --tier nano -l pair=p-7k2m9x4q1d',
    },
    {
      description: 'Move a standby to DigitalOcean, previewing the plan',
      command:
        '<%= config.bin %> resize --tier standard --provider digitalocean -l pair=p-7k2m9x4q1d,role=standby --dry-run',
    },
    {
      description: 'As Ledger (waits for Commander), as JSON',
      command: '<%= config.bin %> resize --tier nano -l pair=p-7k2m9x4q1d --as ledger --json',
    },
  ]
  static override strict = false
  static override args = { ids: Args.string({ description: 'Instance ids (i-…); or use --selector' }) }
  static override flags = {
    tier: Flags.option({ options: TIERS, required: true, summary: 'The new tier.' })(),
    provider: Flags.option({
      options: PROVIDERS,
      summary: 'Move the members to this provider (by replacement); never both members of a pair.',
    })(),
    selector: selectorFlag,
    ...mutationFlags,
  }

  protected async execute(): Promise<OperationResult> {
    const ids = this.argv.filter((a) => /^i-[a-z0-9]+$/.test(a))
    if (ids.length === 0 && !this.flags.selector) {
      throw new UserError('INVALID_INPUT', 'name instance ids or give --selector', {
        hint: 'e.g. clawops resize --tier nano -l pair=p-…',
      })
    }
    const { default: kind } = await import('../lib/lifecycle/resize.js')
    const r = await this.mutate(kind, {
      tier: this.flags.tier,
      ...(ids.length ? { ids } : {}),
      ...(this.flags.selector ? { selector: this.flags.selector } : {}),
      ...(this.flags.provider ? { provider: this.flags.provider } : {}),
    })
    return operationResult(r)
  }

  protected render(r: OperationResult): string {
    return renderOperation(r)
  }
}
