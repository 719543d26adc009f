/** Runs the built clawops binary the way an agent's exec tool or a shell would. */
import { spawn, spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { storeEnv } from './store-engine.js'

export const BIN = join(import.meta.dirname, '..', '..', 'bin', 'clawops.js')

/**
 * The environment of a clawops run: on a -pg project, a run for a home gets that home's schema
 * (CLAWOPS_DATABASE_URL) unless the test names a store itself.
 */
function runEnv(env: Record<string, string | undefined>): Record<string, string | undefined> {
  const home = env.CLAWOPS_HOME
  const own = 'CLAWOPS_DATABASE_URL' in env
  return {
    ...process.env,
    NO_COLOR: '1',
    CLAWOPS_LOG: 'off',
    ...(home && !own ? storeEnv(home) : {}),
    ...env,
  }
}

export interface CliResult {
  code: number
  stdout: string
  stderr: string
  json: unknown
}

export function clawops(
  args: string[],
  env: Record<string, string | undefined> = {},
  input?: string,
  timeoutMs = 60_000,
): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env: runEnv(env),
    input: input ?? '',
    timeout: timeoutMs,
  })
  let json: unknown
  try {
    json = JSON.parse(r.stdout)
  } catch {
    json = undefined
  }
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr, json }
}

/** The same, asynchronously, for runs that must be killed midway. */
export function clawopsChild(args: string[], env: Record<string, string | undefined> = {}) {
  return spawn(process.execPath, [BIN, ...args], {
    env: runEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
}

/** Like `clawops`, without blocking this process's event loop (for tests that serve HTTP to clawops). */
export function clawopsAsync(
  args: string[],
  env: Record<string, string | undefined> = {},
): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = clawopsChild(args, env)
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => {
      stdout += d
    })
    child.stderr.on('data', (d) => {
      stderr += d
    })
    // 'close', not 'exit': at exit the child's stdout may still hold output not yet read here (a
    // busy event loop in this process, e.g. blocked on a synchronous store call, reads it later).
    child.on('close', (code) => {
      let json: unknown
      try {
        json = JSON.parse(stdout)
      } catch {
        json = undefined
      }
      resolve({ code: code ?? -1, stdout, stderr, json })
    })
  })
}
