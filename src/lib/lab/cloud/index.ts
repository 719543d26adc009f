/**
 * The lab cloud's public surface for the rest of clawops (`clawops lab up|down`, tests, benches):
 * start it in-process, or run server.main.ts as its own process; plug a boot driver.
 */
export type { BootDriver, BootServer, BootSignals, StartReason, StopReason } from './boot-driver.js'
export {
  type BootDriverContext,
  type BootDriverFactory,
  createBootDriver,
  registerBootDriver,
} from './boot-drivers.js'
export { DEFAULT_TIMINGS, type LabTimings } from './engine.js'
export type { FaultInput } from './faults.js'
export { instantBootDriver } from './instant-boot-driver.js'
export {
  type LabCloud,
  type LabCloudOptions,
  type LabEndpoints,
  type ProviderEndpoint,
  startLabCloud,
} from './lab-cloud.js'
export type { FaultRule, LabPower, LabServer } from './model.js'
export type { SeedRequest } from './seed-servers.js'
export { STATE_FILE } from './state-file.js'
