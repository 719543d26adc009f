import type { Migration } from './migration.js'

/**
 * The Tailscale auth keys clawops minted, one per server it created: which instance and operation
 * it was for, Tailscale's key id, and where it went. The secret itself is never stored; it travels
 * only in the one server's user data. A row is written before the mint call (`minting`), so a crash
 * during the call leaves a trace a resumed run reconciles, and `minted` keys that never reached a
 * server are revoked before another is minted for the same instance.
 */
export const tailscaleKeys: Migration = {
  version: 14,
  name: 'tailscale auth keys minted per server',
  sql: `
    CREATE TABLE tailscale_keys (
      seq INTEGER PRIMARY KEY,
      instance_id TEXT NOT NULL,
      op_id TEXT NOT NULL,
      -- Written into the key's description, so a key minted by a call whose answer was lost is found.
      nonce TEXT NOT NULL UNIQUE,
      key_id TEXT,
      state TEXT NOT NULL CHECK (state IN ('minting', 'minted', 'in-user-data', 'revoked')),
      server_id TEXT,
      created_at TEXT NOT NULL,
      expires_at TEXT,
      revoked_at TEXT
    ) STRICT;
    CREATE INDEX tailscale_keys_instance ON tailscale_keys(instance_id, seq);
  `,
}
