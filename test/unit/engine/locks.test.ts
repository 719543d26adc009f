/**
 * One operation per pair at a time: a second operation on a pair waits for a running one, is refused
 * at once (naming it) when the first is stopped unfinished, and proceeds when it has ended; an
 * operation a step starts shares its parent's pair.
 */
import { beforeEach, describe, expect, it } from 'vitest'
import { DEFAULT_CONFIG } from '../../../src/lib/config/defaults.js'
import type { Config } from '../../../src/lib/config/schema.js'
import type { Context } from '../../../src/lib/context.js'
import { Engine } from '../../../src/lib/engine/engine.js'
import type { OperationKind, PlanDraft } from '../../../src/lib/engine/kind.js'
import { pairsInOperation } from '../../../src/lib/engine/locks.js'
import { UserError } from '../../../src/lib/errors.js'
import { sweepTargets } from '../../../src/lib/health/sweep.js'
import { productionKinds } from '../../../src/lib/kinds.js'
import { seedFleet } from '../../../src/lib/lab/seed.js'
import { Instances } from '../../../src/lib/store/instances.js'
import { OpLocks } from '../../../src/lib/store/op-locks.js'
import { Operations } from '../../../src/lib/store/operations.js'
import { tempHome, testContext } from '../../support/context.js'

interface P {
  pair: string
  tag: string
  nested?: boolean
}

const gates = new Map<string, () => void>()
const started: string[] = []

const holdPlan = (p: P): PlanDraft => ({
  summary: `hold ${p.pair}`,
  targets: [p.pair],
  affectedUsers: 1,
  costDeltaMonthlyUsdCents: 0,
  steps: [{ name: 'hold', target: p.pair, input: {} }],
  locks: [`pair:${p.pair}`],
  facts: {},
})

/** A kind that holds its pair and waits for the test to let its one step finish. */
const holdKind: OperationKind<P> = {
  kind: 'test.hold',
  action: 'instance.restart',
  parseParams: (raw) => raw as P,
  plan: (_ctx, p) => holdPlan(p),
  async runStep(run, p) {
    started.push(p.tag)
    if (p.nested) {
      const r = await run.engine.mutate(run.ctx, holdKind, { pair: p.pair, tag: `${p.tag}/child` })
      return { child: r.status }
    }
    if (p.tag.endsWith('/child')) return { ok: true }
    await new Promise<void>((release) => gates.set(p.tag, release))
    return { ok: true }
  },
}

/** A kind whose plan reads the pair (its members' labels) and whose step changes it. */
const relabelKind: OperationKind<P> = {
  ...holdKind,
  kind: 'test.relabel',
  plan: (ctx, p) => {
    const members = ctx.store().repo(Instances).list({ pairId: p.pair })
    if (members.length === 0) throw new UserError('NOT_FOUND', `no live member in ${p.pair}`)
    return {
      ...holdPlan(p),
      summary: `relabel ${p.pair}`,
      facts: { labels: members.map((m) => [m.id, m.labels.tag ?? null]) },
    }
  },
  async runStep(run, p) {
    started.push(p.tag)
    await new Promise<void>((release) => gates.set(p.tag, release))
    const instances = run.ctx.store().repo(Instances)
    for (const m of instances.list({ pairId: p.pair }))
      instances.update(m.id, { labels: { ...m.labels, tag: p.tag } })
    return { ok: true }
  },
}

const engine = new Engine(productionKinds().add(holdKind.kind, holdKind).add(relabelKind.kind, relabelKind))
let home: string
const config: Config = {
  ...structuredClone(DEFAULT_CONFIG),
  policy: { ...DEFAULT_CONFIG.policy, lockWaitSeconds: 1 },
}
const ctx = (): Context => testContext({ home, config })

async function codeOf(p: Promise<unknown>): Promise<UserError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  )
  expect(e).toBeInstanceOf(UserError)
  return e as UserError
}

async function until(f: () => boolean) {
  for (let i = 0; i < 200 && !f(); i++) await new Promise((r) => setTimeout(r, 10))
  expect(f()).toBe(true)
}

let pair: string
beforeEach(() => {
  home = tempHome()
  started.length = 0
  gates.clear()
  const c = ctx()
  seedFleet(c, { pairs: 2, seed: 5 })
  pair = c.store().repo(Instances).list()[0]!.pairId
})

