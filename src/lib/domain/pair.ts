import { z } from 'zod'
import type { InstanceState, Role } from './instance.js'
import { LabelsSchema } from './labels.js'

/**
 * A user's pair: the primary and standby instances that serve one user gateway. Which member is the
 * primary is a fact of the instances (their role), not stored twice here.
 */
export const PairSchema = z.object({
  id: z.string(),
  userId: z.string(),
  labels: LabelsSchema,
  createdAt: z.string(),
  updatedAt: z.string(),
})
export type Pair = z.infer<typeof PairSchema>

/**
 * What a pair means for its user, decided in one place for every reader (pair status, fleet status,
 * briefings, watch, incident exposure). The user is served by the primary role: a pair serves only
 * while that role is held by an ACTIVE instance. In order of precedence:
 *
 *   retired    no live member (torn down)
 *   serving    the primary is ACTIVE
 *   creating   every live member is still CREATING or BOOTSTRAPPING (the user never had a gateway)
 *   promoting  a standby is being promoted (a failover is under way)
 *   unserved   no member is ACTIVE: nothing to fail over to (watch: PAIR_FAILED)
 *   degraded   the primary is DEGRADED and still holds the role (the heal tree: restart, then fail over)
 *   at-risk    the primary is gone, FAILED, QUARANTINED or changing while an ACTIVE standby was never
 *              promoted: the user has no gateway although a failover would restore one (PAIR_NO_PRIMARY)
 */
export const PAIR_CONDITIONS = [
  'serving',
  'degraded',
  'promoting',
  'at-risk',
  'unserved',
  'creating',
  'retired',
] as const
export type PairCondition = (typeof PAIR_CONDITIONS)[number]

export interface PairMemberState {
  role: Role
  state: InstanceState
}

export interface PairView<M extends PairMemberState> {
  condition: PairCondition
  /** The primary role is held by an ACTIVE instance. */
  serving: boolean
  /** A failover is possible right now: the standby is ACTIVE. */
  failoverReady: boolean
  /** The member holding each role (the healthiest when a pair briefly holds two for a role). */
  primary: M | null
  standby: M | null
}

/** Healthiest first: which member counts for a role while a pair briefly holds two for it. */
const STATE_RANK: readonly InstanceState[] = [
  'ACTIVE',
  'STANDBY_PROMOTING',
  'RESIZING',
  'DEGRADED',
  'BOOTSTRAPPING',
  'CREATING',
  'FAILED',
  'QUARANTINED',
  'ARCHIVING',
  'DELETED',
]

const NEVER_SERVED: ReadonlySet<InstanceState> = new Set(['CREATING', 'BOOTSTRAPPING'])

export function pairView<M extends PairMemberState>(members: readonly M[]): PairView<M> {
  const live = members.filter((m) => m.state !== 'DELETED')
  const best = (role: Role) =>
    live
      .filter((m) => m.role === role)
      .sort((a, b) => STATE_RANK.indexOf(a.state) - STATE_RANK.indexOf(b.state))[0] ?? null
  const primary = best('primary')
  const standby = best('standby')
  const view = (condition: PairCondition): PairView<M> => ({
    condition,
    serving: condition === 'serving',
    failoverReady: standby?.state === 'ACTIVE',
    primary,
    standby,
  })
  if (live.length === 0) return view('retired')
  if (primary?.state === 'ACTIVE') return view('serving')
  if (live.every((m) => NEVER_SERVED.has(m.state))) return view('creating')
  if (live.some((m) => m.state === 'STANDBY_PROMOTING')) return view('promoting')
  if (!live.some((m) => m.state === 'ACTIVE')) return view('unserved')
  if (primary?.state === 'DEGRADED') return view('degraded')
  return view('at-risk')
}

/**
 * The user has lost the gateway they had: no ACTIVE primary and not a pair still being created
 * (a DEGRADED primary counts: it is down or failing until the heal tree proves otherwise).
 */
export function userAffected(condition: PairCondition): boolean {
  return condition !== 'serving' && condition !== 'creating' && condition !== 'retired'
}

/**
 * The user has no working gateway right now: no ACTIVE primary, and none DEGRADED still holding the
 * role (SLA breaches count these). Narrower than `userAffected`.
 */
export function userUnserved(condition: PairCondition): boolean {
  return condition === 'at-risk' || condition === 'unserved' || condition === 'promoting'
}
