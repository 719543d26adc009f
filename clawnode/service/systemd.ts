/** Service manager for hosts that run the user's gateway as a systemd unit. */

import type { ClawnodeConfig, ServiceConfig } from '../config.js'
import { runChecked } from '../run.js'
import type { ServiceCallOptions, ServiceManager, ServiceStatus } from './manager.js'

type SystemdConfig = Extract<ServiceConfig, { kind: 'systemd' }>

export class SystemdManager implements ServiceManager {
  readonly kind = 'systemd'

  constructor(
    private readonly cfg: SystemdConfig,
    private readonly bins: ClawnodeConfig['bins'],
    private readonly maxOutputBytes: number,
  ) {}

  private opts(opts: ServiceCallOptions) {
    return {
      timeoutMs: opts.timeoutMs,
      maxOutputBytes: this.maxOutputBytes,
      ...(opts.signal ? { signal: opts.signal } : {}),
    }
  }

  private systemctl(args: string[], opts: ServiceCallOptions) {
    const scope = this.cfg.userUnit ? ['--user'] : []
    return runChecked(this.bins.systemctl, [...scope, ...args], this.opts(opts))
  }

  async start(opts: ServiceCallOptions) {
    await this.systemctl(['start', this.cfg.unit], opts)
  }

  async stop(opts: ServiceCallOptions) {
    await this.systemctl(['stop', this.cfg.unit], opts)
  }

  async restart(opts: ServiceCallOptions) {
    await this.systemctl(['restart', this.cfg.unit], opts)
  }

  async status(opts: ServiceCallOptions): Promise<ServiceStatus> {
    const r = await this.systemctl(['show', this.cfg.unit, '--property=ActiveState,SubState,MainPID'], opts)
    const props = Object.fromEntries(
      r.stdout
        .split('\n')
        .map((l) => l.split('='))
        .filter((kv) => kv.length >= 2)
        .map(([k, ...v]) => [k, v.join('=')]),
    )
    const active = props.ActiveState
    const state =
      active === 'active'
        ? 'running'
        : active === 'failed'
          ? 'failed'
          : active === 'inactive'
            ? 'stopped'
            : 'unknown'
    const pid = Number(props.MainPID)
    return {
      kind: this.kind,
      state,
      ...(pid > 0 ? { pid } : {}),
      detail: `${active}/${props.SubState ?? '?'}`,
    }
  }

  async logs(lines: number, opts: ServiceCallOptions): Promise<string[]> {
    const scope = this.cfg.userUnit ? ['--user-unit'] : ['-u']
    const r = await runChecked(
      this.bins.journalctl,
      [...scope, this.cfg.unit, '-n', String(lines), '--no-pager', '-o', 'short-iso'],
      this.opts(opts),
    )
    return r.stdout.split('\n').slice(-lines)
  }

  async close() {}
}
