/**
 * Teardown against the lab cloud (real adapters over HTTP) and gf-clawnode's real commands: the
 * user's state is kept (through a node, else a provider snapshot) or nothing goes; a server billed by
 * contract is wiped (through its node, else reinstalled) and powered off before it is cancelled; a
 * primary goes only after its standby was promoted; --no-archive waits for a human; credentials are
 * checked before anything changes; a failure leaves rows that tell the truth and a plain resume
 * finishes them. Every provider delete, reinstall and power-off follows its audit entry in the lab's
 * own request log.
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Context } from '../../../src/lib/context.js'
import type { Provider } from '../../../src/lib/domain/provider.js'
import { UserError } from '../../../src/lib/errors.js'
import teardown from '../../../src/lib/lifecycle/teardown.js'
import { Archives } from '../../../src/lib/store/archives.js'
import { AuditTrail } from '../../../src/lib/store/audit-trail.js'
import { Instances } from '../../../src/lib/store/instances.js'
import { Operations } from '../../../src/lib/store/operations.js'
import { engine } from '../../support/engine.js'
import { type LifecycleLab, lifecycleLab } from '../../support/lifecycle-lab.js'

let lab: LifecycleLab
beforeAll(async () => {
  lab = await lifecycleLab()
})
afterAll(() => lab?.stop())

// biome-ignore lint/suspicious/noExplicitAny: step results are checked field by field
type Json = any

const row = (id: string) => lab.ctx().store().repo(Instances).get(id)!
const server = (p: Provider, id: string | null) => lab.fx.lab.servers(p).find((s) => s.id === id)

async function refused(p: Promise<unknown>, code: string): Promise<UserError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(err, 'expected a refusal').toBeInstanceOf(UserError)
  expect((err as UserError).code, (err as UserError).message).toBe(code)
  return err as UserError
}

async function run(ids: string[], o: { actor?: string; archive?: boolean; yes?: boolean } = {}) {
  const ctx = lab.ctx(o.actor)
  const r = await engine.mutate(
    ctx,
    teardown,
    { ids, archive: o.archive ?? true },
    o.yes ? { yes: true } : {},
  )
  if (r.status === 'dry-run') throw new Error('unexpected dry run')
  return { ...r, warnings: ctx.warnings }
}

/**
 * Every provider call of this kind for this server came after its audit entry (`inPath`: what names
 * the server in the request's path; a Hostinger cancel names its subscription).
 */
function auditedFirst(opId: string, serverId: string, action: string, request: RegExp, inPath = serverId) {
  const entries = lab.ctx().store().repo(AuditTrail).query({ opId, action, limit: 500 })
  const entry = entries.find((e) => (e.details as { serverId?: string })?.serverId === serverId)
  expect(entry, `audit ${action} of ${serverId}`).toBeDefined()
  const calls = lab.requests.filter((r) => request.test(`${r.method} ${r.path}`) && r.path.includes(inPath))
  expect(calls.length, `${request} for ${serverId}`).toBeGreaterThan(0)
  for (const c of calls) expect(c.auditBefore).toBeGreaterThanOrEqual(entry!.seq)
}

