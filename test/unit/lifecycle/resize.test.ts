/**
 * Resize against the lab cloud (real adapters over HTTP): everything it needs is checked at plan
 * time (credentials, the gateway token, a price, both members never on one provider), and a member
 * whose change fails is put back as it was, checked at the provider (the old server kept, roles
 * swapped back, the tier label unchanged), with an error that names provider, server and step; the
 * operation leaves no row RESIZING. A create never adopts a server that belongs to another instance.
 * (A resize that completes needs nodes joining the operator's gateway: test/integration/lab/lifecycle.test.ts.)
 */
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Context } from '../../../src/lib/context.js'
import { UserError } from '../../../src/lib/errors.js'
import resize from '../../../src/lib/lifecycle/resize.js'
import type { ProviderServer } from '../../../src/lib/providers/types.js'
import { adoptable } from '../../../src/lib/provisioning/member.js'
import { AuditTrail } from '../../../src/lib/store/audit-trail.js'
import { Instances } from '../../../src/lib/store/instances.js'
import { JoinSecrets } from '../../../src/lib/store/join-secrets.js'
import { Operations } from '../../../src/lib/store/operations.js'
import { engine } from '../../support/engine.js'
import { type LifecycleLab, lifecycleLab } from '../../support/lifecycle-lab.js'

let lab: LifecycleLab
beforeAll(async () => {
  lab = await lifecycleLab()
})
afterAll(() => lab?.stop())

// biome-ignore lint/suspicious/noExplicitAny: step errors are checked field by field
type Json = any

const row = (id: string) => lab.ctx().store().repo(Instances).get(id)!

async function refused(p: Promise<unknown>, code: string): Promise<UserError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(err, 'expected a refusal').toBeInstanceOf(UserError)
  expect((err as UserError).code, (err as UserError).message).toBe(code)
  return err as UserError
}

const operations = () => lab.ctx().store().repo(Operations).list({ limit: 1000 }).length

describe('resize checks everything at plan time', () => {
  it('never puts both members of a pair on one provider', async () => {
    const p = await lab.addPair({ provider: 'hetzner' }, { provider: 'vultr' })
    const before = operations()
    // Both members to one provider (the DigitalOcean case that adopted one server for two).
    const both = await refused(
      engine.mutate(lab.ctx(), resize, {
        selector: `pair=${p.pairId}`,
        tier: 'pro',
        provider: 'digitalocean',
      }),
      'POLICY_DENIED',
    )
    expect(both.message).toMatch(new RegExp(`both members of pair ${p.pairId} on digitalocean`))
    expect((both.details as Json).rules).toEqual(['pair-on-two-providers'])
    // One member to where its partner already is.
    await refused(
      engine.mutate(lab.ctx(), resize, { ids: [p.standby.id], tier: 'pro', provider: 'hetzner' }),
      'POLICY_DENIED',
    )
    expect(operations()).toBe(before)
    // One member to a third provider is a plan.
    const ok = await engine.mutate(
      lab.ctx(),
      resize,
      { ids: [p.standby.id], tier: 'pro', provider: 'digitalocean' },
      { dryRun: true },
    )
    expect(ok.status).toBe('dry-run')
    expect(row(p.standby.id)).toMatchObject({ provider: 'vultr', tier: 'standard', state: 'ACTIVE' })
  })

  it('a provider’s credentials or the gateway token missing: CONFIG_INVALID before any row changes', async () => {
    const p = await lab.addPair({ provider: 'hetzner' }, { provider: 'vultr' })
    const before = operations()
    const noCreds = new Context({
      home: lab.home,
      env: { OPENCLAW_GATEWAY_TOKEN: 'x' },
      config: {
        ...lab.ctx().config(),
        providers: { vultr: { credentialsFile: join(lab.home, 'missing-vultr.json') } },
      },
      trustEnv: false,
      services: { nodes: lab.nodes },
    })
    const err = await refused(
      engine.mutate(noCreds, resize, { ids: [p.standby.id], tier: 'pro' }),
      'CONFIG_INVALID',
    )
    expect(err.message).toMatch(/vultr/)
    await noCreds.dispose()
    const noToken = new Context({
      home: lab.home,
      env: {},
      services: { nodes: lab.nodes, provider: (x) => lab.adapters[x] },
    })
    await refused(engine.mutate(noToken, resize, { ids: [p.standby.id], tier: 'pro' }), 'CONFIG_INVALID')
    await noToken.dispose()
    expect(operations()).toBe(before)
    expect(row(p.primary.id)).toMatchObject({ role: 'primary', state: 'ACTIVE', tier: 'standard' })
    expect(row(p.standby.id)).toMatchObject({ role: 'standby', state: 'ACTIVE', tier: 'standard' })
  })
})

