/** Runs the built clawops binary the way an agent's exec tool or a shell would. */
import { spawn, spawnSync } from 'node:child_process'
import { join } from 'node:path'

export const BIN = join(import.meta.dirname, '..', '..', 'bin', 'clawops.js')

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
): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', CLAWOPS_LOG: 'off', ...env },
    input: input ?? '',
    timeout: 60_000,
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
    env: { ...process.env, NO_COLOR: '1', CLAWOPS_LOG: 'off', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
}
