import type { Migration } from './migration.js'

/**
 * Gateway shards: the gateway each instance's node is on (NULL for instances stored before shards:
 * the operator's gateway), and the shard each join secret was issued for, so only that gateway's
 * approver admits the node with it.
 */
export const gatewayShards: Migration = {
  version: 19,
  name: 'gateway shards: the gateway of each instance and join secret',
  sql: `
    ALTER TABLE instances ADD COLUMN gateway TEXT;
    CREATE INDEX instances_gateway ON instances(gateway, state);
    ALTER TABLE join_secrets ADD COLUMN gateway TEXT;
  `,
}