describe('one operation per pair', () => {
  it('makes a second operation on a running pair wait, then refuses it naming the first', async () => {
    const first = engine.mutate(ctx(), holdKind, { pair, tag: 'a' })
    await until(() => started.includes('a'))
    const t0 = Date.now()
    const err = await codeOf(engine.mutate(ctx(), holdKind, { pair, tag: 'b' }))
    expect(err.code).toBe('CONFLICT')
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900)
    expect(err.message).toMatch(/pair .* is held by test\.hold operation op-/)
    expect(started).toEqual(['a'])
    // Nothing of the refused one reached the journal.
    expect(ctx().store().repo(Operations).list({ kind: 'test.hold' })).toHaveLength(1)
    gates.get('a')!()
    expect((await first).status).toBe('done')
    expect(
      ctx()
        .store()
        .repo(OpLocks)
        .holders([`pair:${pair}`], 'none'),
    ).toEqual([])
  })

  it('lets the second one go as soon as the first ends', async () => {
    const first = engine.mutate(ctx(), holdKind, { pair, tag: 'a' })
    await until(() => started.includes('a'))
    const slow: Config = { ...config, policy: { ...config.policy, lockWaitSeconds: 10 } }
    const second = engine.mutate(testContext({ home, config: slow }), holdKind, { pair, tag: 'b' })
    await new Promise((r) => setTimeout(r, 300))
    expect(started).toEqual(['a'])
    gates.get('a')!()
    await first
    await until(() => started.includes('b'))
    gates.get('b')!()
    expect((await second).status).toBe('done')
  })

  it('refuses the waiting one, naming the first, when the first changed what it had planned for', async () => {
    const first = engine.mutate(ctx(), relabelKind, { pair, tag: 'a' })
    await until(() => started.includes('a'))
    const slow: Config = { ...config, policy: { ...config.policy, lockWaitSeconds: 10 } }
    const second = codeOf(engine.mutate(testContext({ home, config: slow }), relabelKind, { pair, tag: 'b' }))
    await new Promise((r) => setTimeout(r, 300))
    gates.get('a')!()
    expect((await first).status).toBe('done')
    const err = await second
    expect(err.code).toBe('CONFLICT')
    const firstOp = ctx().store().repo(Operations).list({ kind: 'test.relabel' })[0]!
    expect(err.message).toContain(`test.relabel operation ${firstOp.id}`)
    expect(err.details).toMatchObject({ opId: firstOp.id, lock: `pair:${pair}` })
    // The second never started and never reached the journal.
    expect(started).toEqual(['a'])
    expect(ctx().store().repo(Operations).list({ kind: 'test.relabel' })).toHaveLength(1)
  })

  it('refuses the waiting one when the first removed what it was planned for', async () => {
    const instances = ctx().store().repo(Instances)
    const ids = instances.list({ pairId: pair }).map((m) => m.id)
    const first = engine.mutate(ctx(), holdKind, { pair, tag: 'a' })
    await until(() => started.includes('a'))
    const slow: Config = { ...config, policy: { ...config.policy, lockWaitSeconds: 10 } }
    const second = codeOf(engine.mutate(testContext({ home, config: slow }), relabelKind, { pair, tag: 'b' }))
    await new Promise((r) => setTimeout(r, 300))
    // What a teardown does to the pair while the other waits.
    for (const id of ids) instances.update(id, { state: 'DELETED' })
    gates.get('a')!()
    await first
    const err = await second
    expect(err.code).toBe('CONFLICT')
    expect(err.message).toContain('no live member')
    expect(started).toEqual(['a'])
  })

  it('refuses at once while a stopped operation holds the pair, until it is resumed', async () => {
    const c = ctx()
    const first = engine.mutate(c, holdKind, { pair, tag: 'a' })
    await until(() => started.includes('a'))
    const op = c.store().repo(Operations).list({ kind: 'test.hold' })[0]!
    // What a SIGKILL leaves: the operation running in the journal, its process gone.
    c.store()
      .db.prepare(
        "UPDATE operations SET lease_owner = 'elsewhere:1:x', lease_until = '2000-01-01T00:00:00.000Z' WHERE id = ?",
      )
      .run(op.id)
    const t0 = Date.now()
    const err = await codeOf(engine.mutate(ctx(), holdKind, { pair, tag: 'b' }))
    expect(Date.now() - t0).toBeLessThan(900)
    expect(err.code).toBe('CONFLICT')
    expect(err.hint).toContain(`clawops ops resume ${op.id}`)
    gates.get('a')!()
    await first.catch(() => undefined)
  })

  it('does not hold back an operation on another pair', async () => {
    const other = ctx()
      .store()
      .repo(Instances)
      .list()
      .find((i) => i.pairId !== pair)!.pairId
    const first = engine.mutate(ctx(), holdKind, { pair, tag: 'a' })
    await until(() => started.includes('a'))
    const second = engine.mutate(ctx(), holdKind, { pair: other, tag: 'b' })
    await until(() => started.includes('b'))
    gates.get('a')!()
    gates.get('b')!()
    expect((await first).status).toBe('done')
    expect((await second).status).toBe('done')
  })

  it("shares the parent's pair with an operation one of its steps starts", async () => {
    const r = await engine.mutate(ctx(), holdKind, { pair, tag: 'p', nested: true })
    if (r.status === 'dry-run') throw new Error('unexpected')
    expect(r.status).toBe('done')
    expect(r.operation.steps[0]!.result).toEqual({ child: 'done' })
    expect(started).toEqual(['p', 'p/child'])
  })
})

describe('watch leaves a pair to the operation acting on it', () => {
  it('the sweep skips a pair a running operation holds, and watches it again once that operation is stopped', async () => {
    const c = ctx()
    const members = c
      .store()
      .repo(Instances)
      .list({ pairId: pair })
      .map((m) => m.id)
    const swept = () => new Set(sweepTargets(ctx(), {}).map((t) => t.id))
    expect(members.every((id) => swept().has(id))).toBe(true)
    const first = engine.mutate(c, holdKind, { pair, tag: 'a' })
    await until(() => started.includes('a'))
    // Running, its lease renewed: the pair is the operation's (an in-place resize has its server off).
    expect(pairsInOperation(ctx())).toEqual(new Set([pair]))
    expect(members.some((id) => swept().has(id))).toBe(false)
    expect(swept().size).toBeGreaterThan(0)
    // Killed (its lease run out): watched again, so a real outage of a pair waiting for `ops resume` shows.
    const op = c.store().repo(Operations).list({ kind: 'test.hold' })[0]!
    c.store()
      .db.prepare(
        "UPDATE operations SET lease_owner = 'elsewhere:1:x', lease_until = '2000-01-01T00:00:00.000Z' WHERE id = ?",
      )
      .run(op.id)
    expect(pairsInOperation(ctx()).size).toBe(0)
    expect(members.every((id) => swept().has(id))).toBe(true)
    gates.get('a')!()
    await first.catch(() => undefined)
  })
})
