/** Shapes a rollout carries in the store: how many failures it tolerates and when it restarts. */

/** A rollout's failure budget: a share of the instances processed so far, or a number of them. */
export type FailureBudget = { kind: 'pct'; value: number } | { kind: 'count'; value: number }

/** When a config change restarts the user's gateway: as OpenClaw's reload table says, always, never. */
export type RestartPolicy = 'auto' | 'always' | 'never'
