import { statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest'
import { main } from '../../../clawnode/main.js'
import { tempDir } from '../../support/clawnode-fixtures.js'

describe('gf-clawnode entry point', () => {
  const tmp = tempDir()
  afterAll(() => tmp.cleanup())
  afterEach(() => vi.restoreAllMocks())

  function capture() {
    const out: string[] = []
    const err: string[] = []
    vi.spyOn(process.stdout, 'write').mockImplementation((s) => out.push(String(s)) > 0)
    vi.spyOn(process.stderr, 'write').mockImplementation((s) => err.push(String(s)) > 0)
    return { out: () => out.join(''), err: () => err.join('') }
  }

  it('exits 3 with the offending paths when the config is invalid, without echoing secrets', async () => {
    const path = join(tmp.dir, 'bad.json')
    writeFileSync(
      path,
      JSON.stringify({
        instanceId: 'x',
        gateway: { url: 'http://nope', token: 'TOPSECRET' },
        stateDir: tmp.dir,
      }),
    )
    const io = capture()
    expect(await main(['run', '--config', path])).toBe(3)
    expect(io.err()).toMatch(/gateway\.url/)
    expect(io.err()).toMatch(/userGateway/)
    expect(io.err()).not.toContain('TOPSECRET')
  })

  it('exits 3 for a missing file and 2 for bad usage', async () => {
    capture()
    expect(await main(['--config', join(tmp.dir, 'missing.json')])).toBe(3)
    expect(await main(['frobnicate', '--config', 'x'])).toBe(2)
    expect(await main(['--no-such-flag'])).toBe(2)
    expect(await main(['swarm', '--count', '0', '--config', join(tmp.dir, 'missing.json')])).toBe(3)
  })

  it('identity creates the key (0600) and prints the device id', async () => {
    const path = join(tmp.dir, 'ok.json')
    const stateDir = join(tmp.dir, 'state')
    writeFileSync(
      path,
      JSON.stringify({
        instanceId: 'vps-9',
        gateway: { url: 'ws://127.0.0.1:1', token: 't' },
        stateDir,
        userGateway: { configPath: join(tmp.dir, 'user', 'oc.json') },
      }),
    )
    const io = capture()
    expect(await main(['identity', '--config', path])).toBe(0)
    const printed = JSON.parse(io.out())
    expect(printed).toMatchObject({ instanceId: 'vps-9', deviceId: expect.stringMatching(/^[0-9a-f]{64}$/) })
    expect(statSync(join(stateDir, 'identity.json')).mode & 0o777).toBe(0o600)
    capture()
    expect(await main(['swarm', '--count', 'many', '--config', path])).toBe(2)
  })
})
