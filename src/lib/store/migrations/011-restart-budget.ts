import type { Migration } from './migration.js'

/**
 * The restart budget reads the journal's restart steps of the last minutes on every heal plan and
 * every restart step: an index by step name and start time keeps that a lookup, not a scan of the
 * whole history.
 */
export const restartBudget: Migration = {
  version: 11,
  name: 'restart-budget',
  sql: `
    CREATE INDEX op_steps_name_started ON op_steps(name, started_at);
    CREATE INDEX operations_state_created ON operations(state, created_at);
  `,
}
