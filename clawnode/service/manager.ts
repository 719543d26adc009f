/**
 * The seam between the `openclaw.*` commands and whatever runs the user's gateway on this host:
 * Docker Compose in production, systemd on hosts without Docker, a plain child process in the lab
 * and in tests. Each implementation drives the real thing; none pretends.
 */

import { NodeCommandError } from '../commands/errors.js'
import type { ClawnodeConfig } from '../config.js'
import { ComposeManager } from './compose.js'
import { ProcessManager } from './process.js'
import { SystemdManager } from './systemd.js'

export interface ServiceCallOptions {
  signal?: AbortSignal
  timeoutMs: number
}

export interface ServiceStatus {
  kind: string
  state: 'running' | 'stopped' | 'failed' | 'unknown'
  pid?: number
  detail?: string
}

export interface ServiceManager {
  readonly kind: string
  start(opts: ServiceCallOptions): Promise<void>
  stop(opts: ServiceCallOptions): Promise<void>
  restart(opts: ServiceCallOptions): Promise<void>
  status(opts: ServiceCallOptions): Promise<ServiceStatus>
  logs(lines: number, opts: ServiceCallOptions): Promise<string[]>
  /** Called on node shutdown. */
  close(): Promise<void>
}

class NoServiceManager implements ServiceManager {
  readonly kind = 'none'
  private unavailable(): never {
    throw new NodeCommandError(
      'UNAVAILABLE',
      'no service manager is configured for the user gateway on this node',
    )
  }
  async start() {
    this.unavailable()
  }
  async stop() {
    this.unavailable()
  }
  async restart() {
    this.unavailable()
  }
  async status(): Promise<ServiceStatus> {
    return { kind: 'none', state: 'unknown', detail: 'no service manager configured' }
  }
  async logs(): Promise<string[]> {
    this.unavailable()
  }
  async close() {}
}

export function createServiceManager(config: ClawnodeConfig): ServiceManager {
  const svc = config.service
  const maxOutputBytes = config.limits.maxOutputBytes
  switch (svc.kind) {
    case 'compose':
      return new ComposeManager(svc, config.bins.docker, maxOutputBytes)
    case 'systemd':
      return new SystemdManager(svc, config.bins, maxOutputBytes)
    case 'process':
      return new ProcessManager(svc, config.stateDir, maxOutputBytes)
    case 'none':
      return new NoServiceManager()
  }
}
