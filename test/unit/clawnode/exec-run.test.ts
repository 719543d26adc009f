import { afterAll, describe, expect, it } from 'vitest'
import { nodeConfig, tempDir, testNode } from '../../support/clawnode-fixtures.js'

describe('exec.run end to end through the command table', () => {
  const tmp = tempDir()
  afterAll(() => tmp.cleanup())
  const node = testNode(
    nodeConfig(tmp.dir, {
      exec: {
        allow: [
          { name: 'echo', path: '/bin/echo', maxArgs: 3 },
          { name: 'env', path: '/usr/bin/env', maxArgs: 0 },
          { name: 'sleep', path: '/bin/sleep', maxArgs: 1, timeoutMs: 300 },
          { name: 'yes', path: '/usr/bin/yes', maxArgs: 0 },
        ],
      },
      limits: { maxOutputBytes: 4096 },
    }),
  )

  it('runs an allowlisted argv and returns exit code and output', async () => {
    expect(await node.call('exec.run', { argv: ['echo', 'hello', '-n'] })).toMatchObject({
      argv: ['echo', 'hello', '-n'],
      exitCode: 0,
      stdout: 'hello -n',
    })
  })

  it('refuses off-list commands and hostile arguments as POLICY_DENIED', async () => {
    for (const argv of [
      ['sh', '-c', 'id'],
      ['/bin/echo', 'x'],
      ['echo', '$(id)'],
      ['echo', 'a;b'],
      ['echo', '../etc'],
      ['echo', 'a b'],
    ]) {
      expect(await node.invoke('exec.run', { argv }), argv.join(' ')).toMatchObject({
        ok: false,
        error: { code: 'POLICY_DENIED' },
      })
    }
    expect(await node.invoke('exec.run', { argv: [] })).toMatchObject({
      ok: false,
      error: { code: 'INVALID_PARAMS' },
    })
    expect(await node.invoke('exec.run', { argv: 'echo hi' })).toMatchObject({
      ok: false,
      error: { code: 'INVALID_PARAMS' },
    })
  })

  it('gives the child a minimal environment: no inherited secrets', async () => {
    process.env.CLAWNODE_TEST_TOKEN = 'should-not-be-visible'
    const out = await node.call<{ stdout: string }>('exec.run', { argv: ['env'] })
    expect(out.stdout).not.toContain('should-not-be-visible')
    expect(out.stdout).toContain('PATH=')
  })

  it('kills a hung child at the entry time limit and caps output', async () => {
    expect(await node.invoke('exec.run', { argv: ['sleep', '30'] })).toMatchObject({
      ok: false,
      error: { code: 'TIMEOUT' },
    })
    expect(await node.invoke('exec.run', { argv: ['yes'] })).toMatchObject({
      ok: false,
      error: { code: 'OUTPUT_TOO_LARGE' },
    })
  })
})
