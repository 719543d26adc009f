import { Flags } from '@oclif/core'
import { ClawopsCommand } from '../lib/cli/base-command.js'
import { mutationFlags, selectorFlag } from '../lib/cli/flags.js'
import { type OperationResult, operationResult, renderOperation } from '../lib/cli/render-operation.js'

export default class Restart extends ClawopsCommand<typeof Restart, OperationResult> {
  static override summary =
    "Restart the user's OpenClaw service on every instance a selector matches, a few at a time."
  static override description =
    'Bounded concurrency, progress while it runs, one journaled and audited step per instance, and a per-instance result table. Instances that fail do not stop the others (the operation ends PARTIAL_FAILURE, exit 68). More than 10 users affected needs a confirmation (plan id).'
  static override examples = [
    {
      description: 'Every degraded instance on Hetzner',
      command: "<%= config.bin %> restart -l 'state=DEGRADED,provider=hetzner'",
    },
    {
      description: 'Preview which instances would restart',
      command: '<%= config.bin %> restart -l region=nbg1 --dry-run',
    },
    {
      description: 'Run a confirmed plan, 16 at a time, streaming progress',
      command:
        '<%= config.bin %> restart -l region=nbg1 --confirm plan-7k2m9x4q1d --concurrency 16 --json --stream',
    },
  ]
  static override flags = {
    selector: { ...selectorFlag, required: true },
    concurrency: Flags.integer({ default: 8, min: 1, max: 64, summary: 'Restarts in flight at once.' }),
    'wait-timeout': Flags.integer({
      default: 60,
      min: 1,
      max: 300,
      summary: 'Seconds to wait for each OpenClaw to be healthy.',
    }),
    ...mutationFlags,
  }

  protected async execute(): Promise<OperationResult> {
    const { default: kind } = await import('../lib/instance/restart.js')
    const r = await this.mutate(kind, {
      selector: this.flags.selector,
      concurrency: this.flags.concurrency,
      waitTimeoutMs: this.flags['wait-timeout'] * 1000,
    })
    return operationResult(r)
  }

  protected render(r: OperationResult): string {
    return renderOperation(r)
  }
}
