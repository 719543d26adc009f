/**
 * Issued join secrets: the fleet store's side of the join proof (src/lib/gateway/join-proof.ts). The
 * JoinApprover asks it whether a node's proof is one clawops issued, and binds the secret to the
 * first device that presents it.
 */
import type { JoinRecord, JoinRegistry } from '../gateway/join-approver.js'
import { AuditTrail } from './audit-trail.js'
import type { Store } from './store.js'

export class JoinSecrets implements JoinRegistry {
  constructor(private readonly store: Store) {}

  /**
   * Issues a secret once, for the gateway shard the node will join; a resumed provisioning step gets
   * the same secret back.
   */
  issue(instanceId: string, secret: string, gateway: string | null = null): string {
    this.store.db
      .prepare(
        'INSERT INTO join_secrets (instance_id, secret, created_at, gateway) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING',
      )
      .run(instanceId, secret, this.store.now(), gateway)
    return (
      this.store.db.prepare('SELECT secret FROM join_secrets WHERE instance_id = ?').get(instanceId) as {
        secret: string
      }
    ).secret
  }

  /**
   * A fresh secret for a node that joins another gateway shard (a move): the old one no longer admits
   * anything, and the new one binds to the first device that presents it there. Idempotent: a secret
   * already issued for `gateway` is kept, with its binding.
   */
  rotate(instanceId: string, secret: string, gateway: string): string {
    this.store.db
      .prepare(
        `INSERT INTO join_secrets (instance_id, secret, created_at, gateway) VALUES (?, ?, ?, ?)
         ON CONFLICT (instance_id) DO UPDATE SET secret = excluded.secret, created_at = excluded.created_at,
           gateway = excluded.gateway, bound_device_id = NULL, bound_at = NULL
         WHERE join_secrets.gateway IS NULL OR join_secrets.gateway <> excluded.gateway`,
      )
      .run(instanceId, secret, this.store.now(), gateway)
    return this.lookup(instanceId)!.secret
  }

  lookup(instanceId: string): JoinRecord | undefined {
    const row = this.store.db
      .prepare('SELECT secret, bound_device_id, gateway FROM join_secrets WHERE instance_id = ?')
      .get(instanceId) as
      | { secret: string; bound_device_id: string | null; gateway: string | null }
      | undefined
    return row && { secret: row.secret, boundDeviceId: row.bound_device_id, gateway: row.gateway }
  }

  bind(instanceId: string, deviceId: string): void {
    this.store.db
      .prepare(
        'UPDATE join_secrets SET bound_device_id = ?, bound_at = ? WHERE instance_id = ? AND bound_device_id IS NULL',
      )
      .run(deviceId, this.store.now(), instanceId)
  }

  boundDevice(instanceId: string): string | null {
    return this.lookup(instanceId)?.boundDeviceId ?? null
  }

  forget(instanceId: string): void {
    this.store.db.prepare('DELETE FROM join_secrets WHERE instance_id = ?').run(instanceId)
  }
}

/**
 * The join secrets, with every approval or rejection a JoinApprover makes written to the audit trail
 * (as `who`) before it reaches the gateway. A secret stored without a gateway (issued before shards)
 * is the operator's gateway's, `mainShard`.
 */
export function auditedJoinRegistry(
  store: Store,
  who: { actor: string; identity: string },
  mainShard?: string,
): JoinRegistry {
  const secrets = store.repo(JoinSecrets)
  return {
    lookup: (id) => {
      const r = secrets.lookup(id)
      return r && { ...r, gateway: r.gateway ?? mainShard ?? null }
    },
    bind: (id, device) => secrets.bind(id, device),
    before: (d) =>
      store.repo(AuditTrail).append({
        ...who,
        action: d.verdict.action === 'approve' ? 'node.approve' : 'node.reject',
        target: d.verdict.instanceId ?? null,
        outcome: 'intent',
        details: {
          kind: d.kind,
          requestId: d.requestId,
          deviceId: d.deviceId,
          reason: d.verdict.reason,
          ...(d.gateway ? { gateway: d.gateway } : {}),
        },
      }),
  }
}
