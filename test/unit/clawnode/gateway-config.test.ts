import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeEach, describe, expect, it } from 'vitest'
import { nodeConfig, tempDir, testNode, writeJson } from '../../support/clawnode-fixtures.js'

const original = {
  gateway: { mode: 'local', port: 18789, bind: 'loopback', auth: { mode: 'token', token: 'user-gw-secret' } },
  hooks: { enabled: true, token: 'hooks-secret' },
  agents: { defaults: { model: { primary: 'openai/gpt-6' } } },
}

describe('config.* on the user gateway config', () => {
  const tmp = tempDir()
  afterAll(() => tmp.cleanup())
  const config = nodeConfig(tmp.dir)
  const path = config.userGateway.configPath
  const prev = `${path}.clawnode-prev`
  const node = testNode(config)

  beforeEach(() => {
    writeJson(path, original)
    if (existsSync(prev)) writeFileSync(prev, '')
  })

  it('get returns the config with secrets redacted and a hash', async () => {
    const out = await node.call<{ config: typeof original; hash: string }>('config.get')
    expect(out.config.gateway.auth.token).toBe('[redacted]')
    expect(out.config.hooks.token).toBe('[redacted]')
    expect(out.config.gateway.port).toBe(18789)
    expect(out.hash).toMatch(/^[0-9a-f]{64}$/)
    expect(JSON.stringify(out)).not.toContain('secret')
  })

  it('diff lists leaf changes, redacted, with placeholders meaning "unchanged"', async () => {
    const cur = await node.call<{ config: typeof original }>('config.get')
    const candidate = structuredClone(cur.config)
    candidate.gateway.port = 18800
    candidate.hooks.token = 'new-hooks-secret'
    const out = await node.call<{ changes: unknown[] }>('config.diff', { config: candidate })
    expect(out.changes).toEqual([
      { path: 'gateway.port', op: 'change', before: 18789, after: 18800 },
      { path: 'hooks.token', op: 'change', before: '[redacted]', after: '[redacted]' },
    ])
  })

  it('push validates, swaps atomically, keeps the previous version and keeps redacted secrets', async () => {
    const cur = await node.call<{ config: typeof original; hash: string }>('config.get')
    const candidate = structuredClone(cur.config)
    candidate.agents.defaults.model.primary = 'fake/scripted'
    const out = await node.call<Record<string, unknown>>('config.push', {
      config: candidate,
      expectedHash: cur.hash,
    })
    expect(out).toMatchObject({ changed: true, previousHash: cur.hash })
    const written = JSON.parse(readFileSync(path, 'utf8'))
    expect(written.agents.defaults.model.primary).toBe('fake/scripted')
    expect(written.gateway.auth.token).toBe('user-gw-secret')
    expect(JSON.parse(readFileSync(prev, 'utf8'))).toEqual(original)

    const again = await node.call<Record<string, unknown>>('config.push', { config: candidate })
    expect(again).toMatchObject({ changed: false })
  })

  it('rollback swaps back, and a second rollback restores the push', async () => {
    const cur = await node.call<{ config: typeof original }>('config.get')
    const candidate = { ...cur.config, gateway: { ...cur.config.gateway, port: 19000 } }
    await node.call('config.push', { config: candidate })
    await node.call('config.rollback')
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual(original)
    await node.call('config.rollback')
    expect(JSON.parse(readFileSync(path, 'utf8')).gateway.port).toBe(19000)
  })

  it('refuses an invalid candidate and leaves the file untouched', async () => {
    const before = readFileSync(path, 'utf8')
    const out = await node.invoke('config.push', { config: { gateway: { port: 'not-a-port' } } })
    expect(out).toMatchObject({
      ok: false,
      error: { code: 'CONFIG_INVALID', message: expect.stringMatching(/gateway\.port/) },
    })
    expect(readFileSync(path, 'utf8')).toBe(before)
    const v = await node.call<{ valid: boolean; issues: unknown[] }>('config.validate', {
      config: { gateway: { mode: 'cloud' } },
    })
    expect(v.valid).toBe(false)
  })

  it('refuses a push when the file changed since it was read', async () => {
    const out = await node.invoke('config.push', { config: original, expectedHash: 'a'.repeat(64) })
    expect(out).toMatchObject({ ok: false, error: { code: 'CONFLICT' } })
  })

  it('reports a malformed existing config and never overwrites it silently', async () => {
    writeFileSync(path, '{ "gateway": { "mode": "local", } // hand-edited\n')
    const get = await node.call<Record<string, unknown>>('config.get')
    expect(get).toMatchObject({ config: null, malformed: 'not valid JSON' })
    const push = await node.invoke('config.push', { config: original })
    expect(push).toMatchObject({ ok: false, error: { code: 'CONFIG_MALFORMED' } })
    expect(readFileSync(path, 'utf8')).toContain('hand-edited')
    const diff = await node.invoke('config.diff', { config: original })
    expect(diff).toMatchObject({ ok: false, error: { code: 'CONFIG_MALFORMED' } })

    // With force the malformed bytes survive as the previous version, so nothing is lost.
    await node.call('config.push', { config: original, force: true })
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual(original)
    expect(readFileSync(prev, 'utf8')).toContain('hand-edited')
  })

  it('refuses a placeholder that has nothing to stand for', async () => {
    const out = await node.invoke('config.push', {
      config: { ...original, newSection: { apiKey: '[redacted]' } },
    })
    expect(out).toMatchObject({
      ok: false,
      error: { code: 'INVALID_PARAMS', message: expect.stringMatching(/newSection\.apiKey/) },
    })
  })

  it('keeps the file mode of the original', async () => {
    const { chmodSync, statSync } = await import('node:fs')
    chmodSync(path, 0o640)
    await node.call('config.push', { config: { ...original, gateway: { ...original.gateway, port: 18801 } } })
    expect(statSync(path).mode & 0o777).toBe(0o640)
  })

  it('rollback without a previous version is NOT_FOUND', async () => {
    const fresh = tempDir()
    const n = testNode(nodeConfig(fresh.dir))
    writeJson(join(fresh.dir, 'openclaw.json'), original)
    expect(await n.invoke('config.rollback')).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } })
    fresh.cleanup()
  })
})
