import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { ConfigError, loadConfig, parseConfig } from '../../../clawnode/config.js'
import { tempDir } from '../../support/clawnode-fixtures.js'

const minimal = {
  instanceId: 'vps-1',
  gateway: { url: 'wss://gw.example.ts.net', token: 'shared-gateway-token' },
  stateDir: '/var/lib/gf-clawnode',
  userGateway: { configPath: '/home/openclaw/.openclaw/openclaw.json' },
}

describe('gf-clawnode config', () => {
  const tmp = tempDir()
  afterAll(() => tmp.cleanup())

  it('fills defaults for a minimal config', () => {
    const c = parseConfig(minimal)
    expect(c.service).toEqual({ kind: 'none' })
    expect(c.reconnect).toEqual({ minDelayMs: 1000, maxDelayMs: 30000, pairingRetryMs: 3000 })
    expect(c.limits.maxOutputBytes).toBe(512 * 1024)
    expect(c.exec.allow).toEqual([])
    expect(c.userGateway.url).toBe('http://127.0.0.1:18789')
  })

  it('names the path of every problem and rejects unknown keys', () => {
    try {
      parseConfig({
        ...minimal,
        gateway: { url: 'http://x', token: 't' },
        servcie: {},
        instanceId: 'bad id!',
      })
      expect.unreachable()
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError)
      const issues = (err as ConfigError).issues.join('\n')
      expect(issues).toMatch(/gateway\.url/)
      expect(issues).toMatch(/servcie/)
      expect(issues).toMatch(/instanceId/)
    }
  })

  it('needs a first-contact credential', () => {
    expect(() => parseConfig({ ...minimal, gateway: { url: 'ws://127.0.0.1:1' } })).toThrow(
      /gateway\.token or gateway\.bootstrapToken/,
    )
    expect(
      parseConfig({ ...minimal, gateway: { url: 'ws://127.0.0.1:1', bootstrapToken: 'b' } }).gateway
        .bootstrapToken,
    ).toBe('b')
  })

  it("keeps the node's own state out of the user's state directory (archives would carry it)", () => {
    const user = { configPath: '/opt/openclaw/state/openclaw.json' }
    for (const stateDir of [
      '/opt/openclaw/state',
      '/opt/openclaw/state/clawnode',
      '/opt/openclaw/state/../state/x',
    ])
      expect(() => parseConfig({ ...minimal, stateDir, userGateway: user })).toThrow(/stateDir/)
    expect(
      parseConfig({ ...minimal, stateDir: '/opt/openclaw/state-node', userGateway: user }).stateDir,
    ).toBe('/opt/openclaw/state-node')
  })

  it('validates the service section by kind', () => {
    expect(() => parseConfig({ ...minimal, service: { kind: 'process' } })).toThrow(/service\.argv/)
    expect(() => parseConfig({ ...minimal, service: { kind: 'systemd', unit: 'a;b' } })).toThrow(
      /service\.unit/,
    )
    const c = parseConfig({ ...minimal, service: { kind: 'compose', composeFile: '/opt/oc/compose.yml' } })
    expect(c.service).toMatchObject({ kind: 'compose', service: 'openclaw' })
  })

  it('reports a broken file without echoing its content (it may hold secrets)', () => {
    const path = join(tmp.dir, 'bad.json')
    writeFileSync(path, '{"gateway": {"token": "super-secret-value" oops}}')
    try {
      loadConfig(path)
      expect.unreachable()
    } catch (err) {
      expect((err as Error).message).toMatch(/not valid JSON/)
      expect((err as Error).message).not.toContain('super-secret-value')
    }
    expect(() => loadConfig(join(tmp.dir, 'missing.json'))).toThrow(/ENOENT/)
  })

  it('never echoes secret values in validation errors', () => {
    try {
      parseConfig({ ...minimal, joinSecret: 'short-secret' })
      expect.unreachable()
    } catch (err) {
      expect((err as Error).message).toMatch(/joinSecret/)
      expect((err as Error).message).not.toContain('short-secret')
    }
  })
})
