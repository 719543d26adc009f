/**
 * Who may do what: the role table of the design's rule 6, as data in one place. `policy.check` reads
 * it, `clawops agents install` turns it into per-agent exec allowlists, and the skills describe it.
 *
 * An action missing from a role's map is denied. `confirm` means the role may start the action but it
 * waits for a plan confirmation by a role with `canConfirm`.
 */
import { ACTIONS, type Action, type Actor } from '../domain/actor.js'

export type Grant = 'allow' | 'confirm'

export interface RoleSpec {
  summary: string
  /** May this role confirm a plan that waits for confirmation? */
  canConfirm: boolean
  grants: Partial<Record<Action, Grant>>
}

/**
 * Actions only the human operator takes: they manage the lab, change the gateway the agents run on
 * (their own allowlists included) or decide which devices the fleet trusts.
 */
export const HUMAN_ONLY: readonly Action[] = [
  'lab.manage',
  'agents.install',
  'gateway.setup',
  'node.approve',
  'store.restore',
  'store.copy',
]

const ALL: Record<Action, Grant> = Object.fromEntries(ACTIONS.map((a) => [a, 'allow'])) as Record<
  Action,
  Grant
>
const AGENT_ALL: Partial<Record<Action, Grant>> = Object.fromEntries(
  ACTIONS.filter((a) => !HUMAN_ONLY.includes(a)).map((a) => [a, 'allow']),
)

export const ROLES: Record<Actor, RoleSpec> = {
  operator: {
    summary: 'the human operator: every action; confirms plans',
    canConfirm: true,
    grants: ALL,
  },
  commander: {
    summary: 'senior SRE agent: heal, restart, upgrade; tier changes and teardowns wait for confirmation',
    // Its --confirm only reaches clawops through the gateway's human exec approval (agents install).
    canConfirm: true,
    grants: { ...AGENT_ALL, resize: 'confirm', teardown: 'confirm' },
  },
  forge: {
    summary: 'provisioning agent: creates pairs; resizes and teardowns wait for confirmation',
    canConfirm: false,
    grants: {
      provision: 'allow',
      resize: 'confirm',
      teardown: 'confirm',
      'instance.restart': 'allow',
      'ops.resume': 'allow',
      'prices.refresh': 'allow',
    },
  },
  guardian: {
    summary: 'watchdog agent: heal, restart, fail over; never deletes a VPS',
    canConfirm: false,
    grants: {
      heal: 'allow',
      'instance.restart': 'allow',
      failover: 'allow',
      'silence.manage': 'allow',
      'ops.resume': 'allow',
      'health.sweep': 'allow',
      // Retention: archives past their keep date; a user's archive is never pruned early.
      'archive.prune': 'allow',
      // Stops a rollout (config push, upgrade) before its next batch when it hurts health.
      'rollout.pause': 'allow',
    },
  },
  ledger: {
    summary: 'cost agent: recommends; tier changes, teardowns and routing changes wait for Commander',
    canConfirm: false,
    grants: { resize: 'confirm', teardown: 'confirm', 'routing.set': 'confirm', 'prices.refresh': 'allow' },
  },
  triage: {
    summary: 'incident agent: read-only diagnostics',
    canConfirm: false,
    grants: {},
  },
  briefer: {
    summary: 'briefing agent: reads and delivers briefings',
    canConfirm: false,
    grants: { 'brief.deliver': 'allow' },
  },
}

export function grantOf(actor: Actor, action: Action): Grant | 'deny' {
  return ROLES[actor].grants[action] ?? 'deny'
}
