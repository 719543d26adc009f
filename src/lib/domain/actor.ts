/**
 * Who acts (the human operator or one of the agent roles) and the mutating actions they may take;
 * which role may take which is the role table in policy/roles.ts.
 */
export const ACTORS = ['operator', 'commander', 'forge', 'guardian', 'ledger', 'triage', 'briefer'] as const
export type Actor = (typeof ACTORS)[number]

export function isActor(name: string): name is Actor {
  return (ACTORS as readonly string[]).includes(name)
}

/** Every mutating action clawops knows. Reads are not listed: every role may read. */
export const ACTIONS = [
  'instance.restart',
  'instance.exec',
  'heal',
  'failover',
  'provision',
  'teardown',
  'resize',
  'config.push',
  'config.rollback',
  'openclaw.upgrade',
  'clawnode.upgrade',
  'rollout.pause',
  'routing.set',
  'silence.manage',
  'gateway.setup',
  'gateway.move',
  'agents.install',
  'brief.deliver',
  'ops.resume',
  'lab.manage',
  'health.sweep',
  'node.approve',
  'archive.prune',
  'store.restore',
  'store.copy',
  'prices.refresh',
] as const
export type Action = (typeof ACTIONS)[number]
