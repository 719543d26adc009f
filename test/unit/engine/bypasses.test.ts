/**
 * Known ways around the gate, each as a regression test through the real Engine:
 * a failed teardown retried by a role that could not have started it, or after the fleet changed;
 * node approval audited before the gateway is asked; config push pause and resume judged by the
 * engine like any run. (The CLI side of these, the watch lease and the agent's environment are in
 * test/cli/bypasses.test.ts; the one through a real gateway in test/integration/agents/adversarial.test.ts.)
 */
import { beforeEach, describe, expect, it } from 'vitest'
import { pauseRollout, resumeRollout } from '../../../src/lib/config-push/control.js'
import { pushConfig } from '../../../src/lib/config-push/push.js'
import type { Context } from '../../../src/lib/context.js'
import { Engine } from '../../../src/lib/engine/engine.js'
import { viewOperation } from '../../../src/lib/engine/execute.js'
import { UserError } from '../../../src/lib/errors.js'
import { reviewPendingJoins } from '../../../src/lib/gateway/join-approver.js'
import { joinProof, nodeDisplayName } from '../../../src/lib/gateway/join-proof.js'
import { productionKinds } from '../../../src/lib/kinds.js'
import teardownKind from '../../../src/lib/lifecycle/teardown.js'
import { AuditTrail } from '../../../src/lib/store/audit-trail.js'
import { Instances } from '../../../src/lib/store/instances.js'
import { auditedJoinRegistry, JoinSecrets } from '../../../src/lib/store/join-secrets.js'
import { Operations } from '../../../src/lib/store/operations.js'
import { tempDir } from '../../support/clawnode-fixtures.js'
import { FakeConfigFleet, seedPairs } from '../../support/config-push-fleet.js'
import { manualClock, tempHome, testContext } from '../../support/context.js'
import { DeletingProvider } from '../../support/deleting-provider.js'
import { RecordingWorld } from '../../support/recording-world.js'
import { addPair, FakeNodes } from '../../support/watch-fakes.js'

const engine = new Engine(productionKinds())

let home: string
let clock: ReturnType<typeof manualClock>
let cloud: DeletingProvider
/** The nested failover of a lone primary's teardown asks the standby's node whether it serves. */
let nodes: FakeNodes
const GATEWAY = { OPENCLAW_GATEWAY_TOKEN: 'gateway-token-for-the-test' }
const as = (actor: string): Context =>
  testContext({
    home,
    actor,
    clock,
    env: GATEWAY,
    services: { provider: () => cloud.adapter(), nodes, sleep: async () => {} },
  })