describe('a resize of an instance another operation deleted', () => {
  it('is refused naming the operation that deleted it, not called unchanged', async () => {
    const p = await lab.addPair({ provider: 'hetzner' }, { provider: 'vultr' })
    const store = lab.ctx().store()
    store.repo(AuditTrail).append({
      actor: 'test',
      identity: 'test',
      action: 'provider.delete',
      target: p.standby.id,
      opId: 'op-teardown-1',
      outcome: 'ok',
    })
    store.repo(Instances).update(p.standby.id, { state: 'DELETED' })
    const before = operations()
    const err = await refused(
      engine.mutate(lab.ctx(), resize, { ids: [p.standby.id], tier: 'pro', provider: 'digitalocean' }),
      'CONFLICT',
    )
    expect(err.message).toBe(`nothing to resize: ${p.standby.id} was deleted by operation op-teardown-1`)
    expect((err.details as Json).opId).toBe('op-teardown-1')
    expect(operations()).toBe(before)
  })
})

describe('a failed resize puts the pair back as it was', () => {
  it('in place: the provider refuses; roles swapped back, state and tier as before, the server on again, named in the error', async () => {
    const p = await lab.addPair({ provider: 'hetzner' }, { provider: 'vultr' })
    const fault = lab.fx.lab.addFault({
      provider: 'hetzner',
      match: 'change_type',
      errorRate: 1,
      errorStatus: 422,
    })
    try {
      const ctx = lab.ctx()
      const r = await engine.mutate(ctx, resize, { ids: [p.primary.id], tier: 'pro' }, { yes: true })
      if (r.status === 'dry-run') throw new Error('dry run')
      expect(r.operation.state).toBe('failed')
      const err = r.operation.steps[0]!.error as Json
      expect(err.message).toMatch(
        new RegExp(
          `resize of ${p.primary.id} \\(pair ${p.pairId}\\) failed at resize on hetzner server ${p.primary.providerId}`,
        ),
      )
      expect(err.details).toMatchObject({
        provider: 'hetzner',
        serverId: p.primary.providerId,
        step: 'resize',
      })
      // The primary was switched over to the standby first; it is back as it was.
      expect(row(p.primary.id)).toMatchObject({ role: 'primary', state: 'ACTIVE', tier: 'standard' })
      expect(row(p.standby.id)).toMatchObject({ role: 'standby', state: 'ACTIVE' })
      const srv = lab.fx.lab.servers('hetzner').find((s) => s.id === p.primary.providerId)!
      expect(srv.power).toBe('running')
      expect(await engine.unsettled(ctx, ctx.store().repo(Operations).get(r.operation.id)!)).toEqual([])
      const actions = ctx
        .store()
        .repo(AuditTrail)
        .query({ opId: r.operation.id, limit: 100 })
        .map((e) => e.action)
      expect(actions).toEqual(
        expect.arrayContaining(['resize.switchover', 'resize.in-place', 'provider.power-on']),
      )
    } finally {
      lab.fx.lab.removeFault(fault.id)
    }
  })
})

