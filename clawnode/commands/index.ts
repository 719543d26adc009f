/** The command table, in the order of CLAWNODE_COMMANDS; built once per process and shared by its nodes. */
import { CLAWNODE_COMMANDS } from '../../src/lib/gateway/node-commands.js'
import type { ClawnodeConfig } from '../config.js'
import { archiveCommands } from './archive.js'
import { clawnodeCommands } from './clawnode.js'
import { dockerCommands } from './docker.js'
import { execCommands } from './exec.js'
import { gatewayConfigCommands } from './gateway-config.js'
import { hostSecurityCommands } from './host-security.js'
import { openclawCommands } from './openclaw.js'
import { probeCommands } from './probe.js'
import { CommandRegistry, type CommandSpec } from './registry.js'
import { vpsCommands } from './vps.js'

export function buildRegistry(config: ClawnodeConfig): CommandRegistry {
  const specs: CommandSpec[] = [
    ...vpsCommands(),
    ...openclawCommands(),
    ...archiveCommands(),
    ...gatewayConfigCommands(),
    ...dockerCommands(),
    ...hostSecurityCommands(),
    ...execCommands(),
    ...clawnodeCommands(),
    ...probeCommands(() => registry),
  ] as CommandSpec[]
  const order = new Map<string, number>(CLAWNODE_COMMANDS.map((c, i) => [c, i]))
  specs.sort((a, b) => (order.get(a.name) ?? 0) - (order.get(b.name) ?? 0))
  const registry = new CommandRegistry(specs, {
    defaultTimeoutMs: config.limits.commandTimeoutMs,
    maxOutputBytes: config.limits.maxOutputBytes,
  })
  const missing = CLAWNODE_COMMANDS.filter((c) => !registry.names().includes(c))
  if (missing.length) throw new Error(`commands without an implementation: ${missing.join(', ')}`)
  return registry
}
