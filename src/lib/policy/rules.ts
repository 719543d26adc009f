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
/** Rule 2: a change to more than this many instances must roll in validated batches. */
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

/** How a teardown keeps one pair's user state (`skipped`: --no-archive, the state is lost). */
export interface TeardownArchiveFact {
  pairId: string
  how: 'node' | 'provider-snapshot' | 'kept' | 'nothing' | 'skipped'
  plan: string
}

/** Rule 2's limits for a rollout to more than ROLLING_OVER_INSTANCES instances. */
export const ROLLOUT_LIMITS = {
  /** A batch is at most this share of the target (and at most the configured ceiling). */
  maxBatchShare: 0.1,
  /** Each batch is followed by at least this long a pause before its instances are checked again. */
  minPauseMs: 10_000,
  /** The failure budget that halts the rollout is at most this many percent. */
  maxFailurePct: 5,
} as const

/**
 * A change rolled out to many instances in batches (a config push; an OpenClaw upgrade), as planned:
 * rule 2 reads it whatever rolls out.
 */
export interface RolloutFact {
  /** What rolls out, e.g. "config push". */
  what: string
  instances: number
  /** The size of each batch, in order (a canary first when there is one). */
  batches: number[]
  /** The largest batch the configuration allows (configPush.batchSize for config pushes). */
  ceiling: number
  /** The wait after each batch before its instances are checked again and the next batch starts. */
  pauseMs: number
  /** The failure budget that halts the rollout, in percent of the instances (a count budget converted). */
  maxFailurePct: number
  /** Every instance in one batch, no budget between batches: only for small targets, confirmed. */
  allAtOnce: boolean
}

/** The largest batch rule 2 lets a rollout to `instances` instances have without a confirmation. */
export function rolloutBatchLimit(instances: number, ceiling: number): number {
  if (instances <= ROLLING_OVER_INSTANCES) return ceiling
  return Math.max(1, Math.min(ceiling, Math.floor(instances * ROLLOUT_LIMITS.maxBatchShare)))
}

