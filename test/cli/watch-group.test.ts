/**
 * watch in a group: a --standby watch waits while another leads, `watch status` names both, and when
 * the leader is killed with SIGKILL the standby leads (through the real binary, on one store).
 */
import type { ChildProcess } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { clawopsAsync, clawopsChild } from '../support/cli.js'
import { tempHome } from '../support/context.js'
import { Recorder } from '../support/recorder.js'

// biome-ignore lint/suspicious/noExplicitAny: JSON envelopes of several shapes
type Json = any

const gateway = new Recorder()
let home: string
const children: ChildProcess[] = []

const env = () => ({ CLAWOPS_HOME: home })
const status = async (): Promise<Json> => {
  const r = await clawopsAsync(['watch', 'status', '--json'], env())
  expect(r.code, r.stdout).toBe(0)
  return (r.json as Json).data
}

function start(args: string[]): { child: ChildProcess; stderr: () => string } {
  const child = clawopsChild(['watch', '--no-http', ...args], env())
  children.push(child)
  let err = ''
  child.stderr!.on('data', (d) => {
    err += d
  })
  return { child, stderr: () => err }
}

async function until<T>(what: string, f: () => Promise<T | undefined | false>, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const v = await f()
    if (v) return v
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 200))
  }
}

beforeAll(async () => {
  await gateway.start()
  home = tempHome()
  const secrets = join(home, 'secrets')
  mkdirSync(secrets, { mode: 0o700 })
  writeFileSync(join(secrets, 'gateway.token'), 'watch-group-token', { mode: 0o600 })
  writeFileSync(
    join(home, 'config.json'),
    JSON.stringify({ gateway: { url: gateway.url('gw', 'ws'), tokenFile: join(secrets, 'gateway.token') } }),
  )
  const seeded = await clawopsAsync(['lab', 'seed', '--pairs', '3', '--seed', '7', '--json'], env())
  expect(seeded.code, seeded.stdout).toBe(0)
})

afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL')
  await gateway.close()
})

describe('watch in a group', () => {
  it('stands by while another leads, is named by watch status, and leads once the leader is killed', async () => {
    expect(await status()).toMatchObject({ leader: null, standbys: [] })

    const leader = start([])
    await until('the leader to start', async () => /watch running/.test(leader.stderr()))
    const standby = start(['--standby'])
    await until('the standby to stand by', async () => /standing by/.test(standby.stderr()))
    expect(standby.stderr()).toContain(`pid ${leader.child.pid}`)

    const both = await status()
    expect(both.leader.holder).toContain(`pid ${leader.child.pid}`)
    expect(both.standbys).toEqual([
      expect.objectContaining({ holder: expect.stringContaining(`pid ${standby.child.pid}`) }),
    ])

    // A --once beside a leader is still refused: cron has nothing to do while a daemon leads.
    const once = await clawopsAsync(['watch', '--once', '--no-http', '--json'], env())
    expect((once.json as Json).error).toMatchObject({ code: 'CONFLICT' })

    leader.child.kill('SIGKILL')
    await until('the standby to lead', async () => /watch running/.test(standby.stderr()))
    const after = await status()
    expect(after.leader.holder).toContain(`pid ${standby.child.pid}`)
    expect(after.standbys).toEqual([])

    const exited = new Promise<number | null>((r) => standby.child.on('exit', (c) => r(c)))
    standby.child.kill('SIGTERM')
    expect(await exited).toBe(0)
    expect(await status()).toMatchObject({ leader: null, standbys: [] })
  }, 120_000)

  it('refuses --standby with --once', async () => {
    const r = await clawopsAsync(['watch', '--once', '--standby', '--json'], env())
    expect(r.code).not.toBe(0)
    expect((r.json as Json).error.code).toBe('INVALID_INPUT')
  })
})
