/**
 * Properties of the gate, over the real Engine, the real teardown kind and a test kind whose action
 * the role table grants outright (instance.restart), against a small fleet in a real store. fast-check
 * generates sequences of what agents and the fleet can do: plan as one role, confirm as another (the
 * operator included: a confirmation is the one thing only the operator or Commander gives), fleet
 * changes (a standby failing, a primary recovering), the clock passing plan and confirmation lapses,
 * provider deletes that fail, resume and retry as a role, with or without a fresh --confirm. Whatever
 * the sequence:
 * 1. no provider delete removes an ACTIVE primary whose standby is not ACTIVE (the pair not going as
 *    a whole), judged by the fleet at the moment of the delete;
 * 2. nothing that affects more than 10 users takes effect without a live confirmation (within
 *    policy.confirmationTtlMinutes) by the operator or Commander.
 * The checks run inside the fake provider and the test kind's step, at the moment of the effect.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { Context } from '../../../src/lib/context.js'
import type { Actor } from '../../../src/lib/domain/actor.js'
import type { Instance, InstanceState } from '../../../src/lib/domain/instance.js'
import { Engine } from '../../../src/lib/engine/engine.js'
import type { OperationKind } from '../../../src/lib/engine/kind.js'
import { UserError } from '../../../src/lib/errors.js'
import { selectInstances } from '../../../src/lib/fleet/instance-query.js'
import { productionKinds } from '../../../src/lib/kinds.js'
import teardownKind from '../../../src/lib/lifecycle/teardown.js'
import type { TeardownFact } from '../../../src/lib/policy/rules.js'
import { Instances } from '../../../src/lib/store/instances.js'
import { Operations } from '../../../src/lib/store/operations.js'
import { Pairs } from '../../../src/lib/store/pairs.js'
import { Plans } from '../../../src/lib/store/plans.js'
import { manualClock, tempHome, testContext } from '../../support/context.js'
import { DeletingProvider } from '../../support/deleting-provider.js'
import { onPostgres } from '../../support/store-engine.js'
import { FakeNodes } from '../../support/watch-fakes.js'

const PAIRS = 12
/** Single-pair targets and fleet changes pick among the first few pairs, so they meet often. */
const NEAR = 3
const AGENTS: Actor[] = ['commander', 'forge', 'guardian', 'ledger', 'triage', 'briefer']

type Target =
  | { t: 'primary' | 'standby' | 'pair'; pair: number }
  | { t: 'cohort'; cohort: 'a' | 'b' }
  | { t: 'everyone' }

type Action =
  | { a: 'plan'; kind: 'teardown' | 'touch'; as: Actor; target: Target }
  | { a: 'confirm'; as: Actor; plan: Pick }
  | { a: 'fleet'; pair: number | 'subject'; role: 'primary' | 'standby'; state: InstanceState }
  | { a: 'clock'; minutes: number }
  | { a: 'faults'; deletes: number; touches: number }
  | { a: 'resume'; as: Actor; op: Pick | null; retry: boolean; confirm: boolean }

/** Which plan or operation an action takes: the latest (most of the time) or one by index. */
type Pick = 'latest' | number

/** Roles weighted toward those that hold something of the action, so sequences reach effects. */
const planner = fc.oneof(
  { weight: 3, arbitrary: fc.constant<Actor>('commander') },
  { weight: 2, arbitrary: fc.constantFrom<Actor>('forge', 'ledger', 'guardian') },
  { weight: 1, arbitrary: fc.constantFrom<Actor>('triage', 'briefer') },
)
const confirmer = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom<Actor>('operator', 'commander') },
  { weight: 1, arbitrary: fc.constantFrom<Actor>(...AGENTS) },
)
const resumer = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom<Actor>('commander', 'forge', 'guardian') },
  { weight: 1, arbitrary: fc.constantFrom<Actor>('ledger', 'triage', 'briefer') },
)
const near = fc.integer({ min: 0, max: NEAR - 1 })
const pick: fc.Arbitrary<Pick> = fc.oneof(
  { weight: 3, arbitrary: fc.constant<Pick>('latest') },
  { weight: 1, arbitrary: fc.nat(3) },
)
const target: fc.Arbitrary<Target> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ t: fc.constant('primary'), pair: near }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constantFrom('standby', 'pair'), pair: near }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('cohort'), cohort: fc.constantFrom('a', 'b') }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('everyone') }) },
) as fc.Arbitrary<Target>

