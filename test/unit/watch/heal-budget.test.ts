// Rule 5 across operations: heals and restarts share a restart budget per provider and region and
// window. Past it, watch heals nobody more and escalates once to Commander with the command that
// confirms a restart plan; an agent's own heal or restart waits for a confirmation just the same.
import fc from 'fast-check'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { DEFAULT_CONFIG } from '../../../src/lib/config/defaults.js'
import type { Config } from '../../../src/lib/config/schema.js'
import { AGENT_NAMES, watchSettings } from '../../../src/lib/config/watch-settings.js'
import type { Context } from '../../../src/lib/context.js'
import type { Instance } from '../../../src/lib/domain/instance.js'
import { UserError } from '../../../src/lib/errors.js'
import healKind from '../../../src/lib/heal/heal.js'
import restartKind from '../../../src/lib/instance/restart.js'
import { FleetEvents } from '../../../src/lib/store/fleet-events.js'
import { Operations } from '../../../src/lib/store/operations.js'
import { Plans } from '../../../src/lib/store/plans.js'
import { WatchDaemon } from '../../../src/lib/watch/daemon.js'
import { manualClock, tempHome, testContext } from '../../support/context.js'
import { engine } from '../../support/engine.js'
import { onPostgres } from '../../support/store-engine.js'
import { addPair, FakeHooksGateway, FakeNodes, FakeStatus, fakeDeps } from '../../support/watch-fakes.js'

const TOKEN = 'hooks-token'
let home: string
let nodes: FakeNodes
let gw: FakeHooksGateway
let config: Config
let clock: ReturnType<typeof manualClock>
const daemons: WatchDaemon[] = []

beforeEach(async () => {
  home = tempHome()
  nodes = new FakeNodes()
  clock = manualClock()
  config = { ...structuredClone(DEFAULT_CONFIG), watch: { heal: { waitSeconds: 1 } } }
  gw = await new FakeHooksGateway({ token: TOKEN, allowedAgentIds: [...AGENT_NAMES] }).start()
})

afterEach(async () => {
  for (const d of daemons.splice(0)) await d.stop()
  await gw.close()
})

function context(actor = 'operator'): Context {
  return testContext({
    home,
    config,
    clock,
    actor,
    services: fakeDeps({ nodes, status: new FakeStatus(clock) }).services,
  })
}

function daemon(ctx: Context, intervalMs?: number): WatchDaemon {
  const deps = fakeDeps({ nodes, hooks: { url: gw.hooksUrl, token: TOKEN } })
  // Heal concurrency far above the budget: one cycle could otherwise restart every gateway at once.
  const settings = { ...watchSettings(config), heal: { ...watchSettings(config).heal, concurrency: 100 } }
  const d = new WatchDaemon(ctx, engine, deps, settings, {
    heal: true,
    listen: null,
    secrets: { current: null, previous: null },
    stopGraceMs: 200,
    ...(intervalMs ? { intervalMs } : {}),
  })
  daemons.push(d)
  return d
}

/** Users whose gateways a heal or restart actually restarted (journal steps, not plans). */
function restartedUsers(ctx: Context, scope: (i: Instance) => boolean, all: Instance[]): number {
  const ops = ctx.store().repo(Operations)
  const users = new Set<string>()
  for (const op of ops.list({ limit: 10_000 }))
    for (const s of ops.steps(op.id))
      if (
        s.name === 'restart' &&
        s.state === 'done' &&
        !(s.result as { skipped?: boolean } | null)?.skipped
      ) {
        const inst = all.find((i) => i.id === s.target)
        if (inst && scope(inst)) users.add(inst.userId)
      }
  return users.size
}

async function refusal(p: Promise<unknown>): Promise<UserError> {
  try {
    await p
  } catch (err) {
    if (err instanceof UserError) return err
    throw err
  }
  throw new Error('expected a refusal')
}

