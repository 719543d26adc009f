/**
 * The production service manager: the user's gateway is the `openclaw` service of a Docker Compose
 * project, restarted with `docker compose restart openclaw`.
 */
import type { ServiceConfig } from '../config.js'
import { runArgv, runChecked } from '../run.js'
import type { ServiceCallOptions, ServiceManager, ServiceStatus } from './manager.js'

type ComposeConfig = Extract<ServiceConfig, { kind: 'compose' }>

export class ComposeManager implements ServiceManager {
  readonly kind = 'compose'

  constructor(
    private readonly cfg: ComposeConfig,
    private readonly docker: string,
    private readonly maxOutputBytes: number,
  ) {}

  private base(): string[] {
    const args = ['compose', '-f', this.cfg.composeFile]
    if (this.cfg.projectDir) args.push('--project-directory', this.cfg.projectDir)
    return args
  }

  private run(args: string[], opts: ServiceCallOptions, env?: Record<string, string>) {
    return runChecked(this.docker, [...this.base(), ...args], {
      timeoutMs: opts.timeoutMs,
      maxOutputBytes: this.maxOutputBytes,
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(env ? { env } : {}),
    })
  }

  async start(opts: ServiceCallOptions) {
    await this.run(['up', '-d', this.cfg.service], opts)
  }

  async stop(opts: ServiceCallOptions) {
    await this.run(['stop', this.cfg.service], opts)
  }

  async restart(opts: ServiceCallOptions) {
    await this.run(['restart', this.cfg.service], opts)
  }

  async status(opts: ServiceCallOptions): Promise<ServiceStatus> {
    const r = await runArgv(
      this.docker,
      [...this.base(), 'ps', '--all', '--format', 'json', this.cfg.service],
      {
        timeoutMs: opts.timeoutMs,
        maxOutputBytes: this.maxOutputBytes,
        ...(opts.signal ? { signal: opts.signal } : {}),
      },
    )
    if (r.exitCode !== 0) return { kind: this.kind, state: 'unknown', detail: r.stderr.trim().slice(0, 500) }
    // Compose prints one JSON object per line (newer) or one array (older).
    const rows: Array<{ State?: string; Status?: string }> = []
    for (const line of r.stdout.split('\n').filter(Boolean)) {
      try {
        const v = JSON.parse(line)
        rows.push(...(Array.isArray(v) ? v : [v]))
      } catch {
        return { kind: this.kind, state: 'unknown', detail: 'unparseable docker compose ps output' }
      }
    }
    const row = rows[0]
    if (!row) return { kind: this.kind, state: 'stopped', detail: 'no container' }
    const state = row.State === 'running' ? 'running' : row.State === 'exited' ? 'stopped' : 'unknown'
    return { kind: this.kind, state, ...(row.Status ? { detail: row.Status } : {}) }
  }

  async logs(lines: number, opts: ServiceCallOptions): Promise<string[]> {
    const r = await this.run(
      ['logs', '--no-color', '--no-log-prefix', '--tail', String(lines), this.cfg.service],
      opts,
    )
    return r.stdout.split('\n').slice(-lines)
  }

  async close() {}
}
