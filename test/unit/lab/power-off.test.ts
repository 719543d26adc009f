/**
 * A lab server that stops takes its user gateway with it, even when its gf-clawnode was SIGKILLed
 * and could not stop it; but only the process its service manager recorded, and only while that pid
 * still runs in the server's OpenClaw directory: a pid the OS has since given to another process is
 * left alone.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { powerOff } from '../../../src/lib/lab/clawnode-boot-driver.js'

const root = mkdtempSync(join(tmpdir(), 'clawops-power-off-'))
const children: ChildProcess[] = []
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL')
  rmSync(root, { recursive: true, force: true })
})

const alive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** A stand-in user gateway: its own process group, running in `cwd`. */
function gateway(cwd: string): ChildProcess {
  mkdirSync(cwd, { recursive: true })
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], {
    cwd,
    detached: true,
    stdio: 'ignore',
  })
  children.push(child)
  return child
}

const exited = (c: ChildProcess) =>
  c.exitCode !== null || c.signalCode !== null
    ? Promise.resolve()
    : new Promise<void>((resolve) => c.once('exit', () => resolve()))

describe('powering a lab server off', () => {
  it('kills the user gateway its node recorded, and leaves a reused pid alone', async () => {
    const stateDir = join(root, 'state')
    mkdirSync(stateDir, { recursive: true })
    const openclawDir = join(root, 'server-1', 'openclaw')
    // The pid in service.pid now belongs to a process elsewhere (the gateway died, the pid was reused).
    const stranger = gateway(join(root, 'elsewhere'))
    writeFileSync(join(stateDir, 'service.pid'), `${stranger.pid}\n`)
    powerOff({ stateDir, cwd: openclawDir })
    await new Promise((r) => setTimeout(r, 200))
    expect(alive(stranger.pid!)).toBe(true)

    // The recorded pid is the server's gateway: it goes, with its process group.
    const own = gateway(openclawDir)
    writeFileSync(join(stateDir, 'service.pid'), `${own.pid}\n`)
    powerOff({ stateDir, cwd: openclawDir })
    await exited(own)
    expect(own.signalCode).toBe('SIGKILL')
    expect(alive(stranger.pid!)).toBe(true)
  })

  it('does nothing without a service.pid, or with one that is not a pid', () => {
    const stateDir = join(root, 'empty')
    mkdirSync(stateDir, { recursive: true })
    expect(() => powerOff({ stateDir, cwd: root })).not.toThrow()
    for (const bad of ['', 'abc', '1', '-5', '0']) {
      writeFileSync(join(stateDir, 'service.pid'), bad)
      expect(() => powerOff({ stateDir, cwd: root })).not.toThrow()
    }
    expect(() => powerOff(undefined)).not.toThrow()
  })
})
