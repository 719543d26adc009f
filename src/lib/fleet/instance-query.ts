/** Read-side use cases for instances and pairs: list with filters and selectors, show, pair status. */

import type { Context } from '../context.js'
import type { AuditEntry } from '../domain/audit.js'
import type { Instance } from '../domain/instance.js'
import { type Pair, type PairCondition, pairView } from '../domain/pair.js'
import { checkFieldValue, matches, parseSelector, selectableLabels } from '../domain/selector.js'
import { UserError } from '../errors.js'
import { AuditTrail } from '../store/audit-trail.js'
import { type InstanceFilter, Instances } from '../store/instances.js'
import { Pairs } from '../store/pairs.js'

export interface ListQuery extends InstanceFilter {
  selector?: string
  limit?: number
}

export interface InstanceList {
  total: number
  /** More instances matched than are listed (see `total`). */
  truncated: boolean
  instances: Instance[]
}

/** Instances matching column filters and a label selector, in id order. */
export function selectInstances(ctx: Context, q: ListQuery): Instance[] {
  const sel = q.selector ? parseSelector(q.selector) : []
  for (const r of q.regions ?? []) checkFieldValue('region', r, `--region ${r}`)
  const rows = ctx.store().repo(Instances).list(q)
  return sel.length === 0 ? rows : rows.filter((i) => matches(sel, selectableLabels(i)))
}

export function listInstances(ctx: Context, q: ListQuery): InstanceList {
  const all = selectInstances(ctx, q)
  const instances = q.limit ? all.slice(0, q.limit) : all
  return { total: all.length, truncated: instances.length < all.length, instances }
}

export function getInstance(ctx: Context, id: string): Instance {
  const i = ctx.store().repo(Instances).get(id)
  if (!i) {
    throw new UserError('NOT_FOUND', `no instance ${id}`, {
      hint: 'List instances with clawops instance list.',
    })
  }
  return i
}

export interface InstanceDetail {
  instance: Instance
  partner: Instance | null
  recentAudit: AuditEntry[]
}

export function showInstance(ctx: Context, id: string): InstanceDetail {
  const instance = getInstance(ctx, id)
  const partner =
    ctx
      .store()
      .repo(Instances)
      .list({ pairId: instance.pairId })
      .find((i) => i.id !== instance.id) ?? null
  const recentAudit = ctx.store().repo(AuditTrail).query({ target: id, limit: 10 })
  return { instance, partner, recentAudit }
}

export interface PairStatus {
  pair: Pair
  primary: Instance | null
  standby: Instance | null
  /** What the pair means for its user (src/lib/domain/pair.ts): serving, degraded, at-risk, … */
  condition: PairCondition
  /** The user is served: the primary role is held by an ACTIVE instance. */
  serving: boolean
  /** Failover is possible right now: the standby is ACTIVE. */
  standbyReady: boolean
}

function pairStatusOf(ctx: Context, pair: Pair): PairStatus {
  const v = pairView(ctx.store().repo(Instances).list({ pairId: pair.id }))
  return {
    pair,
    primary: v.primary,
    standby: v.standby,
    condition: v.condition,
    serving: v.serving,
    standbyReady: v.failoverReady,
  }
}

/** A pair by its id, or every pair of a user by the user id. */
export function pairStatus(ctx: Context, ref: string): PairStatus[] {
  const pairs = ctx.store().repo(Pairs)
  const byId = pairs.get(ref)
  const found = byId ? [byId] : pairs.byUser(ref)
  if (found.length === 0) {
    throw new UserError('NOT_FOUND', `no pair or user ${ref}`, {
      hint: 'Pair ids look like p-…, user ids like u-….',
    })
  }
  return found.map((p) => pairStatusOf(ctx, p))
}