describe('teardown keeps the user’s state or refuses', () => {
  it('a whole pair: archived through the primary’s node, both servers deleted, each delete audited first', async () => {
    const p = await lab.addPair({ provider: 'hetzner' }, { provider: 'vultr' })
    const r = await run([p.primary.id, p.standby.id])
    expect(r.plan.summary).toMatch(/archiving user state first \(1 through gf-clawnode\)/)
    expect(r.status).toBe('done')
    const res = r.operation.steps[0]!.result as Json
    expect(res.archive).toMatchObject({ via: 'file', instanceId: p.primary.id })
    expect(existsSync(res.archive.location)).toBe(true)
    const listed = lab.ctx().store().repo(Archives).list({ userId: p.userId })
    expect(listed).toEqual([expect.objectContaining({ via: 'file', opId: r.operation.id })])
    expect(row(p.primary.id).state).toBe('DELETED')
    expect(row(p.standby.id).state).toBe('DELETED')
    expect(server('hetzner', p.primary.providerId)).toBeUndefined()
    expect(server('vultr', p.standby.providerId)).toBeUndefined()
    auditedFirst(r.operation.id, p.primary.providerId!, 'provider.delete', /^DELETE /)
    auditedFirst(r.operation.id, p.standby.providerId!, 'provider.delete', /^DELETE /)
  })

  it('rows with no node: the provider’s snapshot of the primary, kept after its server, in the archive list', async () => {
    const p = await lab.addPair(
      { provider: 'digitalocean', node: false },
      { provider: 'hetzner', node: false },
    )
    const r = await run([p.primary.id, p.standby.id])
    expect(r.plan.summary).toMatch(/archiving user state first \(1 by provider snapshot\)/)
    expect(r.status).toBe('done')
    const res = r.operation.steps[0]!.result as Json
    expect(res.archive).toMatchObject({ via: 'provider-snapshot', instanceId: p.primary.id })
    const [arc] = lab.ctx().store().repo(Archives).list({ userId: p.userId })
    expect(arc).toMatchObject({
      via: 'provider-snapshot',
      provider: 'digitalocean',
      serverId: p.primary.providerId,
    })
    expect(arc!.location).toBe(`digitalocean snapshot ${arc!.snapshotId} of server ${p.primary.providerId}`)
    expect(server('digitalocean', p.primary.providerId)).toBeUndefined()
    expect(lab.fx.lab.snapshots('digitalocean').map((x) => x.id)).toContain(arc!.snapshotId)
    auditedFirst(r.operation.id, p.primary.providerId!, 'provider.snapshot', /^POST .*\/actions$/)
  })

  it('a node that does not answer: the next node; none answering: the provider snapshot', async () => {
    const a = await lab.addPair({ provider: 'hetzner' }, { provider: 'vultr' })
    lab.nodes.setDown(a.primary.id)
    const ra = await run([a.primary.id, a.standby.id])
    expect((ra.operation.steps[0]!.result as Json).archive).toMatchObject({
      via: 'file',
      instanceId: a.standby.id,
    })
    const b = await lab.addPair({ provider: 'vultr' }, { provider: 'hetzner' })
    lab.nodes.setDown(b.primary.id)
    lab.nodes.setDown(b.standby.id)
    const rb = await run([b.primary.id, b.standby.id])
    expect(rb.status).toBe('done')
    expect((rb.operation.steps[0]!.result as Json).archive).toMatchObject({
      via: 'provider-snapshot',
      instanceId: b.primary.id,
    })
  })

  it('refuses when the state can be kept nowhere, and changes nothing', async () => {
    const p = await lab.addPair({ provider: 'hetzner' }, { provider: 'vultr' })
    lab.nodes.setDown(p.primary.id)
    lab.nodes.setDown(p.standby.id)
    const fault = lab.fx.lab.addFault({
      provider: 'hetzner',
      match: 'create_image',
      errorRate: 1,
      errorStatus: 500,
    })
    const r = await run([p.primary.id, p.standby.id])
    lab.fx.lab.removeFault(fault.id)
    expect(r.status).toBe('failed')
    const err = r.operation.steps[0]!.error as Json
    expect(err.message).toMatch(new RegExp(`teardown of pair ${p.pairId}: archive: `))
    expect(row(p.primary.id).state).toBe('ACTIVE')
    expect(row(p.standby.id).state).toBe('ACTIVE')
    expect(server('hetzner', p.primary.providerId)).toBeDefined()
    expect(server('vultr', p.standby.providerId)).toBeDefined()
    // Nothing transitional is left, so a plain resume has nothing to do; --retry-failed tries again.
    expect(
      await engine.unsettled(lab.ctx(), lab.ctx().store().repo(Operations).get(r.operation.id)!),
    ).toEqual([])
  })
})