describe('a rollback the provider cut short leaves rows that tell the truth', () => {
  it('the server left off: the member DEGRADED, its partner primary, the operation settled; --retry-failed finishes it', async () => {
    const p = await lab.addPair({ provider: 'hetzner' }, { provider: 'vultr' })
    const faults = [
      lab.fx.lab.addFault({ provider: 'hetzner', match: 'change_type', errorRate: 1, errorStatus: 422 }),
      lab.fx.lab.addFault({ provider: 'hetzner', match: 'poweron', errorRate: 1, errorStatus: 500 }),
    ]
    const ctx = lab.ctx()
    const r = await engine.mutate(ctx, resize, { ids: [p.primary.id], tier: 'pro' }, { yes: true })
    if (r.status === 'dry-run') throw new Error('dry run')
    expect(r.operation.state).toBe('failed')
    expect((r.operation.steps[0]!.error as Json).message).toMatch(/not powered on again/)
    // What is true: the server is off, the standby serves as primary; no row in a transitional state.
    expect(row(p.primary.id)).toMatchObject({ role: 'standby', state: 'DEGRADED', tier: 'standard' })
    expect(row(p.standby.id)).toMatchObject({ role: 'primary', state: 'ACTIVE' })
    const op = () => ctx.store().repo(Operations).get(r.operation.id)!
    expect(await engine.unsettled(ctx, op())).toEqual([])
    for (const f of faults) lab.fx.lab.removeFault(f.id)
    const again = await engine.resume(lab.ctx(), { retryFailed: true })
    expect(again.operations.map((o) => o.id)).toContain(r.operation.id)
    expect(op().state).toBe('done')
    expect(row(p.primary.id)).toMatchObject({ role: 'standby', state: 'ACTIVE', tier: 'pro' })
    expect(row(p.standby.id)).toMatchObject({ role: 'primary', state: 'ACTIVE' })
    const srv = lab.fx.lab.servers('hetzner').find((x) => x.id === p.primary.providerId)!
    expect(srv.power).toBe('running')
  })
})

/** The pair's rows as they stand: every column that a resize could change. */
const pairRows = (pairId: string) =>
  lab
    .ctx()
    .store()
    .repo(Instances)
    .list({ pairId, includeDeleted: true })
    .map((i) => ({ ...i }))
    .sort((a, b) => a.id.localeCompare(b.id))

const deletesAudited = (opId: string) => {
  const audit = lab.ctx().store().repo(AuditTrail).query({ opId, limit: 1000 })
  return lab.requests
    .filter((q) => q.method === 'DELETE')
    .map((q) => ({
      path: q.path,
      audited: audit.some(
        (e) =>
          e.action === 'provider.delete' &&
          e.seq <= q.auditBefore &&
          q.path.includes(String((e.details as Json).serverId)),
      ),
    }))
}

