/**
 * openclaw.wipe: the user's gateway stopped, then everything in the user's state directory deleted
 * (and the copies restores kept beside it), nothing else: not the node's own state, not a file a
 * link inside points to. Refused on a node that is not the instance the caller names.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  nodeConfig,
  STAND_IN_GATEWAY,
  type TestNode,
  tempDir,
  testNode,
  writeJson,
} from '../../support/clawnode-fixtures.js'
import { freePort } from '../../support/gateway-process.js'

describe('openclaw.wipe', () => {
  const tmp = tempDir()
  const outside = tempDir('clawnode-outside-')
  let node: TestNode
  let userDir: string

  beforeAll(async () => {
    const port = await freePort()
    userDir = join(tmp.dir, 'user')
    mkdirSync(userDir)
    const config = nodeConfig(tmp.dir, {
      instanceId: 'i-wipe-1',
      service: {
        kind: 'process',
        argv: [process.execPath, STAND_IN_GATEWAY(), '--port', String(port)],
        env: { OPENCLAW_CONFIG_PATH: join(userDir, 'openclaw.json') },
        stopTimeoutMs: 2_000,
      },
      userGateway: {
        url: `http://127.0.0.1:${port}`,
        configPath: join(userDir, 'openclaw.json'),
        healthTimeoutMs: 1_000,
      },
    })
    writeJson(config.userGateway.configPath, { gateway: { mode: 'local' } })
    mkdirSync(join(userDir, 'memory'))
    writeFileSync(join(userDir, 'memory', '2026-11-26.md'), 'remember the milk\n')
    mkdirSync(join(userDir, 'sessions', 'deep'), { recursive: true })
    writeFileSync(join(userDir, 'sessions', 'deep', 's.jsonl'), '{}\n')
    // A copy an earlier restore kept aside, beside the directory.
    mkdirSync(`${userDir}.before-restore-1700000000000`)
    writeFileSync(join(`${userDir}.before-restore-1700000000000`, 'openclaw.json'), '{}')
    // A link inside the user's directory to a file elsewhere: the link goes, the file stays.
    writeFileSync(join(outside.dir, 'keep.txt'), 'not the user’s\n')
    symlinkSync(join(outside.dir, 'keep.txt'), join(userDir, 'link.txt'))
    node = testNode(config)
    await node.call('openclaw.start', {})
  })
  afterAll(async () => {
    await node.ctx.services.close()
    tmp.cleanup()
    outside.cleanup()
  })

  it('refuses a caller that names another instance, and changes nothing', async () => {
    const out = await node.invoke('openclaw.wipe', { instanceId: 'i-someone-else' })
    expect(out).toMatchObject({ ok: false, error: { code: 'POLICY_DENIED' } })
    expect(readFileSync(join(userDir, 'memory', '2026-11-26.md'), 'utf8')).toBe('remember the milk\n')
    expect((await node.call<{ live: boolean }>('openclaw.health')).live).toBe(true)
    expect((await node.invoke('openclaw.wipe', {})).ok).toBe(false)
  })

  it('stops the gateway and deletes the user’s state, the kept-aside copies, nothing else', async () => {
    // The node's own state (identity, tokens) lives beside the user's, never in it.
    writeFileSync(join(node.ctx.config.stateDir, 'identity.json'), '{"device":"d"}')
    const r = await node.call<{ entries: number; keptAside: number; bytes: number; stopped: boolean }>(
      'openclaw.wipe',
      { instanceId: 'i-wipe-1' },
    )
    expect(r).toMatchObject({ entries: 4, keptAside: 1, stopped: true })
    expect(r.bytes).toBeGreaterThan(0)
    expect(readdirSync(userDir)).toEqual([])
    expect(existsSync(`${userDir}.before-restore-1700000000000`)).toBe(false)
    expect(readFileSync(join(outside.dir, 'keep.txt'), 'utf8')).toBe('not the user’s\n')
    expect(readFileSync(join(node.ctx.config.stateDir, 'identity.json'), 'utf8')).toBe('{"device":"d"}')
    expect(readdirSync(dirname(userDir)).sort()).toEqual(['user'])
    expect((await node.call<{ live: boolean }>('openclaw.health')).live).toBe(false)
  })

  it('is idempotent: a repeated wipe finds nothing to delete', async () => {
    expect(await node.call('openclaw.wipe', { instanceId: 'i-wipe-1' })).toMatchObject({
      entries: 0,
      keptAside: 0,
      bytes: 0,
    })
  })
})
