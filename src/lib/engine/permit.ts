/**
 * The gate for a change too small to plan: observations that move instance states (a health sweep),
 * approving a node the fleet provisioned, pruning expired archives. The actor must hold the action
 * outright in the role table; a refusal is audited and thrown. What it permits then writes its own
 * audit entry with each effect, in the same transaction.
 */
import type { Context } from '../context.js'
import type { Action } from '../domain/actor.js'
import { UserError } from '../errors.js'
import { grantOf, ROLES } from '../policy/roles.js'
import { AuditTrail } from '../store/audit-trail.js'

export function permit(
  ctx: Context,
  action: Action,
  o: { target?: string | null; details?: object } = {},
): void {
  const grant = grantOf(ctx.actor, action)
  if (grant === 'allow') return
  ctx
    .store()
    .repo(AuditTrail)
    .append({
      ...ctx.who,
      action,
      target: o.target ?? null,
      outcome: 'denied',
      details: { rule: 'role-permission', ...o.details },
    })
  throw new UserError(
    'POLICY_DENIED',
    grant === 'deny'
      ? `${ctx.actor} may not ${action} (${ROLES[ctx.actor].summary})`
      : `${ctx.actor} may only propose ${action}, and it has no plan to confirm`,
    { hint: 'The rule is in details; nothing was changed.', details: { rules: ['role-permission'], action } },
  )
}
