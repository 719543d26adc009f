import { Args, Flags } from '@oclif/core'
import { ClawopsCommand } from '../lib/cli/base-command.js'
import { mutationFlags, selectorFlag } from '../lib/cli/flags.js'
import { type OperationResult, operationResult, renderOperation } from '../lib/cli/render-operation.js'
import { UserError } from '../lib/errors.js'

export default class Teardown extends ClawopsCommand<typeof Teardown, OperationResult> {
  static override summary =
    'Remove instances for good (usually a user’s whole pair), keeping the user’s OpenClaw state first.'
  static override description =
    'A primary that goes while its standby is ACTIVE is failed over first (refused when its standby is not ACTIVE, unless the whole pair goes). The user’s state is archived before anything is deleted: through gf-clawnode (archive.dir or an S3-compatible bucket, kept 30 days) or, when no node of the pair answers, as the provider’s snapshot of the server; with neither, nothing goes. Contabo and Hostinger servers run to the end of their term, so they are first wiped (openclaw.wipe through the node, else reinstalled through the API) and powered off, then cancelled. Every provider delete, reinstall and power-off is audited first. Always a plan first for agents (Commander and the operator confirm); Guardian may never tear down.'
  static override examples = [
    { description: 'A user’s whole pair', command: '<%= config.bin %> teardown -l pair=p-7k2m9x4q1d' },
    {
      description: 'One instance, previewing the plan',
      command: '<%= config.bin %> teardown i-7k2m9x4q1d --dry-run',
    },
    {
      description: 'Confirm a plan an agent prepared',
      command: '<%= config.bin %> teardown -l pair=p-7k2m9x4q1d --confirm plan-3fz8k1qa2b --json',
    },
  ]
  static override strict = false
  static override args = { ids: Args.string({ description: 'Instance ids (i-…); or use --selector' }) }
  static override flags = {
    selector: selectorFlag,
    'no-archive': Flags.boolean({
      summary:
        'Delete without archiving the user’s state (the state is lost); the operator or Commander confirms it, other agents are refused.',
    }),
    ...mutationFlags,
  }

  protected async execute(): Promise<OperationResult> {
    const ids = this.argv.filter((a) => /^i-[a-z0-9]+$/.test(a))
    if (ids.length === 0 && !this.flags.selector) {
      throw new UserError('INVALID_INPUT', 'name instance ids or give --selector', {
        hint: 'e.g. clawops teardown -l pair=p-…',
      })
    }
    const { default: kind } = await import('../lib/lifecycle/teardown.js')
    const r = await this.mutate(kind, {
      ...(ids.length ? { ids } : {}),
      ...(this.flags.selector ? { selector: this.flags.selector } : {}),
      archive: !this.flags['no-archive'],
    })
    return operationResult(r)
  }

  protected render(r: OperationResult): string {
    return renderOperation(r)
  }
}
