/**
 * A plain process manager: the user's gateway is a child process of gf-clawnode (a real
 * `openclaw gateway run`, or the small stand-in server the lab uses). It runs in its own process
 * group so a stop reaches the helpers it spawns, its output goes to `<stateDir>/service.log`, and its
 * pid is recorded so a node that crashed does not leave a second copy running after it restarts.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { open } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { NodeCommandError } from '../commands/errors.js'
import type { ServiceConfig } from '../config.js'
import type { ServiceCallOptions, ServiceManager, ServiceStatus } from './manager.js'

type ProcessConfig = Extract<ServiceConfig, { kind: 'process' }>

const LOG_ROTATE_BYTES = 5 * 1024 * 1024

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal)
  } catch {
    try {
      process.kill(pid, signal)
    } catch {
      // already gone
    }
  }
}

export class ProcessManager implements ServiceManager {
  readonly kind = 'process'
  private child: ChildProcess | undefined
  private lastExit: { code: number | null; signal: string | null; at: string } | undefined
  private readonly logPath: string
  private readonly pidPath: string

  constructor(
    private readonly cfg: ProcessConfig,
    stateDir: string,
    private readonly maxOutputBytes: number,
  ) {
    mkdirSync(stateDir, { recursive: true })
    this.logPath = join(stateDir, 'service.log')
    this.pidPath = join(stateDir, 'service.pid')
  }

  private running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null
  }

  /** Stops a copy left behind by a previous run of this node, if its command line is ours. */
  private reapStale(): void {
    if (!existsSync(this.pidPath)) return
    const pid = Number(readFileSync(this.pidPath, 'utf8').trim())
    rmSync(this.pidPath, { force: true })
    if (!Number.isInteger(pid) || pid <= 1 || !alive(pid)) return
    let cmdline = ''
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ')
    } catch {
      return
    }
    if (cmdline.includes(this.cfg.argv.join(' '))) killGroup(pid, 'SIGKILL')
  }

  private rotateLog(): void {
    if (existsSync(this.logPath) && statSync(this.logPath).size > LOG_ROTATE_BYTES) {
      renameSync(this.logPath, `${this.logPath}.1`)
    }
  }

  async start(_opts?: ServiceCallOptions): Promise<void> {
    if (this.running()) return
    this.reapStale()
    this.rotateLog()
    const fd = openSync(this.logPath, 'a')
    try {
      const [bin, ...args] = this.cfg.argv
      const child = spawn(bin!, args, {
        cwd: this.cfg.cwd,
        env: { ...process.env, ...this.cfg.env },
        stdio: ['ignore', fd, fd],
        detached: true,
      })
      const spawned = await new Promise<Error | undefined>((resolve) => {
        child.once('spawn', () => resolve(undefined))
        child.once('error', (err) => resolve(err))
      })
      if (spawned) {
        const code = (spawned as NodeJS.ErrnoException).code
        throw new NodeCommandError(
          code === 'ENOENT' ? 'UNAVAILABLE' : 'COMMAND_FAILED',
          `cannot start ${bin}: ${code ?? spawned.message}`,
        )
      }
      child.on('exit', (code, signal) => {
        this.lastExit = { code, signal, at: new Date().toISOString() }
        if (this.child === child) rmSync(this.pidPath, { force: true })
      })
      this.child = child
      if (child.pid) writeFileSync(this.pidPath, `${child.pid}\n`)
    } finally {
      closeSync(fd)
    }
  }

  async stop(opts?: ServiceCallOptions): Promise<void> {
    const child = this.child
    if (!child || !this.running() || !child.pid) return
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
    killGroup(child.pid, 'SIGTERM')
    const grace = Math.min(this.cfg.stopTimeoutMs, opts?.timeoutMs ?? this.cfg.stopTimeoutMs)
    const timedOut = await Promise.race([exited.then(() => false), sleep(grace).then(() => true)])
    if (timedOut) {
      killGroup(child.pid, 'SIGKILL')
      await exited
    }
    rmSync(this.pidPath, { force: true })
  }

  async restart(opts: ServiceCallOptions): Promise<void> {
    await this.stop(opts)
    await this.start(opts)
  }

  async status(): Promise<ServiceStatus> {
    if (this.running()) return { kind: this.kind, state: 'running', pid: this.child!.pid! }
    if (this.lastExit) {
      const how = this.lastExit.signal ? `signal ${this.lastExit.signal}` : `code ${this.lastExit.code}`
      const clean = this.lastExit.code === 0 || this.lastExit.signal === 'SIGTERM'
      return {
        kind: this.kind,
        state: clean ? 'stopped' : 'failed',
        detail: `exited with ${how} at ${this.lastExit.at}`,
      }
    }
    return { kind: this.kind, state: 'stopped', detail: 'not started' }
  }

  async logs(lines: number): Promise<string[]> {
    if (!existsSync(this.logPath)) return []
    const fh = await open(this.logPath, 'r')
    try {
      const { size } = await fh.stat()
      const len = Math.min(size, this.maxOutputBytes)
      const buf = Buffer.alloc(len)
      await fh.read(buf, 0, len, size - len)
      const all = buf.toString('utf8').split('\n')
      if (all.at(-1) === '') all.pop()
      // The first line may be cut by the byte window; drop it unless we read the whole file.
      if (len < size) all.shift()
      return all.slice(-lines)
    } finally {
      await fh.close()
    }
  }

  async close(): Promise<void> {
    await this.stop()
  }
}
