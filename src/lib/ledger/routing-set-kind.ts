/**
 * The `routing.set` operation: a change of the provider routing becomes the next routing version.
 * It runs through the pipeline like every mutation, so policy applies (Ledger's changes wait for
 * Commander or the operator), the plan names the version it was made from (a confirmation after
 * another change is PLAN_STALE), and the journal and audit trail record it.
 */
import type { Provider, RegionGroup } from '../domain/provider.js'
import type { OperationKind } from '../engine/kind.js'
import { UserError } from '../errors.js'
import { Plans } from '../store/plans.js'
import { type RoutingConfig, RoutingVersions } from '../store/routing.js'
import {
  applyRoutingChange,
  describeRoutingDiff,
  ROUTING_GROUPS,
  ROUTING_PROVIDERS,
  type RoutingChange,
} from './routing.js'

export interface RoutingStepInput {
  baseVersion: number
  config: RoutingConfig
  changes: string[]
  reason: string | null
}

function providers(raw: unknown, key: string): Provider[] | undefined {
  if (raw === undefined) return undefined
  if (!Array.isArray(raw) || raw.some((p) => !(ROUTING_PROVIDERS as readonly unknown[]).includes(p))) {
    throw new UserError('INVALID_INPUT', `${key} must list providers among ${ROUTING_PROVIDERS.join(', ')}`)
  }
  return raw as Provider[]
}

export function parseRoutingChange(raw: unknown): RoutingChange {
  const r = (raw ?? {}) as Record<string, unknown>
  const groups = r.groups
  if (
    !Array.isArray(groups) ||
    groups.length === 0 ||
    groups.some((g) => !(ROUTING_GROUPS as readonly unknown[]).includes(g))
  ) {
    throw new UserError('INVALID_INPUT', `groups must list region groups among ${ROUTING_GROUPS.join(', ')}`)
  }
  if (r.reason !== undefined && typeof r.reason !== 'string') {
    throw new UserError('INVALID_INPUT', 'reason must be text')
  }
  const change: RoutingChange = { groups: [...new Set(groups as RegionGroup[])].sort() }
  for (const key of ['primary', 'standby', 'removePrimary', 'removeStandby', 'exclude', 'include'] as const) {
    const list = providers(r[key], key)
    if (list !== undefined) change[key] = list
  }
  if (typeof r.reason === 'string' && r.reason.trim() !== '') change.reason = r.reason.trim()
  const acts = ['primary', 'standby', 'removePrimary', 'removeStandby', 'exclude', 'include'] as const
  if (!acts.some((k) => change[k] !== undefined)) {
    throw new UserError('INVALID_INPUT', 'nothing to change', {
      hint: 'Give --primary, --standby, --remove-primary, --remove-standby, --exclude or --include.',
    })
  }
  return change
}

const routingSet: OperationKind<RoutingChange> = {
  kind: 'routing.set',
  action: 'routing.set',
  parseParams: parseRoutingChange,
  plan(ctx, change) {
    const current = ctx.store().repo(RoutingVersions).current()
    const next = applyRoutingChange(current.config, change)
    const changes = describeRoutingDiff(current.config, next)
    if (changes.length === 0) {
      throw new UserError('CONFLICT', `routing v${current.version} already is what this change asks for`, {
        hint: 'See it with: clawops provider routing show',
        details: { version: current.version },
      })
    }
    const input: RoutingStepInput = {
      baseVersion: current.version,
      config: next,
      changes,
      reason: change.reason ?? null,
    }
    return {
      summary: `routing v${current.version} → v${current.version + 1}: ${changes.join('; ')}`,
      targets: [],
      // Routing decides where new pairs go; no existing user's gateway moves.
      affectedUsers: 0,
      costDeltaMonthlyUsdCents: 0,
      steps: [{ name: 'write-version', target: null, input }],
      facts: { routing: { baseVersion: current.version, nextVersion: current.version + 1, changes } },
    }
  },
  async runStep(run) {
    const input = run.step.input as RoutingStepInput
    const repo = run.ctx.store().repo(RoutingVersions)
    // A resumed run finds the version it already wrote.
    const done = repo.byOp(run.opId)
    if (done) return { version: done.version }
    const written = repo.append(input.baseVersion, input.config, {
      actor: run.actor,
      reason: input.reason,
      opId: run.opId,
      planId: run.planId,
    })
    if (!written) {
      throw new UserError('CONFLICT', `routing moved past v${input.baseVersion} while this change ran`, {
        hint: 'Run the command again to plan against the current version.',
      })
    }
    run.audit({
      action: 'routing.version',
      target: `routing/v${written.version}`,
      outcome: 'ok',
      details: {
        from: input.baseVersion,
        to: written.version,
        changes: input.changes,
        reason: input.reason,
        // Who proposed it (e.g. ledger) when someone else (commander, operator) confirmed it.
        proposedBy: run.ctx.store().repo(Plans).get(run.planId)?.plan.actor ?? run.actor,
      },
    })
    return { version: written.version, changes: input.changes }
  },
}

export default routingSet
