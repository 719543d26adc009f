/**
 * gf-clawnode's side of the OpenClaw validator (validator.main.ts): started on the first validation
 * where OpenClaw is installed (the host's Node, or the user gateway's container), kept while it is
 * used and stopped after `idleMs` without a request, restarted if it dies. Requests go one at a time.
 * Nodes in one process (the lab's virtual nodes, a swarm) that name the same validator share it.
 *
 * It never answers "valid" by default: a validator that cannot start, dies or times out fails the
 * validation with its reason, so a config OpenClaw was not asked about is never swapped in.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import type { Socket } from 'node:net'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { packageRoot } from '../src/lib/paths.js'

export interface ValidatorSpec {
  /** How to start Node where OpenClaw is installed, e.g. ["node"] or ["docker", "compose", …, "exec", "-T", "openclaw", "node"]. */
  node: readonly string[]
  /** The openclaw executable as that Node sees it (its package holds the validation). */
  openclaw: string
  idleMs: number
}

export interface OpenclawVerdict {
  valid: boolean
  issues: { path: string; message: string }[]
  warnings: { path: string; message: string }[]
  /** The OpenClaw version that judged it. */
  version: string
}

interface Pending {
  resolve: (v: OpenclawVerdict) => void
  reject: (e: Error) => void
  timer: NodeJS.Timeout
}

/** The built worker's source, passed with `-e` so it needs no file where OpenClaw runs. */
let source: string | undefined
function workerSource(): string {
  source ??= readFileSync(join(packageRoot(), 'dist', 'clawnode', 'validator.main.js'), 'utf8')
  return source
}

export class OpenclawValidator {
  private child: ChildProcess | null = null
  private ready: Promise<string> | null = null
  private readonly pending = new Map<number, Pending>()
  private nextId = 1
  private idle: NodeJS.Timeout | undefined
  private queue: Promise<unknown> = Promise.resolve()

  constructor(private readonly spec: ValidatorSpec) {}

  /** Validates the file at `path` (as the validator's Node sees it); rejects when OpenClaw could not judge it. */
  validate(path: string, stateDir: string | undefined, timeoutMs: number): Promise<OpenclawVerdict> {
    const run = this.queue.then(() => this.request(path, stateDir, timeoutMs))
    this.queue = run.catch(() => undefined)
    return run
  }

  private async request(
    path: string,
    stateDir: string | undefined,
    timeoutMs: number,
  ): Promise<OpenclawVerdict> {
    clearTimeout(this.idle)
    const deadline = Date.now() + timeoutMs
    const version = await this.start(timeoutMs)
    const id = this.nextId++
    try {
      return await new Promise<OpenclawVerdict>((resolve, reject) => {
        const timer = setTimeout(
          () => {
            this.pending.delete(id)
            // A validator that hangs is of no use to the next request either.
            this.stop()
            reject(new Error(`OpenClaw's validator did not answer within ${Math.round(timeoutMs / 1000)} s`))
          },
          Math.max(1, deadline - Date.now()),
        )
        this.pending.set(id, {
          resolve: (v) => resolve({ ...v, version }),
          reject,
          timer,
        })
        this.child!.stdin!.write(`${JSON.stringify({ id, path, ...(stateDir ? { stateDir } : {}) })}\n`)
      })
    } finally {
      this.idle = setTimeout(() => this.stop(), this.spec.idleMs)
      this.idle.unref()
    }
  }

  private start(timeoutMs: number): Promise<string> {
    if (this.ready) return this.ready
    const [bin, ...pre] = this.spec.node
    const child = spawn(
      bin!,
      [...pre, '--input-type=module', '-e', workerSource(), '--', this.spec.openclaw],
      {
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    )
    this.child = child
    // An idle validator never keeps its node's process alive.
    child.unref()
    for (const stream of [child.stdin, child.stdout, child.stderr]) (stream as Socket | null)?.unref?.()
    let stderr = ''
    child.stderr!.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString('utf8')).slice(-2000)
    })
    this.ready = new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`OpenClaw's validator did not start within ${Math.round(timeoutMs / 1000)} s`))
        this.stop()
      }, timeoutMs)
      const lines = createInterface({ input: child.stdout! })
      lines.on('line', (line) => {
        let msg: {
          ready?: boolean
          version?: string
          fatal?: string
          id?: number
          error?: string
        } & Partial<OpenclawVerdict>
        try {
          msg = JSON.parse(line)
        } catch {
          return
        }
        if (msg.ready) {
          clearTimeout(timer)
          resolve(msg.version ?? 'unknown')
        } else if (msg.fatal !== undefined) {
          clearTimeout(timer)
          reject(new Error(`OpenClaw's validator could not load: ${msg.fatal}`))
        } else if (msg.id !== undefined) {
          const p = this.pending.get(msg.id)
          if (!p) return
          this.pending.delete(msg.id)
          clearTimeout(p.timer)
          if (msg.error !== undefined) p.reject(new Error(`OpenClaw could not validate it: ${msg.error}`))
          else
            p.resolve({
              valid: msg.valid === true,
              issues: msg.issues ?? [],
              warnings: msg.warnings ?? [],
              version: '',
            })
        }
      })
      child.once('error', (err) => {
        clearTimeout(timer)
        reject(new Error(`OpenClaw's validator could not start: ${err.message}`))
      })
      child.once('exit', (code, signal) => {
        clearTimeout(timer)
        const why = `OpenClaw's validator exited (${signal ?? code})${stderr ? `: ${stderr.trim().split('\n').at(-1)}` : ''}`
        reject(new Error(why))
        for (const [id, p] of this.pending) {
          clearTimeout(p.timer)
          p.reject(new Error(why))
          this.pending.delete(id)
        }
        if (this.child === child) {
          this.child = null
          this.ready = null
        }
      })
    })
    this.ready.catch(() => {
      this.ready = null
    })
    return this.ready
  }

  stop(): void {
    clearTimeout(this.idle)
    const child = this.child
    this.child = null
    this.ready = null
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
  }
}

const shared = new Map<string, OpenclawValidator>()

/** The validator for a spec, one per process and spec (virtual nodes and swarm nodes share it). */
export function validatorFor(spec: ValidatorSpec): OpenclawValidator {
  const key = JSON.stringify([spec.node, spec.openclaw])
  let v = shared.get(key)
  if (!v) {
    v = new OpenclawValidator(spec)
    shared.set(key, v)
  }
  return v
}

/** Stops every validator this process started (a node shutting down). */
export function stopValidators(): void {
  for (const v of shared.values()) v.stop()
  shared.clear()
}