describe('by replacement, no row changes until the provider confirms', () => {
  it('a provider that fails the create: no row changed at all, the error names provider, step and that no server exists', async () => {
    const p = await lab.addPair({ provider: 'hetzner' }, { provider: 'vultr' })
    const before = pairRows(p.pairId)
    const fault = lab.fx.lab.addFault({
      provider: 'digitalocean',
      match: '^POST /droplets$',
      errorRate: 1,
      errorStatus: 422,
    })
    try {
      const ctx = lab.ctx()
      const seen = lab.requests.length
      // The primary: under the old order it was switched over before the create.
      const r = await engine.mutate(
        ctx,
        resize,
        { ids: [p.primary.id], tier: 'pro', provider: 'digitalocean' },
        { yes: true },
      )
      if (r.status === 'dry-run') throw new Error('dry run')
      expect(r.operation.state).toBe('failed')
      expect(
        lab.requests.slice(seen).filter((q) => q.provider === 'digitalocean' && q.method === 'POST'),
      ).not.toEqual([])
      const err = r.operation.steps[0]!.error as Json
      expect(err.message).toMatch(
        new RegExp(
          `resize of ${p.primary.id} \\(pair ${p.pairId}\\) failed at create on digitalocean \\(no server yet\\)`,
        ),
      )
      expect(err.details).toMatchObject({ provider: 'digitalocean', serverId: null, step: 'create' })
      expect(pairRows(p.pairId)).toEqual(before)
      expect(lab.fx.lab.servers('digitalocean').filter((s) => s.power !== 'deleting')).toEqual([])
      expect(await engine.unsettled(ctx, ctx.store().repo(Operations).get(r.operation.id)!)).toEqual([])
    } finally {
      lab.fx.lab.removeFault(fault.id)
    }
  })

  it('a failure after the create: the pair back as it was, the replacement deleted (audited first), named in the error', async () => {
    const p = await lab.addPair({ provider: 'hetzner' }, { provider: 'vultr' })
    const before = pairRows(p.pairId)
    // The old node cannot hand over the user's state: the step fails after the replacement served.
    lab.nodes.setDown(p.primary.id)
    try {
      const ctx = lab.ctx()
      const r = await engine.mutate(
        ctx,
        resize,
        { ids: [p.primary.id], tier: 'pro', provider: 'digitalocean' },
        { yes: true },
      )
      if (r.status === 'dry-run') throw new Error('dry run')
      expect(r.operation.state).toBe('failed')
      const err = r.operation.steps[0]!.error as Json
      const rows = pairRows(p.pairId)
      const replacement = rows.find((i) => !before.some((b) => b.id === i.id))!
      expect(replacement).toMatchObject({ provider: 'digitalocean', state: 'DELETED' })
      expect(err.message).toMatch(
        new RegExp(
          `failed at state copy on digitalocean server ${replacement.providerId}: .*replacement ${replacement.id} \\(digitalocean server ${replacement.providerId}\\) deleted`,
        ),
      )
      expect(err.details).toMatchObject({
        provider: 'digitalocean',
        serverId: replacement.providerId,
        step: 'state copy',
      })
      // The old members exactly as they were: no role switched, no state or tier touched.
      expect(rows.filter((i) => i.id !== replacement.id)).toEqual(before)
      const srv = lab.fx.lab.servers('digitalocean').find((s) => s.id === replacement.providerId)
      expect(srv === undefined || srv.power === 'deleting').toBe(true)
      const deletes = deletesAudited(r.operation.id).filter((d) => d.path.includes(replacement.providerId!))
      expect(deletes).toEqual([{ path: `/droplets/${replacement.providerId}`, audited: true }])
      expect(await engine.unsettled(ctx, ctx.store().repo(Operations).get(r.operation.id)!)).toEqual([])

      // Retried (`ops resume --retry-failed`): a new replacement, never the rolled-back one's deleted
      // server (which a retry used to wait for, meeting a real 404 "disappeared while waiting for running").
      lab.nodes.setDown(p.primary.id, false)
      const seen = lab.requests.length
      await engine.resume(lab.ctx(), { retryFailed: true })
      const op = ctx.store().repo(Operations).get(r.operation.id)!
      expect(op.state, JSON.stringify(ctx.store().repo(Operations).steps(op.id)[0]!.error)).toBe('done')
      expect(
        lab.requests
          .slice(seen)
          .filter((q) => q.path === `/droplets/${replacement.providerId}` && q.method === 'GET'),
      ).toEqual([])
      const after = pairRows(p.pairId)
      const second = after.find((i) => i.provider === 'digitalocean' && i.state !== 'DELETED')!
      expect(second.id).not.toBe(replacement.id)
      expect(second).toMatchObject({ role: 'primary', state: 'ACTIVE', tier: 'pro' })
      expect(row(replacement.id)).toMatchObject({ state: 'DELETED' })
      expect(row(p.primary.id)).toMatchObject({ state: 'DELETED' })
    } finally {
      lab.nodes.setDown(p.primary.id, false)
    }
  })

  it('a primary replaced: the replacement takes the primary role only once it serves with the user’s state, then the old server goes', async () => {
    const p = await lab.addPair({ provider: 'hetzner' }, { provider: 'vultr' })
    const ctx = lab.ctx()
    const r = await engine.mutate(
      ctx,
      resize,
      { ids: [p.primary.id], tier: 'pro', provider: 'digitalocean' },
      { yes: true },
    )
    if (r.status === 'dry-run') throw new Error('dry run')
    expect(r.operation.state, JSON.stringify(r.operation.steps[0]!.error)).toBe('done')
    const rows = pairRows(p.pairId)
    const replacement = rows.find((i) => i.provider === 'digitalocean')!
    expect(replacement).toMatchObject({ role: 'primary', state: 'ACTIVE', tier: 'pro' })
    expect(row(p.primary.id)).toMatchObject({ state: 'DELETED', role: 'standby' })
    expect(row(p.standby.id)).toMatchObject({ role: 'standby', state: 'ACTIVE' })
    const actions = ctx
      .store()
      .repo(AuditTrail)
      .query({ opId: r.operation.id, limit: 100 })
      .sort((a, b) => a.seq - b.seq)
      .map((e) => e.action)
    // Create, then the hand-over, then the old server's delete: never the other way round.
    const at = (a: string) => actions.indexOf(a)
    expect(at('provision.create')).toBeGreaterThanOrEqual(0)
    expect(at('provision.create')).toBeLessThan(at('resize.switchover'))
    expect(at('resize.switchover')).toBeLessThan(at('provider.delete'))
    // The user's state moved to the replacement's node.
    expect(lab.nodes.commandsFor(replacement.id)).toContain('openclaw.restore')
    expect(deletesAudited(r.operation.id).filter((d) => d.path.includes(p.primary.providerId!))).toEqual([
      { path: `/servers/${p.primary.providerId}`, audited: true },
    ])
  })
})

