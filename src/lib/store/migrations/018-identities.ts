import type { Migration } from './migration.js'

/**
 * Identities: who acted, beside the role policy judged (`actor`). A human operator's name or an
 * agent's id, on audit entries (in the hash of entries written from now on; older entries, whose
 * identity is NULL, hash as they did), plans (who planned, who confirmed) and operations (who started).
 */
export const identities: Migration = {
  version: 18,
  name: 'identities: who acted on audit entries, plans and operations',
  sql: `
    ALTER TABLE audit ADD COLUMN identity TEXT;
    ALTER TABLE plans ADD COLUMN identity TEXT;
    ALTER TABLE plans ADD COLUMN confirmed_identity TEXT;
    ALTER TABLE operations ADD COLUMN identity TEXT;
    CREATE INDEX audit_identity ON audit(identity);
  `,
}
