/**
 * The clawops commands that act on a Ledger finding, in one place. They are the lifecycle commands
 * (`teardown`, `resize`), which plan first and wait for confirmation like every mutating command:
 * a Ledger run always gets CONFIRMATION_REQUIRED and a plan id for Commander or the operator.
 */
import type { Provider } from '../domain/provider.js'
import type { Tier } from '../domain/tier.js'

export const ACTIONS_NOTE =
  'Each command plans first (add --dry-run to see the plan) and goes through policy: Ledger may only propose; ' +
  'Commander or the operator confirms the plan id it returns. Teardown archives the user state before deleting.'

const pairSelector = (pairIds: readonly string[]) =>
  pairIds.length === 1 ? `pair=${pairIds[0]}` : `'pair in (${pairIds.join(',')})'`

/** Tear down idle pairs (the teardown archives the user's OpenClaw state first). */
export function teardownCommand(pairIds: readonly string[]): string {
  return `clawops teardown -l ${pairSelector(pairIds)}`
}

/** Resize pairs to a smaller tier (standby first, then a failover, then the old primary). */
export function resizeCommand(pairIds: readonly string[], tier: Tier): string {
  return `clawops resize --tier ${tier} -l ${pairSelector(pairIds)}`
}

/** Move the `role` member of pairs to another provider (a resize by replacement onto `provider`). */
export function moveCommand(
  pairIds: readonly string[],
  role: string,
  tier: Tier,
  provider: Provider,
): string {
  const sel =
    pairIds.length === 1 ? `pair=${pairIds[0]},role=${role}` : `'pair in (${pairIds.join(',')}),role=${role}'`
  return `clawops resize --tier ${tier} --provider ${provider} -l ${sel}`
}

/** Take a provider out of the primary pool of a region group (a routing change, versioned and audited). */
export function leavePrimaryCommand(group: string, provider: Provider, reason: string): string {
  return `clawops provider routing set --group ${group} --remove-primary ${provider} --reason '${reason.replaceAll("'", '')}'`
}
