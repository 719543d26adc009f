import { Flags } from '@oclif/core'
import { ClawopsCommand } from '../../lib/cli/base-command.js'
import { durationFlag } from '../../lib/cli/duration.js'
import { mutationFlags, selectorFlag } from '../../lib/cli/flags.js'
import { planPrompt } from '../../lib/cli/prompt.js'
import { renderPreview, renderRollout, showRolloutOnError } from '../../lib/cli/render-rollout.js'
import type { PushOutcome } from '../../lib/config-push/push.js'

export default class ConfigPush extends ClawopsCommand<typeof ConfigPush, PushOutcome> {
  static override summary =
    "Push a change to the users' OpenClaw gateway config: rolling batches, validated, halted on failures, resumable."
  static override description =
    'The change is a JSON merge document (--merge, RFC 7386), a JSON patch (--patch, RFC 6902) or a full config (--file), applied to each instance\'s own config as gf-clawnode reads it (secrets stay on the hosts: "[redacted]" keeps each instance\'s value; a document that sets a secret is refused). Default target: every ACTIVE instance. Batches of 50 (standbys first, never both members of a pair in one batch, an optional --canary batch first); each instance validates the merged config before an atomic swap (previous version kept), restarts the gateway when the change needs it and is checked for health; an instance whose current config is malformed is skipped and flagged, never overwritten. After each batch and its --pause, the gateways are checked again and the failure budget (--max-failures, 2 %) is judged: exceeded, the rollout halts. Above 100 instances a push must roll (safety rule 2) within its limits: batches of at most 10 % of the target and at most configPush.batchSize (the default batch size keeps to it), a pause of at least 10 s after each batch and a failure budget of at most 5 %; a looser push needs a confirmation by the operator or Commander and is refused to other agents. --all-at-once is for small targets and needs a confirmation, as does any push to more than 10 users. Progress: a spinner on a terminal, NDJSON with --json --stream. Control it with clawops config push status|pause|resume|rollback <rolloutId>; every push is a numbered config version (clawops config history).'
  static override examples = [
    {
      description: 'Kimi K2.5 as the primary model on every ACTIVE instance, rolling (plan first)',
      command: '<%= config.bin %> config push --merge kimi-k2.5.json --dry-run',
    },
    {
      description: 'The same, as an agent: stream progress, confirm the plan id it got back',
      command:
        '<%= config.bin %> config push --merge kimi-k2.5.json --as commander --confirm plan-3fz8k1qa2b --json --stream',
    },
    {
      description:
        'A JSON patch to the beta cohort, canary of 5, one minute between batches, halt above 1 failure',
      command:
        '<%= config.bin %> config push --patch fallbacks.json -l cohort=beta --canary 5 --pause 1m --max-failures 1',
    },
    {
      description: 'A full config to one pair at once',
      command: '<%= config.bin %> config push --file openclaw.json -l pair=p-7k2m9x4q1d --all-at-once --yes',
    },
  ]
  static override flags = {
    merge: Flags.string({ summary: 'A JSON merge document (RFC 7386) to apply: a file, or - for stdin.' }),
    patch: Flags.string({
      summary: 'A JSON patch (RFC 6902, an array of operations): a file, or - for stdin.',
    }),
    file: Flags.string({
      summary: 'A full config that replaces each instance\'s file ("[redacted]" keeps its secrets).',
    }),
    selector: selectorFlag,
    'batch-size': Flags.integer({
      summary:
        'Instances per batch (default configPush.batchSize, 50; above 100 instances at most 10 % of them).',
      min: 1,
      max: 1000,
    }),
    canary: Flags.integer({ summary: 'A first, smaller batch of this many instances.', min: 1, max: 1000 }),
    pause: Flags.string({
      summary: 'Wait after each batch, then check its gateways again (default 10s; 0 for none).',
    }),
    'max-failures': Flags.string({
      summary: 'Halt when more than this failed so far: a share (2%, the default) or a number of instances.',
    }),
    'all-at-once': Flags.boolean({
      summary: 'One batch with every target (100 instances at most; needs a confirmation).',
    }),
    restart: Flags.option({
      options: ['auto', 'always', 'never'] as const,
      summary:
        'Restart the gateway after the swap: auto (when OpenClaw cannot hot-apply the change), always or never.',
    })(),
    concurrency: Flags.integer({
      summary: 'Instances of a batch in flight at once (default: the batch size, at most 64).',
      min: 1,
      max: 256,
    }),
    reason: Flags.string({ summary: 'Why (kept with the config version and in the audit trail).' }),
    ...mutationFlags,
  }

  protected async execute(): Promise<PushOutcome> {
    const f = this.flags
    const [{ readDocument }, { pushConfig }, engine] = await Promise.all([
      import('../../lib/config-push/input.js'),
      import('../../lib/config-push/push.js'),
      this.engine(),
    ])
    const { format, document } = readDocument(f)
    const pauseMs = durationFlag('pause', f.pause)
    const progress = await this.progress()
    const prompt = planPrompt(this.humanPrompt())
    try {
      return await showRolloutOnError(this.ctx.json, () =>
        pushConfig(
          this.ctx,
          engine,
          {
            format,
            document,
            ...(f.selector ? { selector: f.selector } : {}),
            ...(f['batch-size'] ? { batchSize: f['batch-size'] } : {}),
            ...(f.canary ? { canary: f.canary } : {}),
            ...(pauseMs !== undefined ? { pauseMs } : {}),
            ...(f['max-failures'] ? { maxFailures: f['max-failures'] } : {}),
            ...(f['all-at-once'] ? { allAtOnce: true } : {}),
            ...(f.restart ? { restart: f.restart } : {}),
            ...(f.concurrency ? { concurrency: f.concurrency } : {}),
            ...(f.reason ? { reason: f.reason } : {}),
          },
          {
            dryRun: f['dry-run'],
            ...(f.confirm ? { confirm: f.confirm } : {}),
            yes: f.yes,
            ...(prompt ? { prompt } : {}),
            onProgress: (m, d) => progress.update(m, d),
          },
        ),
      )
    } finally {
      progress.stop()
    }
  }

  protected render(r: PushOutcome): string {
    return r.status === 'dry-run' ? renderPreview(r.preview) : renderRollout(r.rollout)
  }
}