/** What makes a rollout looser than rule 2's limits; empty when it keeps them (or is small). */
export function rolloutLooseness(f: RolloutFact): string[] {
  if (f.instances <= ROLLING_OVER_INSTANCES) return []
  const out: string[] = []
  const limit = rolloutBatchLimit(f.instances, f.ceiling)
  const largest = Math.max(0, ...f.batches)
  if (largest > limit)
    out.push(
      `a batch of ${largest} instances (at most ${limit}: ${Math.round(100 * ROLLOUT_LIMITS.maxBatchShare)}% of ${f.instances}, and the configured ${f.ceiling})`,
    )
  if (f.pauseMs < ROLLOUT_LIMITS.minPauseMs)
    out.push(
      `a pause of ${f.pauseMs / 1000} s after each batch (at least ${ROLLOUT_LIMITS.minPauseMs / 1000} s)`,
    )
  if (f.maxFailurePct > ROLLOUT_LIMITS.maxFailurePct)
    out.push(
      `a failure budget of ${Math.round(f.maxFailurePct * 100) / 100}% (at most ${ROLLOUT_LIMITS.maxFailurePct}%)`,
    )
  return out
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

/**
 * How many users' gateways heals and restarts would have restarted within the window in one scope
 * (a provider, or one region of it) if the plan ran: those already restarting or restarted, and the
 * plan's own (a user counts once).
 */
export interface RestartBudgetScope {
  scope: 'provider' | 'region'
  name: string
  /** Users with an instance in the scope. */
  users: number
  /** Users whose gateways may restart in the scope per window without a confirmation. */
  budget: number
  used: number
  wouldUse: number
}

export interface RestartBudgetFact {
  windowMinutes: number
  scopes: RestartBudgetScope[]
}

/** The scopes a plan would push past their restart budget (never more than rule 5's 10 users). */
export function restartBudgetExceeded(f: RestartBudgetFact): RestartBudgetScope[] {
  return f.scopes.filter((s) => s.wouldUse > Math.min(s.budget, CONFIRM_OVER_USERS))
}

/** A silence a plan would create: what it matches and whose events it would hide. */
export interface SilenceFact {
  provider: string | null
  region: string | null
  instanceId: string | null
  eventType: string | null
  /** It names a provider, a region or an instance; otherwise it holds its event type fleet-wide. */
  scoped: boolean
  /** Users with an instance the scope matches today (the whole fleet when unscoped): the plan's affectedUsers. */
  users: number
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

/**
 * A teardown that keeps no copy of the users' state (--no-archive) is never an agent's call: the
 * operator, or Commander through the gateway's human approval, confirms it; every other role is
 * refused.
 */
const teardownWithoutArchive: Rule = (plan, actor) => {
  const facts = plan.facts.teardownArchive as TeardownArchiveFact[] | undefined
  const lost = facts?.filter((f) => f.how === 'skipped') ?? []
  if (lost.length === 0) return null
  const message = `tearing down ${lost.length} pair${lost.length === 1 ? '' : 's'} without archiving: the users' state is deleted with no copy (${lost
    .map((f) => f.pairId)
    .join(', ')})`
  return ROLES[actor].canConfirm
    ? { rule: 'teardown-without-archive', effect: 'confirm', message }
    : {
        rule: 'teardown-without-archive',
        effect: 'deny',
        message: `${message}; only the operator or Commander may confirm it`,
      }
}

/** Rule 2: above 100 instances a change rolls, in more than one batch. */
const rollingOver100: Rule = (plan) => {
  const fact = plan.facts.rollout as RolloutFact | undefined
  if (!fact || fact.instances <= ROLLING_OVER_INSTANCES) return null
  if (!fact.allAtOnce && fact.batches.length > 1) return null
  return {
    rule: 'rolling-over-100-instances',
    effect: 'deny',
    message: `a ${fact.what} to ${fact.instances} instances must roll in validated batches (over ${ROLLING_OVER_INSTANCES})`,
  }
}

/**
 * Rule 2's teeth: a rolling change above 100 instances in batches larger than 10 % of the target (or
 * the configured ceiling), with less than a 10 s pause after each, or with a failure budget above 5 %
 * is looser than the rule: a human decides (the operator, or Commander through the gateway's
 * approval); every other role is refused.
 */
const rolloutLimits: Rule = (plan, actor) => {
  const fact = plan.facts.rollout as RolloutFact | undefined
  if (!fact || fact.allAtOnce || fact.batches.length <= 1) return null
  const loose = rolloutLooseness(fact)
  if (loose.length === 0) return null
  const message = `a ${fact.what} to ${fact.instances} instances looser than rule 2: ${loose.join('; ')}`
  return ROLES[actor].canConfirm
    ? { rule: 'rollout-limits', effect: 'confirm', message }
    : {
        rule: 'rollout-limits',
        effect: 'deny',
        message: `${message}; only the operator or Commander may confirm it`,
      }
}

const allAtOnceRollout: Rule = (plan) => {
  const fact = plan.facts.rollout as RolloutFact | undefined
  if (!fact?.allAtOnce) return null
  return {
    rule: 'all-at-once-rollout',
    effect: 'confirm',
    message: `an all-at-once ${fact.what} changes all ${fact.instances} instances before any is validated`,
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

/**
 * Rule 5 for silences: the plan's affectedUsers counts whose events it hides, so more than 10 needs a
 * confirmation like any change. A silence of an event type with no provider, region or instance
 * hides it for the whole fleet, today's users and tomorrow's: never an agent's call, and the
 * operator confirms it.
 */
const unscopedSilence: Rule = (plan, actor) => {
  const fact = plan.facts.silence as SilenceFact | undefined
  if (!fact || fact.scoped) return null
  const what = `a silence of ${fact.eventType ?? 'every'} event${fact.eventType ? 's' : ''} with no provider, region or instance hides them for the whole fleet (${fact.users} users)`
  return actor === 'operator'
    ? { rule: 'unscoped-silence', effect: 'confirm', message: what }
    : {
        rule: 'unscoped-silence',
        effect: 'deny',
        message: `${what}; an agent scopes a silence with --provider, --region or --instance`,
      }
}

/**
 * Rule 5 across operations: heals and restarts are judged one user at a time, so one correlated
 * storm (a region blip) would restart hundreds of gateways with no one asked. Past a scope's restart
 * budget within the window, a heal or restart needs a confirmation.
 */
const restartBudget: Rule = (plan) => {
  const fact = plan.facts.restartBudget as RestartBudgetFact | undefined
  if (!fact) return null
  const over = restartBudgetExceeded(fact)
  if (over.length === 0) return null
  return {
    rule: 'restart-budget',
    effect: 'confirm',
    message: over
      .map(
        (s) =>
          `${s.wouldUse} users' gateways in ${s.scope} ${s.name} would have restarted within ${fact.windowMinutes} min (budget ${Math.min(s.budget, CONFIRM_OVER_USERS)} of ${s.users} users)`,
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
  teardownWithoutArchive,
  rollingOver100,
  rolloutLimits,
  allAtOnceRollout,
  standbyActiveBeforeFailover,
  failoverBlastRadius,
  unscopedSilence,
  restartBudget,
]