const change: fc.Arbitrary<Action> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      a: fc.constant('fleet'),
      // Mostly the pair the latest plan is about: the fleet changing under a plan is the point.
      pair: fc.oneof(
        { weight: 3, arbitrary: fc.constant<'subject'>('subject') },
        { weight: 1, arbitrary: near },
      ),
      role: fc.constantFrom('primary', 'standby'),
      state: fc.constantFrom<InstanceState>('ACTIVE', 'DEGRADED', 'FAILED', 'FAILED'),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ a: fc.constant('clock'), minutes: fc.constantFrom(1, 30, 59, 61, 200) }),
  },
) as fc.Arbitrary<Action>

const resume: fc.Arbitrary<Action> = fc.record({
  a: fc.constant('resume'),
  as: resumer,
  op: fc.option(pick, { nil: null }),
  retry: fc.boolean(),
  confirm: fc.boolean(),
}) as fc.Arbitrary<Action>

/**
 * An episode of what agents do with one change: faults of the provider or nodes, a plan, changes of
 * the fleet or the clock, confirmations, more changes, resumes and retries. Uniform sequences of
 * single actions almost never line up plan → confirm → change → retry; episodes do, and the actions
 * of several episodes still interleave through the plans and operations they leave behind.
 */
const episode: fc.Arbitrary<Action[]> = fc
  .record({
    faults: fc.record({
      a: fc.constant('faults'),
      deletes: fc.integer({ min: 0, max: 2 }),
      touches: fc.integer({ min: 0, max: 2 }),
    }) as fc.Arbitrary<Action>,
    plan: fc.record({
      a: fc.constant('plan'),
      kind: fc.constantFrom('teardown', 'touch'),
      as: planner,
      target,
    }) as fc.Arbitrary<Action>,
    confirms: fc.array(
      fc.record({
        before: fc.array(change, { maxLength: 2 }),
        confirm: fc.record({ a: fc.constant('confirm'), as: confirmer, plan: pick }) as fc.Arbitrary<Action>,
      }),
      { maxLength: 2 },
    ),
    after: fc.array(change, { maxLength: 3 }),
    resumes: fc.array(fc.tuple(resume, fc.array(change, { maxLength: 1 })), { maxLength: 3 }),
  })
  .map((e) => [
    e.faults,
    e.plan,
    ...e.confirms.flatMap((c) => [...c.before, c.confirm]),
    ...e.after,
    ...e.resumes.flatMap(([r, c]) => [r, ...c]),
  ])

const story = fc.array(episode, { minLength: 1, maxLength: 3 }).map((es) => es.flat())

/** One fleet, its engine and what happened to it. */
class World {
  readonly home = tempHome()
  readonly clock = manualClock()
  readonly violations: string[] = []
  readonly touches: string[] = []
  /** Each instance's state as the fleet (not a teardown in progress) last set it. */
  private readonly known = new Map<string, InstanceState>()
  private root?: Context
  readonly plans: { id: string; kind: 'teardown' | 'touch'; params: unknown }[] = []
  /** The pair the latest single-pair plan was about. */
  subject = 0
  readonly cloud = new DeletingProvider()
  readonly nodes = new FakeNodes()
  failTouches = 0
  readonly engine: Engine
  readonly touch: OperationKind<{ selector: string }>

  constructor() {
    this.touch = this.touchKind()
    this.cloud.onDelete = (serverId, opts) => this.checkDelete(serverId, opts!.opId!)
    this.engine = new Engine(productionKinds().add(this.touch.kind, this.touch))
    const ctx = this.as('operator')
    const now = ctx.now()
    const rows: Instance[] = []
    for (let p = 0; p < PAIRS; p++) {
      const pairId = `p-${p}`
      const userId = `u-${p}`
      ctx.store().repo(Pairs).insert({ id: pairId, userId, labels: {}, createdAt: now, updatedAt: now })
      for (const role of ['primary', 'standby'] as const) {
        rows.push({
          id: `i-${p}${role[0]}`,
          pairId,
          userId,
          provider: role === 'primary' ? 'hetzner' : 'vultr',
          region: role === 'primary' ? 'nbg1' : 'ams',
          tier: 'standard',
          role,
          state: 'ACTIVE',
          providerId: `srv-${p}${role[0]}`,
          ip: null,
          tailscaleName: null,
          nodeId: null,
          labels: { cohort: p % 2 ? 'b' : 'a' },
          healthScore: 100,
          lastHeartbeatAt: now,
          createdAt: now,
          updatedAt: now,
        })
        this.known.set(`i-${p}${role[0]}`, 'ACTIVE')
      }
    }
    ctx.store().repo(Instances).insertMany(rows)
  }

