/** Provider routing: versioning through the pipeline, the audit trail, the rules, and policy for Ledger. */
import { beforeEach, describe, expect, it } from 'vitest'
import type { Context } from '../../../src/lib/context.js'
import { UserError } from '../../../src/lib/errors.js'
import { applyRoutingChange } from '../../../src/lib/ledger/routing.js'
import { setRouting } from '../../../src/lib/ledger/set-routing.js'
import { showRouting } from '../../../src/lib/ledger/show-routing.js'
import { AuditTrail } from '../../../src/lib/store/audit-trail.js'
import { currentRouting, DEFAULT_ROUTING, poolsFor, RoutingVersions } from '../../../src/lib/store/routing.js'
import { manualClock, tempHome, testContext } from '../../support/context.js'
import { engine } from '../../support/engine.js'

let home: string
const clock = manualClock()
const as = (actor: string): Context => testContext({ home, actor, clock })
const dropHostinger = { groups: ['us'], removePrimary: ['hostinger'], reason: 'health 71/100' }

async function code(p: Promise<unknown>): Promise<UserError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(UserError)
  return err as UserError
}

beforeEach(() => {
  home = tempHome()
})

describe('provider routing', () => {
  it('starts at the built-in version 0 and gives provisioning its pools', () => {
    const r = currentRouting(as('operator').store())
    expect(r.version).toBe(0)
    expect(r.config).toEqual(DEFAULT_ROUTING)
    expect(poolsFor(r.config, 'us', 'hostinger')).toEqual({
      primary: ['hostinger', 'vultr', 'hetzner', 'digitalocean', 'contabo'],
      standby: ['contabo', 'digitalocean', 'vultr', 'hetzner'],
    })
  })

  it('bumps the version on each change and audits it', async () => {
    const op = as('operator')
    const r1 = await setRouting(op, engine, dropHostinger, {})
    expect(r1).toMatchObject({ status: 'done', fromVersion: 0, version: 1 })
    expect(r1.config.us.primary).toEqual(['vultr', 'hetzner', 'digitalocean', 'contabo'])
    expect(r1.config.us.standby).toContain('hostinger')
    const r2 = await setRouting(op, engine, { groups: ['eu', 'ap'], exclude: ['hostinger'] }, {})
    expect(r2.version).toBe(2)
    expect(r2.config.eu.standby).not.toContain('hostinger')
    expect(r2.config.eu.excluded).toEqual(['hostinger'])

    const repo = op.store().repo(RoutingVersions)
    expect(repo.current().version).toBe(2)
    expect(repo.get(1)!.config.eu.primary).toContain('hostinger')
    expect(showRouting(op).history.map((h) => h.version)).toEqual([2, 1])
    const audit = op.store().repo(AuditTrail).query({ action: 'routing.version' })
    expect(audit.map((e) => e.target)).toEqual(['routing/v1', 'routing/v2'])
    expect(audit[0]!.details).toMatchObject({
      from: 0,
      to: 1,
      reason: 'health 71/100',
      proposedBy: 'operator',
    })
    expect(op.store().repo(AuditTrail).verify().ok).toBe(true)
  })

  it('makes a Ledger change wait for Commander, who confirms the exact plan', async () => {
    const err = await code(setRouting(as('ledger'), engine, dropHostinger, {}))
    expect(err.code).toBe('CONFIRMATION_REQUIRED')
    expect(currentRouting(as('operator').store()).version).toBe(0)
    const planId = (err.details as { planId: string }).planId
    // Ledger cannot confirm its own plan, and --yes from an agent means nothing
    expect((await code(setRouting(as('ledger'), engine, dropHostinger, { confirm: planId }))).code).toBe(
      'POLICY_DENIED',
    )
    expect((await code(setRouting(as('ledger'), engine, dropHostinger, { yes: true }))).code).toBe(
      'CONFIRMATION_REQUIRED',
    )
    const done = await setRouting(as('commander'), engine, dropHostinger, { confirm: planId })
    expect(done).toMatchObject({ status: 'done', version: 1 })
    const entry = as('operator').store().repo(AuditTrail).query({ action: 'routing.version' })[0]!
    expect(entry.actor).toBe('commander')
    expect(entry.details).toMatchObject({ proposedBy: 'ledger' })
  })

  it('refuses a confirmation after someone else changed the routing (the plan is stale)', async () => {
    const err = await code(setRouting(as('ledger'), engine, dropHostinger, {}))
    const planId = (err.details as { planId: string }).planId
    await setRouting(as('operator'), engine, { groups: ['eu'], removeStandby: ['contabo'] }, {})
    expect((await code(setRouting(as('commander'), engine, dropHostinger, { confirm: planId }))).code).toBe(
      'PLAN_STALE',
    )
    expect(currentRouting(as('operator').store()).version).toBe(1)
  })

  it('denies Triage and Guardian', async () => {
    expect((await code(setRouting(as('triage'), engine, dropHostinger, {}))).code).toBe('POLICY_DENIED')
    expect((await code(setRouting(as('guardian'), engine, dropHostinger, {}))).code).toBe('POLICY_DENIED')
    expect(currentRouting(as('operator').store()).version).toBe(0)
  })

  it('writes nothing on a dry run', async () => {
    const r = await setRouting(as('operator'), engine, dropHostinger, { dryRun: true })
    expect(r).toMatchObject({ status: 'dry-run', version: 1, planId: null })
    expect(currentRouting(as('operator').store()).version).toBe(0)
  })

  it('keeps the rules: a standby on another provider, no empty pool, no excluded provider in a pool', async () => {
    expect(() =>
      applyRoutingChange(DEFAULT_ROUTING, { groups: ['eu'], primary: ['vultr'], standby: ['vultr'] }),
    ).toThrow(/no standby on another provider/)
    expect(() =>
      applyRoutingChange(DEFAULT_ROUTING, {
        groups: ['us'],
        removePrimary: ['hostinger', 'vultr', 'hetzner', 'digitalocean', 'contabo'],
      }),
    ).toThrow(/primary pool is empty/)
    const excluded = applyRoutingChange(DEFAULT_ROUTING, { groups: ['ap'], exclude: ['vultr'] })
    expect(excluded.ap.primary).not.toContain('vultr')
    expect(excluded.ap.standby).not.toContain('vultr')
    expect(
      (await code(setRouting(as('operator'), engine, { groups: ['eu'], primary: ['nimbus'] }, {}))).code,
    ).toBe('INVALID_INPUT')
    expect((await code(setRouting(as('operator'), engine, { groups: ['eu'] }, {}))).code).toBe(
      'INVALID_INPUT',
    )
    // asking for what is already in force is a conflict, not a new version
    expect(
      (await code(setRouting(as('operator'), engine, { groups: ['eu'], include: ['vultr'] }, {}))).code,
    ).toBe('CONFLICT')
  })

  it('does not write a second version when a finished operation is resumed', async () => {
    const r = await setRouting(as('operator'), engine, dropHostinger, {})
    const ctx = as('operator')
    ctx.store().db.prepare("UPDATE operations SET state = 'running' WHERE id = ?").run(r.operationId)
    ctx.store().db.prepare("UPDATE op_steps SET state = 'running' WHERE op_id = ?").run(r.operationId)
    await engine.resume(ctx, { opId: r.operationId! })
    expect(currentRouting(ctx.store()).version).toBe(1)
  })
})
