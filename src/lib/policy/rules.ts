/**
 * The safety rules of the design, as functions over a plan. Each returns a finding or nothing;
 * `check` combines them. Operation kinds supply facts in the plan; the rules live here, not in the
 * kinds, so one place says what is never allowed.
 */

import type { Actor } from '../domain/actor.js'
import type { PlanBody } from '../domain/plan.js'
import { grantOf, ROLES } from './roles.js'

export type Effect = 'deny' | 'confirm'

export interface Finding {
  rule: string
  effect: Effect
  message: string
}

/** Rule 5: any action affecting more than this many users needs an explicit confirmation. */
export const CONFIRM_OVER_USERS = 10
/** Rule 2: config pushes to more than this many instances must roll in validated batches. */
export const ROLLING_OVER_INSTANCES = 100

export interface TeardownFact {
  instanceId: string
  role: 'primary' | 'standby'
  state: string
  /** State of the other member of the pair, or null when the pair has none. */
  partnerState: string | null
  /** The whole pair goes (the user is leaving): no member is left to serve, by intent. */
  wholePair?: boolean
}

export interface ConfigPushFact {
  instances: number
  rolling: boolean
  /** Every instance in one batch, no budget between batches: only for small targets, confirmed. */
  allAtOnce?: boolean
}

/** A pair a failover plan promotes: its standby must be ACTIVE (the heal tree's step 4). */
export interface FailoverFact {
  pairId: string
  primaryId: string
  primaryState: string
  standbyId: string
  standbyState: string
}

/**
 * How much of a provider (or one region of it) would have failed over within the window if the plan
 * ran: failovers already started in the window plus the plan's own.
 */
export interface BlastRadiusScope {
  scope: 'provider' | 'region'
  name: string
  /** Pairs whose primary was in this scope at the start of the window. */
  pairs: number
  wouldFailOver: number
}

export interface BlastRadiusFact {
  maxShare: number
  minFailovers: number
  windowMinutes: number
  scopes: BlastRadiusScope[]
}

/** The scopes a failover plan would push past the limit (a provider blip must not become a storm). */
export function blastRadiusExceeded(f: BlastRadiusFact): BlastRadiusScope[] {
  return f.scopes.filter(
    (s) => s.wouldFailOver >= f.minFailovers && s.pairs > 0 && s.wouldFailOver / s.pairs > f.maxShare,
  )
}

type Rule = (plan: PlanBody, actor: Actor) => Finding | null

export const rolePermission: Rule = (plan, actor) => {
  const grant = grantOf(actor, plan.action)
  if (grant === 'deny') {
    return {
      rule: 'role-permission',
      effect: 'deny',
      message: `${actor} may not ${plan.action} (${ROLES[actor].summary})`,
    }
  }
  if (grant === 'confirm') {
    return {
      rule: 'role-confirmation',
      effect: 'confirm',
      message: `${plan.action} by ${actor} needs a confirmation`,
    }
  }
  return null
}

const confirmOverUsers: Rule = (plan) =>
  plan.affectedUsers > CONFIRM_OVER_USERS
    ? {
        rule: 'confirm-over-10-users',
        effect: 'confirm',
        message: `the plan affects ${plan.affectedUsers} users (more than ${CONFIRM_OVER_USERS})`,
      }
    : null

const standbyBeforeTeardown: Rule = (plan) => {
  const facts = plan.facts.teardown as TeardownFact[] | undefined
  if (!facts) return null
  const unsafe = facts.filter(
    (f) => !f.wholePair && f.role === 'primary' && f.state === 'ACTIVE' && f.partnerState !== 'ACTIVE',
  )
  if (unsafe.length === 0) return null
  return {
    rule: 'standby-active-before-teardown',
    effect: 'deny',
    message: `refusing to tear down ACTIVE primar${unsafe.length === 1 ? 'y' : 'ies'} whose standby is not ACTIVE: ${unsafe
      .map((f) => f.instanceId)
      .join(', ')}`,
  }
}

const rollingConfigPush: Rule = (plan) => {
  const fact = plan.facts.configPush as ConfigPushFact | undefined
  if (!fact || fact.rolling || fact.instances <= ROLLING_OVER_INSTANCES) return null
  return {
    rule: 'rolling-over-100-instances',
    effect: 'deny',
    message: `a config push to ${fact.instances} instances must roll in validated batches (over ${ROLLING_OVER_INSTANCES})`,
  }
}

const allAtOnceConfigPush: Rule = (plan) => {
  const fact = plan.facts.configPush as ConfigPushFact | undefined
  if (!fact?.allAtOnce) return null
  return {
    rule: 'all-at-once-config-push',
    effect: 'confirm',
    message: `an all-at-once config push changes all ${fact.instances} instances before any is validated`,
  }
}

const standbyActiveBeforeFailover: Rule = (plan) => {
  const facts = plan.facts.failover as FailoverFact[] | undefined
  const unsafe = facts?.filter((f) => f.standbyState !== 'ACTIVE') ?? []
  if (unsafe.length === 0) return null
  return {
    rule: 'standby-active-before-failover',
    effect: 'deny',
    message: `refusing to fail over to a standby that is not ACTIVE: ${unsafe
      .map((f) => `${f.standbyId} (${f.standbyState}) of ${f.pairId}`)
      .join(', ')}`,
  }
}

const failoverBlastRadius: Rule = (plan) => {
  const fact = plan.facts.blastRadius as BlastRadiusFact | undefined
  if (!fact) return null
  const over = blastRadiusExceeded(fact)
  if (over.length === 0) return null
  return {
    rule: 'failover-blast-radius',
    effect: 'confirm',
    message: over
      .map(
        (s) =>
          `${s.wouldFailOver} of ${s.pairs} pairs in ${s.scope} ${s.name} would fail over within ${fact.windowMinutes} min (${Math.round((100 * s.wouldFailOver) / s.pairs)}% > ${Math.round(100 * fact.maxShare)}%)`,
      )
      .join('; '),
  }
}

/** Characters that only mean something to a shell; exec on a node is argv, never a shell (rule 7). */
const SHELL_META = /[;&|`$<>(){}[\]*?!~\\\n\r'"]/

const execArgvOnly: Rule = (plan) => {
  const argv = (plan.facts.exec as { argv?: string[] } | undefined)?.argv
  const bad = argv?.find((a) => SHELL_META.test(a) || a.includes('..'))
  if (bad === undefined) return null
  return {
    rule: 'exec-argv-only',
    effect: 'deny',
    message: `exec runs one allowlisted program with plain arguments, never a shell: refusing ${JSON.stringify(bad)}`,
  }
}

export const RULES: readonly Rule[] = [
  execArgvOnly,
  rolePermission,
  confirmOverUsers,
  standbyBeforeTeardown,
  rollingConfigPush,
  allAtOnceConfigPush,
  standbyActiveBeforeFailover,
  failoverBlastRadius,
]