describe('the restart budget', () => {
  it('holds a heal storm back: one cycle restarts no more than the budget, Commander gets one confirmable command', async () => {
    const ctx = context()
    const pairs = Array.from({ length: 40 }, () =>
      addPair(ctx, { provider: 'hetzner', region: 'nbg1' }, { provider: 'vultr', region: 'ams' }),
    )
    const all = pairs.flatMap((p) => [p.primary, p.standby])
    // A blip takes OpenClaw down on 30 primaries at once; a restart would bring each back.
    for (const p of pairs.slice(0, 30)) nodes.set(p.primary.id, { openclaw: 'down', restartFixes: true })
    const d = daemon(ctx)
    const r = await d.runOnce()
    const inNbg1 = (i: Instance) => i.provider === 'hetzner' && i.region === 'nbg1'
    // 20 % of the 40 users of hetzner/nbg1: 8 heals; the other 22 are held back.
    expect(r.heals).toHaveLength(8)
    expect(restartedUsers(ctx, inNbg1, all)).toBe(8)
    expect(r.healStorms).toEqual([
      expect.objectContaining({
        scope: 'hetzner/nbg1',
        held: expect.any(Array),
        planId: expect.stringMatching(/^plan-/),
        escalated: true,
      }),
    ])
    expect(r.healStorms[0]!.held).toHaveLength(22)
    const storm = ctx
      .store()
      .repo(FleetEvents)
      .list()
      .filter((e) => e.type === 'HEAL_STORM')
    expect(storm).toHaveLength(1)
    const planId = r.healStorms[0]!.planId!
    const suggest = (storm[0]!.payload as { suggest: string[] }).suggest
    const heldPairs = pairs.filter((p) => r.healStorms[0]!.held.includes(p.primary.id)).map((p) => p.pairId)
    const selector = `pair in (${heldPairs.sort().join(',')}),state!=ACTIVE`
    expect(suggest[0]).toBe(`clawops restart -l '${selector}' --confirm ${planId} --json`)
    expect(gw.runs.some((x) => x.agentId === 'commander' && /HEAL_STORM/.test(x.message))).toBe(true)
    const plan = ctx.store().repo(Plans).get(planId)!.plan
    expect(plan.kind).toBe('instance.restart')
    expect(plan.affectedUsers).toBe(22)

    // A second cycle in the same window heals no one more and asks no second time.
    clock.advance(60_000)
    const again = await d.runOnce()
    expect(again.heals).toEqual([])
    expect(again.healStorms.map((s) => s.escalated)).toEqual([false])
    expect(
      ctx
        .store()
        .repo(FleetEvents)
        .list()
        .filter((e) => e.type === 'HEAL_STORM'),
    ).toHaveLength(1)
    expect(restartedUsers(ctx, inNbg1, all)).toBe(8)

    // Guardian healing one of the held instances itself is judged the same way.
    const heldId = r.healStorms[0]!.held[0]!
    const ask = await refusal(engine.mutate(ctx.as('guardian'), healKind, { instance: heldId }))
    expect(ask.code).toBe('CONFIRMATION_REQUIRED')
    expect((ask.details as { findings: { rule: string }[] }).findings.map((f) => f.rule)).toEqual([
      'restart-budget',
    ])

    // Commander confirms the escalated plan with exactly the command watch gave: all 22 restart.
    const confirmed = await engine.mutate(
      ctx.as('commander'),
      restartKind,
      { selector, concurrency: 8, waitTimeoutMs: 60_000 },
      { confirm: planId },
    )
    expect(confirmed.status).toBe('done')
    expect(restartedUsers(ctx, inNbg1, all)).toBe(30)
  })

  it('lets the next window heal again, and a fresh storm is escalated again', async () => {
    const ctx = context()
    const pairs = Array.from({ length: 20 }, () => addPair(ctx, { provider: 'hostinger', region: 'nl-ams' }))
    for (const p of pairs) nodes.set(p.primary.id, { openclaw: 'down', restartFixes: true })
    const d = daemon(ctx)
    // 20 % of 20 users is 4.
    expect((await d.runOnce()).heals).toHaveLength(4)
    clock.advance(16 * 60_000)
    const later = await d.runOnce()
    expect(later.heals).toHaveLength(4)
    expect(later.healStorms.map((s) => s.escalated)).toEqual([true])
    expect(
      ctx
        .store()
        .repo(FleetEvents)
        .list()
        .filter((e) => e.type === 'HEAL_STORM'),
    ).toHaveLength(2)
  })

  it('holds a heal back from a real-time check too, and asks once the cycle sees every held one', async () => {
    const ctx = context()
    const pairs = Array.from({ length: 10 }, () => addPair(ctx, { provider: 'hostinger', region: 'nl-ams' }))
    // The region's budget (3 of 10 users) is spent by a restart.
    await engine.mutate(ctx.as('guardian'), restartKind, { ids: pairs.slice(0, 3).map((p) => p.primary.id) })
    const d = daemon(ctx, 3600_000)
    await d.start()
    for (let i = 0; i < 500 && d.health().cycles === 0; i++) await new Promise((r) => setTimeout(r, 10))
    const [a, b] = [pairs[5]!, pairs[6]!]
    nodes.set(a.primary.id, { openclaw: 'down', restartFixes: true })
    nodes.set(b.primary.id, { openclaw: 'down', restartFixes: true })
    await d.checkInstance(a.primary.id, 'webhook')
    expect(nodes.commandsFor(a.primary.id)).not.toContain('openclaw.restart')
    const storms = () =>
      ctx
        .store()
        .repo(FleetEvents)
        .list()
        .filter((e) => e.type === 'HEAL_STORM')
    expect(storms()).toEqual([])
    const r = await d.runCycle({ awaitHeals: true })
    expect(r.heals).toEqual([])
    expect(storms()).toHaveLength(1)
    const selector = (storms()[0]!.payload as { data: { selector: string } }).data.selector
    expect(selector).toBe(`pair in (${[a.pairId, b.pairId].sort().join(',')}),state!=ACTIVE`)
  })

  it('keeps bulk restarts to the budget too: past it, even one user waits for a confirmation', async () => {
    const ctx = context()
    const pairs = Array.from({ length: 10 }, () => addPair(ctx, { provider: 'contabo', region: 'eu' }))
    const g = ctx.as('guardian')
    const three = await engine.mutate(g, restartKind, { ids: pairs.slice(0, 3).map((p) => p.primary.id) })
    expect(three.status).toBe('done')
    // 3 users is the budget of a 10-user region (20 % is 2; at least 3).
    const one = await refusal(engine.mutate(g, restartKind, { ids: [pairs[5]!.primary.id] }))
    expect(one.code).toBe('CONFIRMATION_REQUIRED')
    expect(one.details).toMatchObject({ findings: [expect.objectContaining({ rule: 'restart-budget' })] })
    // Restarting the same users again spends nothing new.
    expect((await engine.mutate(g, restartKind, { ids: [pairs[0]!.primary.id] })).status).toBe('done')
    // More than 10 users is rule 5 whatever the budget.
    const many = Array.from({ length: 12 }, () => addPair(ctx, { provider: 'vultr', region: 'ewr' }))
    clock.advance(16 * 60_000)
    const bulk = await refusal(engine.mutate(g, restartKind, { selector: 'provider=vultr,region=ewr' }))
    expect(bulk.code).toBe('CONFIRMATION_REQUIRED')
    expect(many).toHaveLength(12)
  })

  it('judges the budget again when a resumed heal reaches its restart', async () => {
    const ctx = context()
    const pairs = Array.from({ length: 10 }, () => addPair(ctx, { provider: 'contabo', region: 'eu' }))
    const g = ctx.as('guardian')
    const sick = pairs[9]!.primary.id
    nodes.set(sick, { openclaw: 'down', restartFixes: true })
    // The heal starts while the gateway is down: it fails at its first step, nothing restarted.
    nodes.gatewayDown = true
    const first = await engine.mutate(g, healKind, { instance: sick, waitMs: 0 })
    if (first.status === 'dry-run') throw new Error('unexpected')
    expect(first.operation.state).toBe('failed')
    nodes.gatewayDown = false
    // Meanwhile three users' gateways restart: the region's budget (3 of 10 users) is spent.
    await engine.mutate(g, restartKind, { ids: pairs.slice(0, 3).map((p) => p.primary.id) })
    const resumed = await engine.run(g, first.operation.id, { retryFailed: true })
    const restart = resumed.steps.find((s) => s.name === 'restart')!
    expect(restart.state).toBe('failed')
    expect(restart.error).toMatchObject({ code: 'CONFIRMATION_REQUIRED' })
    expect(nodes.commandsFor(sick)).not.toContain('openclaw.restart')
  })

  it('never restarts more users in a scope and window than its budget without a confirmation', async () => {
    const regions = [
      { provider: 'hetzner', region: 'nbg1' },
      { provider: 'hetzner', region: 'fsn1' },
      { provider: 'vultr', region: 'ams' },
    ] as const
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom(0, 1, 2), { minLength: 3, maxLength: 24 }),
        fc.array(
          fc.oneof(
            fc.record({ kind: fc.constant('heal' as const), pick: fc.nat() }),
            fc.record({
              kind: fc.constant('restart' as const),
              picks: fc.array(fc.nat(), { minLength: 1, maxLength: 6 }),
            }),
            fc.record({ kind: fc.constant('bulk' as const), region: fc.constantFrom(0, 1, 2) }),
          ),
          { minLength: 1, maxLength: 12 },
        ),
        fc.constantFrom('guardian', 'commander', 'forge'),
        async (placement, actions, actor) => {
          home = tempHome()
          nodes = new FakeNodes()
          const ctx = context()
          const pairs = placement.map((r) => addPair(ctx, regions[r], { provider: 'contabo', region: 'eu' }))
          const all = pairs.flatMap((p) => [p.primary, p.standby])
          for (const i of all) nodes.set(i.id, { openclaw: 'down', restartFixes: true })
          const as = ctx.as(actor)
          for (const a of actions) {
            const run =
              a.kind === 'heal'
                ? engine.mutate(as, healKind, { instance: all[a.pick % all.length]!.id, waitMs: 0 })
                : a.kind === 'restart'
                  ? engine.mutate(as, restartKind, {
                      ids: [...new Set(a.picks.map((n) => all[n % all.length]!.id))],
                    })
                  : engine.mutate(as, restartKind, {
                      selector: `provider=${regions[a.region].provider},region=${regions[a.region].region}`,
                    })
            await run.catch((err: unknown) => {
              if (!(err instanceof UserError)) throw err
            })
            // Every step that ran was within the budget; anything past it waits for a plan id.
          }
          const b = watchSettings(config).restartBudget
          const budget = (users: number) =>
            Math.min(b.maxUsers, Math.max(b.minUsers, Math.floor(b.maxShare * users)))
          const usersIn = (f: (i: Instance) => boolean) => new Set(all.filter(f).map((i) => i.userId)).size
          const scopes: ((i: Instance) => boolean)[] = [
            ...regions.map((r) => (i: Instance) => i.provider === r.provider && i.region === r.region),
            (i: Instance) => i.provider === 'hetzner',
            (i: Instance) => i.provider === 'vultr',
            (i: Instance) => i.provider === 'contabo',
          ]
          for (const f of scopes) expect(restartedUsers(ctx, f, all)).toBeLessThanOrEqual(budget(usersIn(f)))
        },
      ),
      // Each run opens a fresh store: on PostgreSQL a schema's DDL (~1 s on a loaded machine), so fewer.
      { numRuns: onPostgres() ? 10 : 25 },
    )
  })
})
