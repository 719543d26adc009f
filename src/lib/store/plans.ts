/** Stored plans: the ones that wait for `--confirm <planId>`, and the ones that ran. */
import type { Plan, PlanBody } from '../domain/plan.js'
import type { Store } from './store.js'

export type PlanStatus = 'pending' | 'executed' | 'expired'

interface PlanRow {
  id: string
  kind: string
  actor: string
  identity: string | null
  params: string
  body: string
  fingerprint: string
  status: PlanStatus
  op_id: string | null
  created_at: string
  expires_at: string
  confirmed_by: string | null
  confirmed_at: string | null
  confirmed_identity: string | null
}

export interface StoredPlan {
  plan: Plan
  status: PlanStatus
  opId: string | null
  /**
   * Who confirmed the plan (the role, and the identity under it: null before identities) and when;
   * null for a plan that needed none or is still waiting.
   */
  confirmation: { by: string; identity: string | null; at: string } | null
}

function fromRow(r: PlanRow): StoredPlan {
  const body = JSON.parse(r.body) as PlanBody & { salt: string }
  return {
    plan: {
      ...body,
      id: r.id,
      actor: r.actor,
      identity: r.identity,
      params: JSON.parse(r.params),
      fingerprint: r.fingerprint,
      createdAt: r.created_at,
      expiresAt: r.expires_at,
    },
    status: r.status,
    opId: r.op_id,
    confirmation:
      r.confirmed_by && r.confirmed_at
        ? { by: r.confirmed_by, identity: r.confirmed_identity, at: r.confirmed_at }
        : null,
  }
}

export class Plans {
  constructor(private readonly store: Store) {}

  save(plan: Plan): void {
    const { id, actor, identity, params, fingerprint, createdAt, expiresAt, ...body } = plan
    this.store.db
      .prepare(
        `INSERT INTO plans (id, kind, actor, identity, params, body, fingerprint, status, op_id, created_at, expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', NULL, ?, ?)`,
      )
      .run(
        id,
        plan.kind,
        actor,
        identity,
        JSON.stringify(params),
        JSON.stringify(body),
        fingerprint,
        createdAt,
        expiresAt,
      )
  }

  get(id: string): StoredPlan | undefined {
    const row = this.store.db.prepare('SELECT * FROM plans WHERE id = ?').get(id) as PlanRow | undefined
    return row && fromRow(row)
  }

  markExecuted(id: string, opId: string): void {
    this.store.db.prepare("UPDATE plans SET status = 'executed', op_id = ? WHERE id = ?").run(opId, id)
  }

  /** Stamps a confirmation (a later one replaces an earlier, lapsed one). */
  confirm(id: string, by: { actor: string; identity: string }, at: string): void {
    this.store.db
      .prepare('UPDATE plans SET confirmed_by = ?, confirmed_identity = ?, confirmed_at = ? WHERE id = ?')
      .run(by.actor, by.identity, at, id)
  }

  markExpired(id: string): void {
    this.store.db.prepare("UPDATE plans SET status = 'expired' WHERE id = ?").run(id)
  }

  /** Plans of a kind still waiting for their confirmation at `now`, with the facts they were made on. */
  awaitingConfirmation(
    kind: string,
    now: string,
  ): { id: string; expiresAt: string; facts: Record<string, unknown> | undefined }[] {
    return (
      this.store.db
        .prepare(
          "SELECT id, body, expires_at FROM plans WHERE kind = ? AND status = 'pending' AND expires_at > ?",
        )
        .all(kind, now) as { id: string; body: string; expires_at: string }[]
    ).map((r) => ({ id: r.id, expiresAt: r.expires_at, facts: (JSON.parse(r.body) as PlanBody).facts }))
  }
}
