import { describe, expect, it } from 'vitest'
import { runArgv, runChecked } from '../../../clawnode/run.js'

const opts = { timeoutMs: 5_000, maxOutputBytes: 64 * 1024 }

describe('runArgv: real binaries as argv', () => {
  it('passes arguments literally, with no shell in between', async () => {
    const r = await runArgv('/bin/echo', ['$HOME', '; id', '`uname`'], opts)
    expect(r).toEqual({ exitCode: 0, stdout: '$HOME ; id `uname`', stderr: '' })
  })

  it('kills a hung child at its time limit', async () => {
    const t0 = Date.now()
    await expect(runArgv('/bin/sleep', ['30'], { ...opts, timeoutMs: 300 })).rejects.toMatchObject({
      code: 'TIMEOUT',
    })
    expect(Date.now() - t0).toBeLessThan(3_000)
  })

  it('reports a missing binary as UNAVAILABLE', async () => {
    await expect(runArgv('/nonexistent/docker', ['ps'], opts)).rejects.toMatchObject({
      code: 'UNAVAILABLE',
      message: 'docker is not installed on this host',
    })
  })

  it('refuses output beyond the cap', async () => {
    await expect(
      runArgv('/usr/bin/head', ['-c', '200000', '/dev/zero'], { ...opts, maxOutputBytes: 1_000 }),
    ).rejects.toMatchObject({
      code: 'OUTPUT_TOO_LARGE',
    })
  })

  it('stops on cancel', async () => {
    const ac = new AbortController()
    setTimeout(() => ac.abort(), 100)
    await expect(runArgv('/bin/sleep', ['30'], { ...opts, signal: ac.signal })).rejects.toMatchObject({
      code: 'TIMEOUT',
    })
  })

  it('runChecked turns a non-zero exit into COMMAND_FAILED with the stderr tail', async () => {
    await expect(runChecked('/bin/ls', ['/definitely/not/here'], opts)).rejects.toMatchObject({
      code: 'COMMAND_FAILED',
      message: expect.stringMatching(/ls exited with 2: .*No such file/),
    })
  })

  it('can isolate the environment', async () => {
    process.env.CLAWNODE_TEST_SECRET = 'do-not-leak'
    const r = await runArgv('/usr/bin/env', [], {
      ...opts,
      env: { PATH: '/usr/bin:/bin' },
      isolatedEnv: true,
    })
    expect(r.stdout).not.toContain('do-not-leak')
    expect(r.stdout.trim()).toBe('PATH=/usr/bin:/bin')
  })
})
