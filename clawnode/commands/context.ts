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
  /**
   * Asks the process to exit so its service manager starts it again, on a new release (a
   * self-update); absent in swarms and the lab's virtual nodes, which cannot run another build.
   */
  requestRestart?: (why: string) => void
  /**
   * Starts the node again from its config file, same build (`clawnode.rejoin`): a single process
   * exits for its service manager, the lab's virtual node is rebuilt in place. Absent in swarms.
   */
  restartFromConfig?: (why: string) => void
  /** The config file of a single or virtual node (absent in swarms): what `clawnode.rejoin` rewrites. */
  configPath?: string
}
