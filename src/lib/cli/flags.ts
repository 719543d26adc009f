/**
 * One flag vocabulary across commands (the hcloud/gh convention): `-o json|table|wide`, `--json`,
 * `-l <selector>`, `--as <agent>`, and for mutating commands `--dry-run`, `--confirm <planId>`,
 * `--yes`, `--stream`.
 */
import { Flags } from '@oclif/core'
import { ACTORS } from '../domain/actor.js'

export const globalFlags = {
  output: Flags.option({
    char: 'o',
    options: ['table', 'wide', 'json'] as const,
    summary: 'Output format: table (default), wide (more columns) or json (same as --json).',
    helpGroup: 'GLOBAL',
  })(),
  as: Flags.option({
    options: ACTORS,
    summary: 'Act as this agent role (policy and audit); defaults to $CLAWOPS_ACTOR, else operator.',
    helpGroup: 'GLOBAL',
  })(),
}

export const selectorFlag = Flags.string({
  char: 'l',
  summary:
    'Label selector: k=v, k!=v, k, !k, k in (a,b); comma means AND. Fields: provider, region, tier, role, state, user, pair.',
})

export const mutationFlags = {
  'dry-run': Flags.boolean({ summary: 'Print the plan (targets, steps, cost, users) and change nothing.' }),
  confirm: Flags.string({
    summary:
      'Run the stored plan with this id (from a CONFIRMATION_REQUIRED answer); refused if the fleet changed.',
  }),
  yes: Flags.boolean({
    char: 'y',
    summary: 'Confirm as the human operator without a prompt (ignored for agents).',
  }),
  stream: Flags.boolean({ summary: 'With --json: stream NDJSON progress events before the final result.' }),
}

export const limitFlag = Flags.integer({ summary: 'Show at most this many entries.', min: 1, max: 100_000 })

/** `openclaw upgrade` and `clawnode upgrade`. */
export const upgradeFlags = {
  to: Flags.string({
    summary: 'The version to install (it must be in the release location).',
    required: true,
  }),
  selector: selectorFlag,
  canary: Flags.integer({ summary: 'A first, smaller batch of this many instances.', min: 1, max: 1000 }),
  'batch-size': Flags.integer({
    summary:
      'Instances per batch (default upgrades.batchSize, 50; above 100 instances at most 10 % of them).',
    min: 1,
    max: 1000,
  }),
  pause: Flags.string({
    summary: 'Wait after each batch, then check its instances again (default 10s; 0 for none).',
  }),
  'max-failures': Flags.string({
    summary: 'Halt when more than this failed so far: a share (2%, the default) or a number of instances.',
  }),
  concurrency: Flags.integer({
    summary: 'Instances of a batch in flight at once (default: the batch size, at most 32).',
    min: 1,
    max: 256,
  }),
  reason: Flags.string({ summary: 'Why (kept with the rollout and in the audit trail).' }),
  ...mutationFlags,
}

/** `--limit N` (default `fallback`) and `--all` for a list of `noun`. */
export function pageFlags(fallback: number, noun: string) {
  return {
    limit: Flags.integer({
      summary: `Show at most this many ${noun} (default ${fallback}).`,
      min: 1,
      max: 100_000,
    }),
    all: Flags.boolean({ summary: `Show all ${noun} (no limit).`, exclusive: ['limit'] }),
  }
}
