/**
 * Assembles one node: its persistent identity and device token under its state dir, its command
 * context, and its gateway connection. A single gf-clawnode runs one; a swarm runs thousands that
 * share the command table and the service manager.
 */
import { join } from 'node:path'
import { loadOrCreateIdentity } from '../src/lib/gateway/device-identity.js'
import { DeviceTokenStore } from '../src/lib/gateway/device-token-store.js'
import type { Logger } from '../src/lib/log.js'
import type { NodeContext } from './commands/context.js'
import type { CommandRegistry } from './commands/registry.js'
import type { ClawnodeConfig } from './config.js'
import { type ConnectionState, NodeConnection } from './connection.js'
import type { HandshakeGate } from './handshake-gate.js'
import type { ServiceManager } from './service/manager.js'

export interface NodeSpec {
  config: ClawnodeConfig
  instanceId: string
  stateDir: string
  joinSecret?: string | undefined
  /** Overrides config.gateway's first-contact credentials (a swarm gives each node its own). */
  firstContact?: { token?: string | undefined; bootstrapToken?: string | undefined }
  registry: CommandRegistry
  services: ServiceManager
  handshakeGate?: HandshakeGate | undefined
  logger: Logger
  version: string
  onFatal(err: Error): void
  onState?(state: ConnectionState): void
  /** Exits for a restart by the service manager (a single node's self-update). */
  requestRestart?: (why: string) => void
  /** Starts the node again from its config file (`clawnode.rejoin`); see NodeContext. */
  restartFromConfig?: (why: string) => void
  /** The config file it was started with (`clawnode.rejoin` rewrites it). */
  configPath?: string
}

export interface RunningNode {
  instanceId: string
  deviceId: string
  connection: NodeConnection
  context: NodeContext
}

export function createNode(spec: NodeSpec): RunningNode {
  const { identity, created } = loadOrCreateIdentity(join(spec.stateDir, 'identity.json'))
  if (created) spec.logger.info({ deviceId: identity.deviceId }, 'created a new device identity')
  const context: NodeContext = {
    config: spec.config,
    instanceId: spec.instanceId,
    deviceId: identity.deviceId,
    version: spec.version,
    startedAt: Date.now(),
    services: spec.services,
    logger: spec.logger,
    ...(spec.requestRestart ? { requestRestart: spec.requestRestart } : {}),
    ...(spec.restartFromConfig ? { restartFromConfig: spec.restartFromConfig } : {}),
    ...(spec.configPath ? { configPath: spec.configPath } : {}),
  }
  const connection = new NodeConnection({
    url: spec.config.gateway.url,
    identity,
    tokens: new DeviceTokenStore(join(spec.stateDir, 'device-token.json')),
    firstContact: spec.firstContact ?? {
      token: spec.config.gateway.token,
      bootstrapToken: spec.config.gateway.bootstrapToken,
    },
    instanceId: spec.instanceId,
    joinSecret: spec.joinSecret,
    commands: spec.registry.names(),
    version: spec.version,
    reconnect: spec.config.reconnect,
    maxConcurrent: spec.config.limits.maxConcurrent,
    handshakeGate: spec.handshakeGate,
    logger: spec.logger,
    onInvoke: (req, signal) =>
      spec.registry.invoke(req.command, req.paramsJSON, {
        node: context,
        signal,
        ...(req.timeoutMs ? { timeoutMs: req.timeoutMs } : {}),
      }),
    onFatal: spec.onFatal,
    ...(spec.onState ? { onState: spec.onState } : {}),
  })
  return { instanceId: spec.instanceId, deviceId: identity.deviceId, connection, context }
}
