/** What the command implementations of one node share: its config, identity and service manager. */
import type { Logger } from '../../src/lib/log.js'
import type { ClawnodeConfig } from '../config.js'
import type { ServiceManager } from '../service/manager.js'

export interface NodeContext {
  config: ClawnodeConfig
  instanceId: string
  deviceId: string
  version: string
  startedAt: number
  services: ServiceManager
  logger: Logger
  /** Asks the process to exit so its service manager starts it again (a self-update); absent in swarms. */
  requestRestart?: (why: string) => void
  /** The config file of a single node (absent in swarms): what `clawnode.rejoin` rewrites. */
  configPath?: string
}