  /** The same home, store and clock as each role (one store connection for all of them). */
  as(actor: Actor): Context {
    this.root ??= testContext({
      home: this.home,
      actor: 'operator',
      clock: this.clock,
      env: { OPENCLAW_GATEWAY_TOKEN: 'gateway-token-for-the-test' },
      // The nested failover of a lone primary's teardown asks the standby's node whether it serves.
      services: { provider: () => this.cloud.adapter(), nodes: this.nodes, sleep: async () => {} },
    })
    return this.root.as(actor)
  }

  close(): void {
    this.root?.close()
  }

  private get store() {
    return this.as('operator').store()
  }

  /** Rule 5 at the moment of an effect: more than 10 users needs a live confirmation by a human or Commander. */
  private confirmedEnough(opId: string, what: string): void {
    const op = this.store.repo(Operations).get(opId)!
    const stored = this.store.repo(Plans).get(op.planId)!
    if (stored.plan.affectedUsers <= 10) return
    const c = stored.confirmation
    const ttl = this.as('operator').config().policy.confirmationTtlMinutes * 60_000
    if (!c || !['operator', 'commander'].includes(c.by) || Date.parse(c.at) + ttl < this.clock().getTime()) {
      this.violations.push(
        `${what} by ${op.actor}'s operation ${opId} affecting ${stored.plan.affectedUsers} users without a live confirmation (${JSON.stringify(c)})`,
      )
    }
  }

  /** The check of rules 1 and 5 at the moment of each delete, before the provider answers. */
  private checkDelete(serverId: string, opId: string): void {
    const instances = this.store.repo(Instances)
    const inst = instances.list({ includeDeleted: true }).find((i) => i.providerId === serverId)!
    const partner = instances
      .list({ pairId: inst.pairId, includeDeleted: true })
      .find((m) => m.id !== inst.id)
    const op = this.store.repo(Operations).get(opId)!
    const facts = this.store.repo(Plans).get(op.planId)!.plan.facts.teardown as TeardownFact[]
    const wholePair = facts.find((f) => f.instanceId === inst.id)?.wholePair ?? false
    if (
      !wholePair &&
      inst.role === 'primary' &&
      this.known.get(inst.id) === 'ACTIVE' &&
      partner?.state !== 'ACTIVE'
    ) {
      this.violations.push(
        `rule 1: ${op.actor}'s operation ${op.id} deleted ACTIVE primary ${inst.id} while its standby ${partner?.id} is ${partner?.state}`,
      )
    }
    this.confirmedEnough(op.id, `delete of ${inst.id}`)
  }

  /** A change every agent that may restart may start outright; above 10 users it needs a confirmation. */
  private touchKind(): OperationKind<{ selector: string }> {
    return {
      kind: 'test.touch',
      action: 'instance.restart',
      continueOnFailure: true,
      parseParams: (raw) => raw as { selector: string },
      plan: (ctx, p) => {
        const targets = selectInstances(ctx, { selector: p.selector })
        if (targets.length === 0) throw new UserError('NOT_FOUND', 'nothing matches')
        return {
          summary: `touch ${targets.length}`,
          targets: targets.map((t) => t.id),
          affectedUsers: new Set(targets.map((t) => t.userId)).size,
          costDeltaMonthlyUsdCents: 0,
          steps: targets.map((t) => ({ name: 'touch', target: t.id, input: {} })),
          facts: { states: targets.map((t) => [t.id, t.state]) },
        }
      },
      runStep: async (run) => {
        this.confirmedEnough(run.opId, `touch of ${run.step.target}`)
        if (this.failTouches > 0) {
          this.failTouches--
          throw new UserError('NODE_ERROR', 'touch failed (test)')
        }
        this.touches.push(run.step.target!)
      },
    }
  }

