/** Who acts: the human operator or one of the agent roles (their authority is in policy/roles.ts). */
export const ACTORS = ['operator', 'commander', 'forge', 'guardian', 'ledger', 'triage', 'briefer'] as const
export type Actor = (typeof ACTORS)[number]

export function isActor(name: string): name is Actor {
  return (ACTORS as readonly string[]).includes(name)
}
