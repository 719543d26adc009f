/**
 * `gf-clawnode swarm`: N virtual nodes in one process, each with its own identity, device token and
 * gateway connection, for load tests and large lab fleets. The command table, the service manager
 * and the logger are shared so that a node costs little more than its socket. Node i is instance
 * `<instanceId>-<i>`; its join secret is derived from the config's one (see deriveJoinSecret), or it
 * gets its own gateway bootstrap credential from a tokens file, which admits it in one connect (the
 * fast way to join thousands of nodes). Connections open at a bounded rate, and at most
 * `--max-handshakes` are in flight at once, so the gateway is never handed more joins than it can
 * finish before its handshake deadline.
 */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { deriveJoinSecret } from '../src/lib/gateway/join-proof.js'
import type { Logger } from '../src/lib/log.js'
import type { CommandRegistry } from './commands/registry.js'
import type { ClawnodeConfig } from './config.js'
import type { ConnectionState } from './connection.js'
import type { HandshakeGate } from './handshake-gate.js'
import { createNode, type RunningNode } from './node.js'
import type { ServiceManager } from './service/manager.js'

export interface SwarmOptions {
  config: ClawnodeConfig
  count: number
  /** One gateway bootstrap credential per node (node i gets entry i): joins without approvals. */
  bootstrapTokens?: readonly string[] | undefined
  rampPerSec: number
  /** Shared by all nodes: how many handshakes may be in flight at once. */
  handshakeGate: HandshakeGate
  registry: CommandRegistry
  services: ServiceManager
  logger: Logger
  version: string
  onFatal(err: Error): void
  onState(state: ConnectionState): void
  isStopping(): boolean
}

export function swarmInstanceId(prefix: string, index: number): string {
  return `${prefix}-${index}`
}

/**
 * The config node `instanceId` runs with: `{instanceId}` in userGateway.configPath names a config
 * file per node (the config commands then act on each node's own file, as on separate hosts).
 */
export function swarmNodeConfig(config: ClawnodeConfig, instanceId: string): ClawnodeConfig {
  const path = config.userGateway.configPath
  if (!path.includes('{instanceId}')) return config
  return {
    ...config,
    userGateway: { ...config.userGateway, configPath: path.replaceAll('{instanceId}', instanceId) },
  }
}

export async function startSwarm(o: SwarmOptions): Promise<RunningNode[]> {
  const nodes: RunningNode[] = []
  const root = join(o.config.stateDir, 'swarm')
  mkdirSync(root, { recursive: true, mode: 0o700 })
  // Per-node loggers would multiply memory by N; one logger with the instance id in each line.
  const logger = o.logger
  for (let i = 0; i < o.count; i++) {
    const instanceId = swarmInstanceId(o.config.instanceId, i)
    nodes.push(
      createNode({
        config: swarmNodeConfig(o.config, instanceId),
        instanceId,
        stateDir: join(root, instanceId),
        joinSecret: o.config.joinSecret ? deriveJoinSecret(o.config.joinSecret, instanceId) : undefined,
        ...(o.bootstrapTokens
          ? { firstContact: { token: o.config.gateway.token, bootstrapToken: o.bootstrapTokens[i] } }
          : {}),
        registry: o.registry,
        services: o.services,
        handshakeGate: o.handshakeGate,
        logger: logger.child({ instanceId }),
        version: o.version,
        onFatal: o.onFatal,
        onState: o.onState,
      }),
    )
  }
  logger.info({ count: o.count, rampPerSec: o.rampPerSec }, 'swarm identities ready; connecting')
  // Start `batch` nodes every `everyMs`: ten batches a second, or one node at a time below 10/s.
  const batch = Math.max(1, Math.floor(o.rampPerSec / 10))
  const everyMs = (1000 * batch) / o.rampPerSec
  void (async () => {
    for (let i = 0; i < nodes.length; i += batch) {
      if (o.isStopping()) return
      for (const n of nodes.slice(i, i + batch)) n.connection.start()
      await sleep(everyMs)
    }
  })()
  return nodes
}