  private params(kind: 'teardown' | 'touch', t: Target): unknown {
    const selector =
      t.t === 'primary' || t.t === 'standby'
        ? `pair=p-${t.pair},role=${t.t}`
        : t.t === 'pair'
          ? `pair=p-${t.pair}`
          : t.t === 'cohort'
            ? `cohort=${t.cohort}`
            : 'cohort in (a,b)'
    return kind === 'teardown' ? { selector } : { selector }
  }

  async apply(x: Action): Promise<void> {
    const expectedRefusals = [
      'POLICY_DENIED',
      'CONFIRMATION_REQUIRED',
      'PLAN_STALE',
      'NOT_FOUND',
      'CONFLICT',
      'INVALID_INPUT',
    ]
    try {
      switch (x.a) {
        case 'plan': {
          const kind = x.kind === 'teardown' ? teardownKind : this.touch
          const params = this.params(x.kind, x.target)
          if ('pair' in x.target) this.subject = x.target.pair
          try {
            await this.engine.mutate(this.as(x.as), kind as OperationKind<unknown>, params)
          } catch (err) {
            if (err instanceof UserError && err.code === 'CONFIRMATION_REQUIRED') {
              this.plans.push({ id: (err.details as { planId: string }).planId, kind: x.kind, params })
            }
            throw err
          }
          return
        }
        case 'confirm': {
          const p =
            x.plan === 'latest' ? this.plans.at(-1) : this.plans[x.plan % Math.max(1, this.plans.length)]
          if (!p) return
          const kind = p.kind === 'teardown' ? teardownKind : this.touch
          await this.engine.mutate(this.as(x.as), kind as OperationKind<unknown>, p.params, { confirm: p.id })
          return
        }
        case 'fleet': {
          const pair = x.pair === 'subject' ? this.subject : x.pair
          const id = `i-${pair}${x.role[0]}`
          const inst = this.store.repo(Instances).get(id)!
          if (inst.state === 'ARCHIVING' || inst.state === 'DELETED') return
          this.store.repo(Instances).update(id, { state: x.state })
          this.known.set(id, x.state)
          return
        }
        case 'clock':
          this.clock.advance(x.minutes * 60_000)
          return
        case 'faults':
          this.cloud.failNext = x.deletes
          this.failTouches = x.touches
          return
        case 'resume': {
          const ops = this.store.repo(Operations).list({ limit: 100 })
          const op =
            x.op === null ? undefined : x.op === 'latest' ? ops[0] : ops[x.op % Math.max(1, ops.length)]
          if (x.op !== null && !op) return
          await this.engine.resume(this.as(x.as), {
            ...(op ? { opId: op.id } : {}),
            retryFailed: x.retry,
            ...(x.confirm && op ? { confirm: op.planId } : {}),
          })
          return
        }
      }
    } catch (err) {
      if (err instanceof UserError && expectedRefusals.includes(err.code)) return
      throw err
    }
  }
}

describe('policy properties over sequences of agent actions', () => {
  // Each run opens a fresh store: on PostgreSQL a schema's DDL (~1 s on a loaded machine), so fewer.
  const RUNS = onPostgres() ? 40 : 150
  it('never deletes an ACTIVE primary whose standby is not ACTIVE, nor touches more than 10 users unconfirmed', async () => {
    let effects = 0
    await fc.assert(
      fc.asyncProperty(story, async (actions) => {
        const w = new World()
        try {
          for (const x of actions) await w.apply(x)
          effects += w.cloud.deletes.length + w.touches.length
          expect(w.violations).toEqual([])
        } finally {
          w.close()
        }
      }),
      {
        numRuns: RUNS,
        // Found by this property (before the fix in teardown.ts): Forge plans the teardown of an ACTIVE
        // primary, the operator confirms, the provider delete fails (the primary stays ARCHIVING),
        // the standby degrades, and Commander's retry deleted the primary. Kept so every run tries it.
        examples: [
          [
            [
              { a: 'faults', deletes: 1, touches: 0 },
              { a: 'plan', kind: 'teardown', as: 'forge', target: { t: 'primary', pair: 2 } },
              { a: 'confirm', as: 'operator', plan: 'latest' },
              { a: 'fleet', pair: 'subject', role: 'standby', state: 'DEGRADED' },
              { a: 'resume', as: 'commander', op: 'latest', retry: true, confirm: true },
            ],
          ],
        ],
      },
    )
    // The generated sequences do reach the effects: the property is not true by never acting.
    expect(effects).toBeGreaterThan(RUNS / 3)
  }, 240_000)
})