describe('providers that bill by contract (Contabo, Hostinger)', () => {
  it('stops and wipes the user’s gateway through the node, powers the server off, then cancels, each audited first', async () => {
    const p = await lab.addPair({ provider: 'contabo' }, { provider: 'hostinger' })
    const r = await run([p.primary.id, p.standby.id])
    expect(r.status).toBe('done')
    const deleted = (r.operation.steps[0]!.result as Json).deleted
    for (const m of [p.primary, p.standby]) {
      expect(deleted.find((d: Json) => d.instanceId === m.id)).toMatchObject({
        mode: 'end-of-term',
        wiped: 'node',
        poweredOff: true,
      })
      expect(lab.nodes.userFiles(m.id)).toEqual([])
      expect(await lab.nodes.live(m.id)).toBe(false)
      expect(server(m.provider, m.providerId)?.power).toBe('off')
      auditedFirst(r.operation.id, m.providerId!, 'provider.power-off', /\/(stop|actions\/stop)$/)
      const sub = server(m.provider, m.providerId)?.subscriptionId
      auditedFirst(
        r.operation.id,
        m.providerId!,
        'provider.delete',
        /cancel$|auto-renewal/,
        sub ?? m.providerId!,
      )
    }
    expect(server('contabo', p.primary.providerId)?.cancelDate).not.toBeNull()
    // The wipe is audited before the node is asked.
    const actions = lab
      .ctx()
      .store()
      .repo(AuditTrail)
      .query({ opId: r.operation.id, limit: 100 })
      .filter((e) => e.target === p.primary.id)
      .map((e) => e.action)
    expect(actions.indexOf('node.wipe')).toBeLessThan(actions.indexOf('provider.power-off'))
    expect(actions.indexOf('provider.power-off')).toBeLessThan(actions.indexOf('provider.delete'))
  })

  it('a node that does not answer: the server is reinstalled through the API (disk wiped), then powered off', async () => {
    const p = await lab.addPair({ provider: 'hetzner' }, { provider: 'contabo' })
    lab.nodes.setDown(p.standby.id)
    const r = await run([p.primary.id, p.standby.id])
    expect(r.status).toBe('done')
    const d = (r.operation.steps[0]!.result as Json).deleted.find((x: Json) => x.instanceId === p.standby.id)
    expect(d).toMatchObject({ wiped: 'reinstall', poweredOff: true })
    const s = server('contabo', p.standby.providerId)!
    expect(s.userData).toBeNull()
    expect(s.power).toBe('off')
    auditedFirst(r.operation.id, p.standby.providerId!, 'provider.reinstall', /^PUT /)
  })

  it('the provider snapshot on the server is the only copy: not reinstalled (it would delete it), said so', async () => {
    const p = await lab.addPair({ provider: 'hostinger', node: false }, { provider: 'contabo', node: false })
    const r = await run([p.primary.id, p.standby.id])
    expect(r.status).toBe('done')
    const res = r.operation.steps[0]!.result as Json
    expect(res.archive).toMatchObject({ via: 'provider-snapshot', instanceId: p.primary.id })
    const primary = res.deleted.find((x: Json) => x.instanceId === p.primary.id)
    expect(primary).toMatchObject({ wiped: false, poweredOff: true })
    expect(primary.wipeNote).toMatch(/only copy of the user's state/)
    expect(r.warnings.join('\n')).toMatch(/only copy/)
    expect(lab.fx.lab.snapshots('hostinger').some((x) => x.serverId === p.primary.providerId)).toBe(true)
    // The standby's state is not the archive: it is reinstalled.
    expect(res.deleted.find((x: Json) => x.instanceId === p.standby.id)).toMatchObject({ wiped: 'reinstall' })
    // Kept only as long as the provider keeps the snapshot (Hostinger: 20 days, before the term ends).
    const [arc] = lab.ctx().store().repo(Archives).list({ userId: p.userId })
    const snap = lab.fx.lab.snapshots('hostinger').find((x) => x.serverId === p.primary.providerId)!
    expect(arc!.expiresAt).toBe(snap.expiresAt)
    expect(Date.parse(arc!.expiresAt)).toBeLessThan(Date.parse(primary.effectiveAt))
  })
})

describe('a primary goes only after its standby is promoted', () => {
  it('fails over inside the teardown (nested, sharing the pair), then archives and deletes the old primary', async () => {
    const p = await lab.addPair({ provider: 'hetzner' }, { provider: 'vultr' })
    const r = await run([p.primary.id])
    expect(r.plan.summary).toMatch(/failing over 1 primary first/)
    expect(r.status).toBe('done')
    const res = r.operation.steps[0]!.result as Json
    expect(res.failover).toMatchObject({ promoted: p.standby.id })
    expect(row(p.standby.id)).toMatchObject({ role: 'primary', state: 'ACTIVE' })
    expect(row(p.primary.id).state).toBe('DELETED')
    expect(res.archive).toMatchObject({ instanceId: p.primary.id, via: 'file' })
    const nested = lab.ctx().store().repo(Operations).get(res.failover.opId)!
    expect(nested).toMatchObject({ kind: 'failover', state: 'done' })
  })

  it('a standby that cannot be promoted: the plan says the pair is left without a primary', async () => {
    const p = await lab.addPair(
      { provider: 'hetzner', state: 'FAILED' },
      { provider: 'vultr', state: 'DEGRADED' },
    )
    const ctx = lab.ctx()
    const r = await engine.mutate(ctx, teardown, { ids: [p.primary.id] }, { dryRun: true })
    expect(ctx.warnings.join('\n')).toMatch(
      new RegExp(
        `pair ${p.pairId} will have no ACTIVE primary after this teardown: its standby ${p.standby.id} is DEGRADED`,
      ),
    )
    expect((r.plan.steps[0]!.input as Json).noPrimaryAfter).toMatch(/DEGRADED/)
    // Rule 1 still refuses an ACTIVE primary whose standby is not ACTIVE.
    const q = await lab.addPair({ provider: 'hetzner' }, { provider: 'vultr', state: 'DEGRADED' })
    const err = await refused(run([q.primary.id]), 'POLICY_DENIED')
    expect((err.details as Json).rules).toContain('standby-active-before-teardown')
  })
})

describe('--no-archive', () => {
  it('waits for a human: the operator or Commander confirms, any other agent is refused', async () => {
    const p = await lab.addPair({ provider: 'hetzner' }, { provider: 'vultr' })
    const ids = [p.primary.id, p.standby.id]
    await refused(run(ids, { archive: false }), 'CONFIRMATION_REQUIRED')
    const forge = await refused(run(ids, { actor: 'forge', archive: false }), 'POLICY_DENIED')
    expect((forge.details as Json).rules).toContain('teardown-without-archive')
    const cmd = await refused(run(ids, { actor: 'commander', archive: false }), 'CONFIRMATION_REQUIRED')
    expect((cmd.details as Json).findings.map((f: Json) => f.rule)).toContain('teardown-without-archive')
    const r = await run(ids, { archive: false, yes: true })
    expect(r.status).toBe('done')
    expect((r.operation.steps[0]!.result as Json).archive).toEqual({ skipped: 'no-archive' })
    expect(r.warnings.join('\n')).toMatch(/no copy kept/)
    expect(lab.ctx().store().repo(Archives).list({ userId: p.userId })).toEqual([])
  })
})

describe('checks before anything changes, and rows that tell the truth', () => {
  it('a provider’s credentials missing: CONFIG_INVALID at plan time, nothing archived or changed', async () => {
    const p = await lab.addPair({ provider: 'hetzner' }, { provider: 'vultr' })
    const cfgHome = lab.home
    const ctx = new Context({
      home: cfgHome,
      env: { OPENCLAW_GATEWAY_TOKEN: 'x' },
      config: {
        ...lab.ctx().config(),
        providers: { hetzner: { credentialsFile: join(cfgHome, 'missing-hetzner.json') } },
      },
      trustEnv: false,
      services: { nodes: lab.nodes },
    })
    const before = ctx.store().repo(Operations).list({ limit: 1000 }).length
    const err = await refused(
      engine.mutate(ctx, teardown, { ids: [p.primary.id, p.standby.id] }),
      'CONFIG_INVALID',
    )
    expect(err.message).toMatch(/hetzner/)
    expect(ctx.store().repo(Operations).list({ limit: 1000 })).toHaveLength(before)
    expect(ctx.store().repo(Archives).list({ userId: p.userId })).toEqual([])
    expect(lab.nodes.commandsFor(p.primary.id)).not.toContain('openclaw.archive')
    expect(row(p.primary.id).state).toBe('ACTIVE')
    await ctx.dispose()
    // The gateway's token too, when nodes are to be reached.
    const noToken = new Context({
      home: cfgHome,
      env: {},
      services: { nodes: lab.nodes, provider: (x) => lab.adapters[x] },
    })
    await refused(engine.mutate(noToken, teardown, { ids: [p.primary.id, p.standby.id] }), 'CONFIG_INVALID')
    await noToken.dispose()
  })

  it('a delete that fails: the half torn-down member stays ARCHIVING, the other untouched; a plain resume finishes', async () => {
    const p = await lab.addPair({ provider: 'hetzner' }, { provider: 'vultr' })
    const fault = lab.fx.lab.addFault({ provider: 'vultr', match: '^DELETE', errorRate: 1, errorStatus: 500 })
    const r = await run([p.primary.id, p.standby.id])
    expect(r.status).toBe('failed')
    const err = r.operation.steps[0]!.error as Json
    expect(err.message).toMatch(
      new RegExp(
        `teardown of pair ${p.pairId}: delete of ${p.standby.id} \\(vultr server ${p.standby.providerId}\\)`,
      ),
    )
    expect(row(p.standby.id).state).toBe('ARCHIVING')
    expect(row(p.primary.id).state).toBe('ACTIVE')
    const op = lab.ctx().store().repo(Operations).get(r.operation.id)!
    expect(await engine.unsettled(lab.ctx(), op)).toEqual([p.standby.id])
    lab.fx.lab.removeFault(fault.id)
    const resumed = await engine.resume(lab.ctx(), {})
    const again = resumed.operations.find((o) => o.id === r.operation.id)!
    expect(again.state).toBe('done')
    expect(row(p.standby.id).state).toBe('DELETED')
    expect(row(p.primary.id).state).toBe('DELETED')
    // The archive was taken once, across both runs.
    expect(lab.ctx().store().repo(Archives).list({ userId: p.userId })).toHaveLength(1)
  })

  it('a server deleted at the provider before a failure: settled against the provider, the row says DELETED', async () => {
    const p = await lab.addPair({ provider: 'hetzner' }, { provider: 'vultr' })
    // The delete goes through; every read while waiting for it fails, then the provider answers again.
    lab.fx.lab.addFault({
      provider: 'vultr',
      match: '^GET /instances/',
      errorRate: 1,
      errorStatus: 500,
      count: 4,
    })
    const r = await run([p.primary.id, p.standby.id])
    expect(r.status).toBe('failed')
    // Gone, or (on a loaded machine) still finishing the delete the provider accepted.
    expect(server('vultr', p.standby.providerId)?.power ?? 'gone').toMatch(/^(gone|deleting)$/)
    expect(row(p.standby.id).state).toBe('DELETED')
    expect(row(p.primary.id).state).toBe('ACTIVE')
    // Nothing is half done, so a plain resume leaves it; the operator retries it explicitly.
    const op = lab.ctx().store().repo(Operations).get(r.operation.id)!
    expect(await engine.unsettled(lab.ctx(), op)).toEqual([])
    const again = await engine.resume(lab.ctx(), { opId: op.id, retryFailed: true })
    expect(again.operations[0]!.state).toBe('done')
    expect(row(p.primary.id).state).toBe('DELETED')
  })
})
