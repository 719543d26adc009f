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

  /** Issues a secret once; a resumed provisioning step gets the same secret back. */
  issue(instanceId: string, secret: string): string {
    this.store.db
      .prepare(
        'INSERT INTO join_secrets (instance_id, secret, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING',
      )
      .run(instanceId, secret, this.store.now())
    return (
      this.store.db.prepare('SELECT secret FROM join_secrets WHERE instance_id = ?').get(instanceId) as {
        secret: string
      }
    ).secret
  }

  lookup(instanceId: string): JoinRecord | undefined {
    const row = this.store.db
      .prepare('SELECT secret, bound_device_id FROM join_secrets WHERE instance_id = ?')
      .get(instanceId) as { secret: string; bound_device_id: string | null } | undefined
    return row && { secret: row.secret, boundDeviceId: row.bound_device_id }
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
 * (as `who`) before it reaches the gateway.
 */
export function auditedJoinRegistry(store: Store, who: { actor: string; identity: string }): JoinRegistry {
  const secrets = store.repo(JoinSecrets)
  return {
    lookup: (id) => secrets.lookup(id),
    bind: (id, device) => secrets.bind(id, device),
    before: (d) =>
      store.repo(AuditTrail).append({
        ...who,
        action: d.verdict.action === 'approve' ? 'node.approve' : 'node.reject',
        target: d.verdict.instanceId ?? null,
        outcome: 'intent',
        details: { kind: d.kind, requestId: d.requestId, deviceId: d.deviceId, reason: d.verdict.reason },
      }),
  }
}