async function refusal(p: Promise<unknown>): Promise<UserError> {
  const err = await p.then(
    (v) => {
      throw new Error(`expected a refusal, got ${JSON.stringify(v).slice(0, 300)}`)
    },
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(UserError)
  return err as UserError
}

/** An ACTIVE pair with servers behind it. */
function pair(ctx: Context) {
  const p = addPair(ctx)
  const instances = ctx.store().repo(Instances)
  const primary = instances.update(p.primary.id, { providerId: `srv-${p.primary.id}` })
  const standby = instances.update(p.standby.id, { providerId: `srv-${p.standby.id}` })
  return { ...p, primary, standby }
}

/** A teardown of the primary alone (failed over first), confirmed by `confirmer`, whose provider delete failed. */
async function failedTeardown(confirmer: 'operator' | 'commander') {
  const p = pair(as('operator'))
  const deleted = cloud.deletes.length
  const params = { ids: [p.primary.id] }
  const planned = await refusal(engine.mutate(as('forge'), teardownKind, params))
  expect(planned.code).toBe('CONFIRMATION_REQUIRED')
  const planId = (planned.details as { planId: string }).planId
  cloud.failNext = 1
  const r = await engine.mutate(as(confirmer), teardownKind, params, { confirm: planId })
  if (r.status === 'dry-run') throw new Error('dry run')
  expect(r.operation.state).toBe('failed')
  expect(cloud.deletes.length).toBe(deleted)
  // The provider was asked (its delete may have happened): the row stays ARCHIVING until a retry knows.
  expect(as('operator').store().repo(Instances).get(p.primary.id)!.state).toBe('ARCHIVING')
  return { ...p, opId: r.operation.id, planId }
}

function lastEntry(actor: string) {
  return as('operator').store().repo(AuditTrail).query({ actor, limit: 1 }).at(-1)
}

beforeEach(() => {
  home = tempHome()
  clock = manualClock()
  cloud = new DeletingProvider()
  nodes = new FakeNodes()
})

describe('ops resume --retry-failed of a failed teardown', () => {
  it('is refused to Guardian, audited, and deletes nothing', async () => {
    const t = await failedTeardown('commander')
    const err = await refusal(engine.resume(as('guardian'), { opId: t.opId, retryFailed: true }))
    expect(err.code).toBe('POLICY_DENIED')
    expect((err.details as { rules: string[] }).rules).toEqual(['role-permission'])
    expect(lastEntry('guardian')).toMatchObject({ action: 'teardown', outcome: 'denied', opId: t.opId })
    expect(cloud.deletes).toEqual([])
    expect(as('operator').store().repo(Operations).get(t.opId)!.state).toBe('failed')
  })

  it('needs a live confirmation for Forge, which Forge cannot give itself', async () => {
    // The operator's confirmation runs the plan; it stamps nothing a later role could lean on.
    const t = await failedTeardown('operator')
    const err = await refusal(engine.resume(as('forge'), { opId: t.opId, retryFailed: true }))
    expect(err.code).toBe('CONFIRMATION_REQUIRED')
    expect(lastEntry('forge')).toMatchObject({ outcome: 'confirmation-required', opId: t.opId })
    const own = await refusal(
      engine.resume(as('forge'), { opId: t.opId, retryFailed: true, confirm: t.planId }),
    )
    expect(own.code).toBe('POLICY_DENIED')
    expect((own.details as { rules: string[] }).rules).toEqual(['confirm-authority'])
    expect(cloud.deletes).toEqual([])
  })

  it('lets Forge retry within a live Commander confirmation, and not once it has lapsed', async () => {
    const live = await failedTeardown('commander')
    const r = await engine.resume(as('forge'), { opId: live.opId, retryFailed: true })
    expect(r.operations[0]!.state).toBe('done')
    expect(cloud.deletes).toEqual([live.primary.providerId])

    const t = await failedTeardown('commander')
    clock.advance(61 * 60_000)
    const late = await refusal(engine.resume(as('forge'), { opId: t.opId, retryFailed: true }))
    expect(late.code).toBe('CONFIRMATION_REQUIRED')
    expect(late.message).toMatch(/lapsed/)
    expect(cloud.deletes).toEqual([live.primary.providerId])
    // Commander confirms it again and runs it.
    await engine.resume(as('commander'), { opId: t.opId, retryFailed: true, confirm: t.planId })
    expect(cloud.deletes).toEqual([live.primary.providerId, t.primary.providerId])
    // Who planned (Forge), started and confirmed it (Commander), by role and by identity.
    const op = as('operator').store().repo(Operations).get(t.opId)!
    expect(viewOperation(as('operator'), op)).toMatchObject({
      actor: 'commander',
      identity: 'commander',
      plannedBy: { actor: 'forge', identity: 'forge' },
      confirmedBy: { actor: 'commander', identity: 'commander' },
    })
  })
})

describe('a teardown of a lone primary is judged by the fleet as it stands (rule 1 at step time)', () => {
  it('fails the primary over before its delete, so the pair is served when the server goes', async () => {
    const p = pair(as('operator'))
    const seen: string[] = []
    cloud.onDelete = () => {
      const members = as('operator').store().repo(Instances).list({ pairId: p.pairId })
      seen.push(members.map((m) => `${m.id}:${m.role}:${m.state}`).join(' '))
    }
    const r = await engine.mutate(as('operator'), teardownKind, { ids: [p.primary.id] }, { yes: true })
    if (r.status === 'dry-run') throw new Error('dry run')
    expect(r.operation.state).toBe('done')
    expect(cloud.deletes).toEqual([p.primary.providerId])
    expect(seen).toEqual([`${p.primary.id}:standby:ARCHIVING ${p.standby.id}:primary:ACTIVE`])
  })

  it('refuses a confirmation once the standby has failed: no failover, nothing deleted', async () => {
    const p = pair(as('operator'))
    const planned = await refusal(engine.mutate(as('forge'), teardownKind, { ids: [p.primary.id] }))
    const planId = (planned.details as { planId: string }).planId
    as('operator').store().repo(Instances).update(p.standby.id, { state: 'FAILED' })
    const err = await refusal(
      engine.mutate(as('commander'), teardownKind, { ids: [p.primary.id] }, { confirm: planId }),
    )
    expect(['PLAN_STALE', 'POLICY_DENIED']).toContain(err.code)
    expect(cloud.deletes).toEqual([])
    expect(nodes.calls).toEqual([])
    const primary = as('operator').store().repo(Instances).get(p.primary.id)!
    expect(primary).toMatchObject({ role: 'primary', state: 'ACTIVE' })
  })

  it('retries a failed delete of the failed-over primary whatever its promoted partner does since', async () => {
    const t = await failedTeardown('commander')
    const instances = as('operator').store().repo(Instances)
    expect(instances.get(t.primary.id)).toMatchObject({ role: 'standby', state: 'ARCHIVING' })
    expect(instances.get(t.standby.id)).toMatchObject({ role: 'primary', state: 'ACTIVE' })
    // What goes is a standby now: rule 1 is not at stake, and no second failover runs.
    instances.update(t.standby.id, { state: 'DEGRADED' })
    const promotions = nodes.calls.length
    const r = await engine.resume(as('commander'), { opId: t.opId, retryFailed: true })
    expect(r.operations[0]!.state).toBe('done')
    expect(cloud.deletes).toEqual([t.primary.providerId])
    expect(nodes.calls.length).toBe(promotions)
    expect(instances.get(t.standby.id)).toMatchObject({ role: 'primary', state: 'DEGRADED' })
  })
})

describe('node approve', () => {
  it('writes the approval to the audit trail before it asks the gateway to approve', async () => {
    const tmp = tempDir('node-approve-')
    const world = await RecordingWorld.start(tmp.dir)
    try {
      const ctx = world.context({ home: tempHome(), actor: 'operator' })
      const p = addPair(ctx)
      const secret = ctx.store().repo(JoinSecrets).issue(p.primary.id, 'join-secret-for-the-test-00001')
      const device = 'a'.repeat(64)
      world.gateway.answers.set('device.pair.list', () => ({
        pending: [
          {
            requestId: 'req-1',
            deviceId: device,
            role: 'node',
            roles: ['node'],
            scopes: [],
            clientId: 'node-host',
            clientMode: 'node',
            displayName: nodeDisplayName(p.primary.id, joinProof(secret, p.primary.id, device)),
          },
        ],
        paired: [],
      }))
      // The command's path: the gate, then one review with the audited registry.
      engine.permit(ctx, 'node.approve')
      const decisions = await reviewPendingJoins(
        world.gateway as never,
        auditedJoinRegistry(ctx.store(), ctx.who),
      )
      expect(decisions).toEqual([expect.objectContaining({ action: 'approved', instanceId: p.primary.id })])
      const approve = world.calls.find((c) => c.name === 'device.pair.approve')!
      const entry = ctx
        .store()
        .repo(AuditTrail)
        .query({ action: 'node.approve' })
        .find((e) => e.target === p.primary.id)!
      expect(entry).toMatchObject({ actor: 'operator', outcome: 'intent' })
      expect(entry.seq).toBeLessThanOrEqual(approve.head)
      await ctx.dispose()
    } finally {
      await world.stop()
      tmp.cleanup()
    }
  })

  it('is the operator’s alone: every agent is refused, audited', () => {
    for (const agent of ['commander', 'forge', 'guardian', 'ledger', 'triage', 'briefer']) {
      const ctx = as(agent)
      expect(() => engine.permit(ctx, 'node.approve')).toThrow(
        expect.objectContaining({ code: 'POLICY_DENIED' }),
      )
      expect(lastEntry(agent)).toMatchObject({ action: 'node.approve', outcome: 'denied' })
    }
  })
})

describe('config push pause and resume go through the engine’s gate', () => {
  it('judges pause by the role (rollout.pause) and resume like any run: role, rules and a live confirmation', async () => {
    const tmp = tempDir('pause-resume-')
    try {
      const fleet = new FakeConfigFleet(tmp.dir)
      const ctxAs = (actor: string) => testContext({ home, actor, clock, services: fleet.services() })
      seedPairs(ctxAs('operator'), fleet, 12)
      fleet.gatewayDown = true
      // 12 users: the operator's --yes confirms it; the batch halts without the gateway.
      const halted = await refusal(
        pushConfig(
          ctxAs('operator'),
          engine,
          { format: 'merge', document: { agents: { defaults: { thinking: 'low' } } }, pauseMs: 0 },
          { yes: true },
        ),
      )
      const rollout = (halted.details as { rollout: { rolloutId: string } }).rollout.rolloutId
      fleet.gatewayDown = false
      const calls = fleet.calls.length

      for (const agent of ['guardian', 'forge', 'triage']) {
        const paused = await refusal(pauseRollout(ctxAs(agent), engine, rollout))
        if (agent === 'guardian') {
          // Guardian may pause a rollout (it adds nothing); this one is halted already.
          expect(paused.code).toBe('CONFLICT')
        } else {
          expect(paused.code).toBe('POLICY_DENIED')
          expect(lastEntry(agent)).toMatchObject({ action: 'config.push.pause', outcome: 'denied' })
        }
        const resumed = await refusal(resumeRollout(ctxAs(agent), engine, rollout))
        expect(resumed.code).toBe('POLICY_DENIED')
      }
      // Commander may resume a push, but not on the operator's lapsed confirmation of 12 users.
      clock.advance(61 * 60_000)
      const lapsed = await refusal(resumeRollout(ctxAs('commander'), engine, rollout))
      expect(lapsed.code).toBe('CONFIRMATION_REQUIRED')
      expect(lastEntry('commander')).toMatchObject({
        action: 'config.push',
        outcome: 'confirmation-required',
      })
      expect(fleet.calls.length).toBe(calls)
      // Without a fresh confirmation not even the operator goes on; with one, it finishes.
      expect((await refusal(resumeRollout(ctxAs('operator'), engine, rollout))).code).toBe(
        'CONFIRMATION_REQUIRED',
      )
      const done = await resumeRollout(ctxAs('operator'), engine, rollout, { yes: true })
      expect(done.status).toBe('complete')
      expect(fleet.calls.length).toBeGreaterThan(calls)
    } finally {
      tmp.cleanup()
    }
  })
})
