// The gf-clawnode side a rollout relies on: a rollback that is a compare-and-swap, and swarm nodes
// that each have their own config file.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { swarmNodeConfig } from '../../../clawnode/swarm.js'
import { nodeConfig, tempDir, testNode, writeJson } from '../../support/clawnode-fixtures.js'

describe('gf-clawnode for config pushes', () => {
  const tmp = tempDir()
  afterAll(() => tmp.cleanup())

  it('config.rollback with expectedHash swaps back once; a repeat or a changed file is refused', async () => {
    const config = nodeConfig(tmp.dir)
    const path = config.userGateway.configPath
    const node = testNode(config)
    writeJson(path, { gateway: { mode: 'local' }, agents: { defaults: { model: { primary: 'a/1' } } } })
    const before = readFileSync(path, 'utf8')
    const got = await node.call<{ hash: string; config: Record<string, unknown> }>('config.get')
    const pushed = await node.call<{ hash: string }>('config.push', {
      config: { ...got.config, agents: { defaults: { model: { primary: 'b/2' } } } },
      expectedHash: got.hash,
    })
    const back = await node.call<{ hash: string }>('config.rollback', { expectedHash: pushed.hash })
    expect(back.hash).toBe(got.hash)
    expect(readFileSync(path, 'utf8')).toBe(before)
    // Without the hash check a second rollback would swap the pushed version back in.
    const again = await node.invoke('config.rollback', { expectedHash: pushed.hash })
    expect(again).toMatchObject({ ok: false, error: { code: 'CONFLICT' } })
    expect(readFileSync(path, 'utf8')).toBe(before)
    expect(await node.invoke('config.rollback', { expectedHash: 'nothex' })).toMatchObject({
      ok: false,
      error: { code: 'INVALID_PARAMS' },
    })
  })

  it('a swarm gives each node its own config file when the path names {instanceId}', () => {
    const shared = nodeConfig(tmp.dir)
    expect(swarmNodeConfig(shared, 'sw-3')).toBe(shared)
    const per = nodeConfig(tmp.dir, {
      userGateway: { url: 'http://127.0.0.1:9', configPath: join(tmp.dir, 'cfg', '{instanceId}.json') },
    })
    expect(swarmNodeConfig(per, 'sw-3').userGateway.configPath).toBe(join(tmp.dir, 'cfg', 'sw-3.json'))
    expect(swarmNodeConfig(per, 'sw-4').userGateway.configPath).toBe(join(tmp.dir, 'cfg', 'sw-4.json'))
    expect(per.userGateway.configPath).toContain('{instanceId}')
  })
})
