/**
 * The Tailscale auth keys clawops minted per server (migration 14): a row per mint, written before
 * the call, so no minted key is ever unknown to the store. Never the secret.
 */
import type { Store } from './store.js'

export type TailscaleKeyState = 'minting' | 'minted' | 'in-user-data' | 'revoked'

export interface TailscaleKeyRow {
  seq: number
  instanceId: string
  opId: string
  nonce: string
  keyId: string | null
  state: TailscaleKeyState
  serverId: string | null
  createdAt: string
  expiresAt: string | null
  revokedAt: string | null
}

const COLUMNS = `seq, instance_id AS "instanceId", op_id AS "opId", nonce, key_id AS "keyId", state,
  server_id AS "serverId", created_at AS "createdAt", expires_at AS "expiresAt", revoked_at AS "revokedAt"`

export class TailscaleKeys {
  constructor(private readonly store: Store) {}

  /** Records a mint about to be asked for; returns its row id. */
  begin(instanceId: string, opId: string, nonce: string): number {
    const row = this.store.db
      .prepare(
        `INSERT INTO tailscale_keys (instance_id, op_id, nonce, state, created_at) VALUES (?, ?, ?, 'minting', ?)
         RETURNING seq`,
      )
      .get(instanceId, opId, nonce, this.store.now()) as { seq: number }
    return row.seq
  }

  minted(seq: number, keyId: string, expiresAt: string | null): void {
    this.store.db
      .prepare(`UPDATE tailscale_keys SET key_id = ?, expires_at = ?, state = 'minted' WHERE seq = ?`)
      .run(keyId, expiresAt, seq)
  }

  /** The key went into the user data of a server that now exists. */
  delivered(seq: number, serverId: string): void {
    this.store.db
      .prepare(`UPDATE tailscale_keys SET state = 'in-user-data', server_id = ? WHERE seq = ?`)
      .run(serverId, seq)
  }

  revoked(seq: number, keyId: string | null = null): void {
    this.store.db
      .prepare(
        `UPDATE tailscale_keys SET state = 'revoked', revoked_at = ?, key_id = coalesce(key_id, ?) WHERE seq = ?`,
      )
      .run(this.store.now(), keyId, seq)
  }

  forInstance(instanceId: string): TailscaleKeyRow[] {
    return this.store.db
      .prepare(`SELECT ${COLUMNS} FROM tailscale_keys WHERE instance_id = ? ORDER BY seq`)
      .all(instanceId) as unknown as TailscaleKeyRow[]
  }
}
