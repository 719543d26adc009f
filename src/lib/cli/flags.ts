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