describe('resize with gateway shards', () => {
  it('a replacement, whose row waits for the provider, joins the shard its join secret names: not its partner’s', async () => {
    const p = await lab.addPair({ provider: 'hetzner' }, { provider: 'vultr' })
    const gw2 = [{ name: 'gw-2', url: 'ws://127.0.0.1:9', tokenFile: join(lab.home, 'gateway.token') }]
    const ctx = lab.ctx('operator', gw2)
    const r = await engine.mutate(
      ctx,
      resize,
      { ids: [p.standby.id], tier: 'pro', provider: 'digitalocean' },
      { yes: true },
    )
    if (r.status === 'dry-run') throw new Error('dry run')
    expect(r.operation.state, JSON.stringify(r.operation.steps[0]!.error)).toBe('done')
    const replacement = pairRows(p.pairId).find((i) => i.provider === 'digitalocean')!
    // The partner is on the operator's gateway (a row from before shards): the replacement is not.
    expect(ctx.shardOf(row(p.primary.id))).toBe('main')
    expect(replacement).toMatchObject({ role: 'standby', state: 'ACTIVE', gateway: 'gw-2' })
    expect(ctx.store().repo(JoinSecrets).lookup(replacement.id)?.gateway).toBe('gw-2')
  })
})

describe('a create never adopts a server that belongs to another instance', () => {
  it('skips a server labelled for another instance, or held by another row, though its name matches', () => {
    const ctx = lab.ctx()
    const base: ProviderServer = {
      provider: 'digitalocean',
      id: '399999001',
      name: 'claw-p-1-standby',
      status: 'running',
      providerStatus: 'active',
      region: 'fra1',
      plan: 's-2vcpu-4gb',
      ipv4: null,
      ipv6: null,
      labels: {},
      createdAt: null,
      endsAt: null,
    }
    const other = { ...base, labels: { 'clawops/instance': 'i-other' } }
    expect(adoptable(ctx, 'i-mine', [other], base.name)).toBeUndefined()
    const mine = { ...base, id: '399999002', labels: { 'clawops/instance': 'i-mine' } }
    expect(adoptable(ctx, 'i-mine', [other, mine], base.name)?.id).toBe('399999002')
    // No label to tell (a provider without labels): a server another row holds is not adopted.
    return lab.addPair({ provider: 'digitalocean' }, { provider: 'hetzner' }).then((p) => {
      const held = { ...base, id: p.primary.providerId! }
      expect(adoptable(ctx, 'i-mine', [held], base.name)).toBeUndefined()
      expect(adoptable(ctx, p.primary.id, [held], base.name)?.id).toBe(p.primary.providerId)
    })
  })
})
