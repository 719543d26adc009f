/**
 * Real gf-clawnode processes for integration tests, spawned from the built `bin/gf-clawnode.js`
 * (run `npm run build` first; `npm test` does). Each gets its own dir with its config, state and log.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { packageRoot } from '../../src/lib/paths.js'
import { childEnv } from './gateway-process.js'

export interface NodeStatus {
  pid: number
  mode: 'single' | 'swarm'
  counts: Record<string, number>
  nodes: Array<{ instanceId: string; deviceId: string; state: string }>
}

export interface ClawnodeProcess {
  dir: string
  configPath: string
  child: ChildProcess
  exited: Promise<number | null>
  status(): NodeStatus | undefined
  log(): string
  stop(signal?: NodeJS.Signals): Promise<number | null>
}

export function clawnodeBin(): string {
  const bin = join(packageRoot(), 'bin', 'gf-clawnode.js')
  if (!existsSync(join(packageRoot(), 'dist', 'clawnode', 'main.js'))) {
    throw new Error('dist/clawnode/main.js is missing: run `npm run build` before the integration tests')
  }
  return bin
}

export function spawnClawnode(
  dir: string,
  config: Record<string, unknown>,
  opts: { args?: string[]; env?: Record<string, string> } = {},
): ClawnodeProcess {
  mkdirSync(dir, { recursive: true })
  const configPath = join(dir, 'config.json')
  writeFileSync(configPath, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 })
  const logPath = join(dir, 'clawnode.log')
  const out = openSync(logPath, 'a')
  const child = spawn(process.execPath, [clawnodeBin(), ...(opts.args ?? ['run']), '--config', configPath], {
    stdio: ['ignore', out, out],
    env: childEnv(opts.env),
  })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  const stateDir = String(config.stateDir)
  return {
    dir,
    configPath,
    child,
    exited,
    status() {
      const p = join(stateDir, 'status.json')
      if (!existsSync(p)) return undefined
      try {
        return JSON.parse(readFileSync(p, 'utf8')) as NodeStatus
      } catch {
        return undefined
      }
    },
    log: () => readFileSync(logPath, 'utf8'),
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode
      child.kill(signal)
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000)
      const code = await exited
      clearTimeout(timer)
      return code
    },
  }
}

/** Polls `fn` until it returns a truthy value; the last error or value is in the failure message. */
export async function waitFor<T>(
  what: string,
  fn: () => T | Promise<T>,
  timeoutMs = 60_000,
  everyMs = 100,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  while (Date.now() < deadline) {
    try {
      const v = await fn()
      if (v) return v as NonNullable<T>
      last = v
    } catch (err) {
      last = err
    }
    await sleep(everyMs)
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what} (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`,
  )
}
