/**
 * What systemd does for gf-clawnode on a VPS (src/lib/bootstrap/clawnode-service.ts), for a lab
 * server's node process: Restart=always (after RestartSec) for a process that exits, and when it has
 * been started StartLimitBurst times within StartLimitIntervalSec and still fails, OnFailure: the
 * same rollback script a VPS runs (with sh), then it starts again.
 *
 * One difference, on purpose: a node killed by a signal stays down. That is how the lab loses a VPS
 * (tests SIGKILL a node to see watch notice); systemd would restart it, but a dead VPS restarts
 * nothing. A node that exits by itself (a self-update's exit 75, a crash, a probation that ran out)
 * is restarted as systemd would.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { openSync } from 'node:fs'
import type { Logger } from 'pino'
import { ROLLBACK_SCRIPT, START_LIMIT } from '../bootstrap/clawnode-service.js'

const RESTART_MS = 1_000
const STOP_GRACE_MS = 5_000

export interface SupervisedSpec {
  argv: string[]
  logFile: string
  env: NodeJS.ProcessEnv
  /** GF_CLAWNODE_ROOT and GF_CLAWNODE_STATE for the rollback script. */
  rollbackEnv: Record<string, string>
}

export class ClawnodeSupervisor {
  private readonly running = new Map<
    string,
    { child: ChildProcess; spec: SupervisedSpec; starts: number[] }
  >()
  private readonly stopping = new Set<string>()
  private readonly timers = new Map<string, NodeJS.Timeout>()

  constructor(
    private readonly logger: Logger,
    private readonly limit = START_LIMIT,
  ) {}

  pid(key: string): number | undefined {
    return this.running.get(key)?.child.pid
  }

  start(key: string, spec: SupervisedSpec, starts: number[] = []): void {
    this.stopping.delete(key)
    const out = openSync(spec.logFile, 'a')
    const child = spawn(spec.argv[0]!, spec.argv.slice(1), { stdio: ['ignore', out, out], env: spec.env })
    const now = Date.now()
    const recent = [...starts, now].filter((t) => now - t <= this.limit.intervalSeconds * 1000)
    this.running.set(key, { child, spec, starts: recent })
    child.once('exit', (code, signal) => {
      const entry = this.running.get(key)
      if (entry?.child !== child) return
      this.running.delete(key)
      if (this.stopping.has(key)) return
      this.logger.warn({ server: key, code, signal }, 'gf-clawnode exited')
      if (signal) return
      // StartLimitBurst reached and it failed again: OnFailure runs the rollback, then a fresh start.
      const failed = recent.length >= this.limit.burst && code !== 75
      const timer = setTimeout(() => {
        this.timers.delete(key)
        if (this.stopping.has(key)) return
        if (failed) {
          this.rollback(key, spec)
          this.start(key, spec, [])
        } else this.start(key, spec, recent)
      }, RESTART_MS)
      this.timers.set(key, timer)
    })
  }

  private rollback(key: string, spec: SupervisedSpec): void {
    const r = spawnSync('/bin/sh', ['-c', ROLLBACK_SCRIPT], {
      env: { ...process.env, ...spec.rollbackEnv },
      encoding: 'utf8',
    })
    this.logger.warn(
      { server: key, status: r.status, out: `${r.stdout}${r.stderr}`.trim() },
      'gf-clawnode kept failing: ran the rollback script',
    )
  }

  async stop(key: string): Promise<void> {
    this.stopping.add(key)
    clearTimeout(this.timers.get(key))
    this.timers.delete(key)
    const entry = this.running.get(key)
    this.running.delete(key)
    const child = entry?.child
    if (!child || child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise((r) => child.once('exit', r))
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS)
    await exited
    clearTimeout(timer)
  }

  async close(): Promise<void> {
    await Promise.all([...new Set([...this.running.keys(), ...this.timers.keys()])].map((k) => this.stop(k)))
  }
}
