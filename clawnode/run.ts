/**
 * Runs a real binary as argv (execa, never a shell) with a deadline, an output cap and an abort
 * signal, and turns the ways that can go wrong into NodeCommandErrors: a missing binary is
 * UNAVAILABLE (the host does not have docker, tailscale ...), a hung child is TIMEOUT and is killed,
 * too much output is OUTPUT_TOO_LARGE.
 */
import { NodeCommandError } from './commands/errors.js'

export interface RunOptions {
  signal?: AbortSignal
  timeoutMs: number
  maxOutputBytes: number
  env?: Record<string, string>
  /** When true the child sees only `env` (plus nothing inherited). */
  isolatedEnv?: boolean
  cwd?: string
}

export interface RunResult {
  exitCode: number
  stdout: string
  stderr: string
}

// execa and its dependencies cost a node ~20 MB when loaded; many nodes never spawn anything
// (a swarm answering vps.health), so it is loaded on first use.
let execaModule: Promise<typeof import('execa')> | undefined

export async function runArgv(bin: string, args: readonly string[], opts: RunOptions): Promise<RunResult> {
  execaModule ??= import('execa')
  const { execa } = await execaModule
  const result = await execa(bin, args, {
    shell: false,
    reject: false,
    stdin: 'ignore',
    timeout: opts.timeoutMs,
    maxBuffer: opts.maxOutputBytes,
    forceKillAfterDelay: 2_000,
    stripFinalNewline: true,
    windowsHide: true,
    ...(opts.signal ? { cancelSignal: opts.signal } : {}),
    ...(opts.cwd ? { cwd: opts.cwd } : {}),
    ...(opts.env ? { env: opts.env } : {}),
    extendEnv: !opts.isolatedEnv,
  })
  const name = bin.split('/').pop() ?? bin
  if (result.failed && (result as { code?: string }).code === 'ENOENT') {
    throw new NodeCommandError('UNAVAILABLE', `${name} is not installed on this host`)
  }
  if (result.timedOut)
    throw new NodeCommandError('TIMEOUT', `${name} did not finish within ${opts.timeoutMs} ms`)
  if (result.isCanceled) throw new NodeCommandError('TIMEOUT', `${name} was cancelled`)
  if (result.isMaxBuffer) {
    throw new NodeCommandError(
      'OUTPUT_TOO_LARGE',
      `${name} wrote more than ${opts.maxOutputBytes} bytes of output`,
    )
  }
  if (result.exitCode === undefined) {
    const code = (result as { code?: string }).code
    throw new NodeCommandError('COMMAND_FAILED', `${name} could not be run${code ? ` (${code})` : ''}`)
  }
  return {
    exitCode: result.exitCode,
    stdout: String(result.stdout ?? ''),
    stderr: String(result.stderr ?? ''),
  }
}

/** Like runArgv, but a non-zero exit is a COMMAND_FAILED error carrying the tail of stderr. */
export async function runChecked(bin: string, args: readonly string[], opts: RunOptions): Promise<RunResult> {
  const r = await runArgv(bin, args, opts)
  if (r.exitCode !== 0) {
    const tail = (r.stderr || r.stdout).trim().split('\n').slice(-5).join('\n').slice(0, 1_000)
    throw new NodeCommandError(
      'COMMAND_FAILED',
      `${bin.split('/').pop()} exited with ${r.exitCode}${tail ? `: ${tail}` : ''}`,
    )
  }
  return r
}
