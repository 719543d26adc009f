import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { CLAWNODE_COMMANDS } from '../../../src/lib/gateway/node-commands.js'
import { applyPatch, planGatewaySetup, setupGatewayFile } from '../../../src/lib/gateway/setup.js'
import { tempDir } from '../../support/clawnode-fixtures.js'

// biome-ignore lint/suspicious/noExplicitAny: loosely typed JSON from the wire, checked by the assertions
type Wire = Record<string, any>

describe('gateway setup plan', () => {
  const base = {
    gateway: {
      mode: 'local',
      auth: { mode: 'token', token: 'gw-token' },
      nodes: { commands: { allow: ['canvas.navigate'] } },
    },
  }

  it('adds the clawnode commands and a hooks section, keeping what is there', () => {
    const plan = planGatewaySetup(structuredClone(base), { gatewayToken: 'gw-token' })
    expect(plan.changed).toBe(true)
    const next = applyPatch(base, plan.patch) as Wire
    expect(next.gateway.nodes.commands.allow).toEqual(['canvas.navigate', ...CLAWNODE_COMMANDS])
    expect(next.gateway.auth.token).toBe('gw-token')
    expect(next.hooks).toMatchObject({
      enabled: true,
      path: '/hooks',
      allowRequestSessionKey: true,
      allowedSessionKeyPrefixes: ['hook:', 'clawops:'],
    })
    expect(next.hooks.token).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(next.hooks.token).not.toBe('gw-token')
    expect(plan.hooksTokenGenerated).toBe(true)
    expect(plan.replacePaths).toEqual(['gateway.nodes.commands.allow', 'hooks.allowedSessionKeyPrefixes'])
  })

  it('is idempotent', () => {
    const first = planGatewaySetup(structuredClone(base))
    const next = applyPatch(base, first.patch) as Wire
    const second = planGatewaySetup(next)
    expect(second).toMatchObject({ changed: false, changes: [], patch: {}, hooksTokenGenerated: false })
  })

  it('never shows a secret in the diff', () => {
    const plan = planGatewaySetup(structuredClone(base))
    const token = (plan.patch.hooks as { token: string }).token
    expect(JSON.stringify(plan.changes)).not.toContain(token)
    expect(plan.changes).toContainEqual({
      path: 'hooks',
      op: 'add',
      after: expect.objectContaining({ token: '[redacted]' }),
    })
    const withHooks = planGatewaySetup({ hooks: { enabled: true } })
    expect(withHooks.changes).toContainEqual({ path: 'hooks.token', op: 'add', after: '[redacted]' })
  })

  it('keeps an existing (possibly redacted) hooks token and existing prefixes', () => {
    const plan = planGatewaySetup({
      hooks: {
        enabled: true,
        token: '__OPENCLAW_REDACTED__',
        path: '/h',
        allowRequestSessionKey: true,
        allowedSessionKeyPrefixes: ['mine:'],
      },
    })
    expect(plan.hooksTokenGenerated).toBe(false)
    expect(plan.patch.hooks).toEqual({ allowedSessionKeyPrefixes: ['mine:', 'hook:', 'clawops:'] })
  })

  it('warns about a deny list that blocks clawnode commands and a hooks token equal to the gateway token', () => {
    const plan = planGatewaySetup(
      { gateway: { nodes: { commands: { deny: ['exec.run'] } } }, hooks: { token: 'same' } },
      { gatewayToken: 'same' },
    )
    expect(plan.warnings).toHaveLength(2)
  })
})

describe('setupGatewayFile', () => {
  const tmp = tempDir()
  afterAll(() => tmp.cleanup())

  it('dry-run reports without writing; a real run writes once', () => {
    const path = join(tmp.dir, 'openclaw.json')
    writeFileSync(path, JSON.stringify({ gateway: { mode: 'local' } }))
    const dry = setupGatewayFile(path, { dryRun: true })
    expect(dry).toMatchObject({ changed: true, dryRun: true })
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({ gateway: { mode: 'local' } })
    expect(setupGatewayFile(path).changed).toBe(true)
    expect(setupGatewayFile(path).changed).toBe(false)
  })

  it('refuses a file it cannot parse strictly, without touching it', () => {
    const path = join(tmp.dir, 'json5.json')
    writeFileSync(path, '{ gateway: { mode: "local" }, // json5\n}')
    expect(() => setupGatewayFile(path)).toThrow(/not strict JSON/)
    expect(readFileSync(path, 'utf8')).toContain('json5')
  })
})
